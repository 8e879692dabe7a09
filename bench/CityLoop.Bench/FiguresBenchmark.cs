using System.Diagnostics;
using System.Globalization;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Screen;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Bench;

/// <summary>
/// figures [connection-string] [--cases N] [--years Y] [--runs K] [--seed S] [--database NAME] [--only TEXT]
/// The statistics at scale: on the benchmark's data (<see cref="BenchData"/>, shared with the case list), the
/// questions a command centre asks of its figures, each through the services the API and the pages call
/// (<see cref="RankingQueries"/>, <see cref="IndicatorQueries"/>, <see cref="ScreenQueries"/>), each call in a scope of
/// its own as a request has, K times with a month drawn at random from the period (the screen at the period's last
/// day), printing p50/p99/max per question. "Now" is the end of the generated period.
/// </summary>
public static class FiguresBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        if (args.Contains("--no-aggregates")) Environment.SetEnvironmentVariable("CITYLOOP_BENCH_NO_AGGREGATES", "1");
        var runs = int.Parse(IntakeBenchmark.Option(args, "--runs") ?? "20", CultureInfo.InvariantCulture);
        var data = await BenchData.PrepareAsync(args, "figures");
        var now = new FixedClock(data.End.AddMilliseconds(-1));
        await using var provider = BenchData.Services(data.ConnectionString, now);
        var rng = new Random(data.Seed);
        // The daily aggregates as the product keeps them (decision 033): built from the facts after a load (the server's
        // background job does this on its first pass), or brought up to date on a database loaded before.
        // --no-aggregates measures the figures from the facts alone.
        var aggregates = !args.Contains("--no-aggregates");
        using (var scope = provider.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (aggregates)
            {
                var projector = scope.ServiceProvider.GetRequiredService<FactDayProjector>();
                var cpu = await CpuMeter.ForAsync(data.ConnectionString);
                var cpu0 = cpu.Now();
                var r = args.Contains("--rebuild-aggregates") ? await projector.RebuildAsync() : await projector.CatchUpAsync();
                var cpu1 = cpu.Now();
                Console.WriteLine($"daily aggregates {(r.Rebuilt ? "built from the facts" : "caught up")} in {r.Elapsed.TotalSeconds:F1} s " +
                    $"({r.Cases:N0} cases, {r.DayRuns} runs, days before {FactDayShape.Date(r.SealedDay):yyyy-MM-dd}; CPU: this process {(cpu1.App - cpu0.App).TotalSeconds:F0} s, " +
                    $"PostgreSQL {(cpu1.Db - cpu0.Db).TotalSeconds:F0} s); load average {BenchData.LoadAverage()}");
                await using var conn = new Npgsql.NpgsqlConnection(data.ConnectionString);
                await conn.OpenAsync();
                foreach (var table in new[] { "fact_days", "fact_day_cases" })
                {
                    await using var vacuum = new Npgsql.NpgsqlCommand($"VACUUM (ANALYZE) {table}", conn) { CommandTimeout = 0 };
                    await vacuum.ExecuteNonQueryAsync();
                }
                await using var size = new Npgsql.NpgsqlCommand("SELECT (SELECT count(*) FROM fact_days), pg_total_relation_size('fact_days'), pg_total_relation_size('fact_day_cases')", conn);
                await using var rd = await size.ExecuteReaderAsync();
                await rd.ReadAsync();
                Console.WriteLine($"  fact_days {rd.GetInt64(0):N0} rows, {rd.GetInt64(1) / 1e6:N0} MB; fact_day_cases {rd.GetInt64(2) / 1e6:N0} MB");
            }
            else Console.WriteLine("daily aggregates not used (--no-aggregates): every figure reads the facts");
        }
        List<string> departments;
        using (var scope = provider.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            departments = await db.Set<CaseFact>().Where(f => f.LeadDepartmentCode != null).GroupBy(f => f.LeadDepartmentCode!)
                .OrderByDescending(g => g.Count()).Select(g => g.Key).Take(8).ToListAsync();
            var cases = await db.Cases.LongCountAsync();
            Console.WriteLine($"{cases:N0} cases from {data.Start:yyyy-MM-dd} to {data.End:yyyy-MM-dd}; {runs} runs a question; load average {BenchData.LoadAverage()}");
        }
        // Whole months inside the period (the first may be partial: months from the second on).
        var first = DateOnly.FromDateTime(data.Start.AddMonths(1).Date);
        var last = DateOnly.FromDateTime(data.End.AddDays(-1).Date);
        var months = new List<Period>();
        for (var p = Periods.Of(PeriodKind.Month, first); p.End <= last.AddDays(1); p = Periods.Of(PeriodKind.Month, p.End)) months.Add(p);
        Period Month() => months[rng.Next(months.Count)];
        string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var lastYear = last.Year - 1;
        var completion = IndicatorCatalogue.Find("completion-rate")!;
        var onTime = IndicatorCatalogue.Find("disposed-on-time-rate")!;

        var questions = new (string Name, Func<IServiceProvider, Task<string>> Ask)[]
        {
            ("department assessment (month)", async sp =>
            {
                var a = await sp.GetRequiredService<RankingQueries>().AssessAsync("department", Month(), null, default);
                return $"{a.Rows.Count} departments";
            }),
            ("street assessment (month)", async sp =>
            {
                var a = await sp.GetRequiredService<RankingQueries>().AssessAsync("street", Month(), null, default);
                return $"{a.Rows.Count} streets";
            }),
            ("三率 by department (month)", async sp =>
            {
                var r = await sp.GetRequiredService<RankingQueries>().ThreeRatesAsync(Month(), "department", null, default);
                return $"{r.Total.FollowedUp:N0} follow-ups";
            }),
            ("三率 by street (month)", async sp =>
            {
                var r = await sp.GetRequiredService<RankingQueries>().ThreeRatesAsync(Month(), "street", null, default);
                return $"{r.Total.FollowedUp:N0} follow-ups";
            }),
            ("inspectors' assessment (month)", async sp =>
            {
                var a = await sp.GetRequiredService<RankingQueries>().AssessAsync("inspector", Month(), null, default);
                return $"{a.Rows.Count} inspectors";
            }),
            // The 漏报 counts alone, as the assessment asks for them; over two whole years they read as many cases as a month
            // and the one before at ten times the size (≈ 660,000 at 1 million cases).
            ("inspectors' 漏报 counts alone (month, with the month before)", async sp =>
            {
                var m = Month();
                return await MissedAsync(sp, [(Periods.Of(PeriodKind.Month, m.Start.AddMonths(-1)), "before"), (m, "month")]);
            }),
            ($"inspectors' 漏报 counts alone ({lastYear - 1} and {lastYear})", async sp =>
                await MissedAsync(sp, [(Periods.Of(PeriodKind.Year, new DateOnly(lastYear - 1, 1, 1)), $"{lastYear - 1}"),
                    (Periods.Of(PeriodKind.Year, new DateOnly(lastYear, 1, 1)), $"{lastYear}")])),
            ("每月一题 (month's top 10)", async sp =>
            {
                var t = await sp.GetRequiredService<RankingQueries>().TopicsAsync(Month(), 10, null, default);
                return $"{t.Topics.Count} topics";
            }),
            ("wall screen (city)", async sp =>
            {
                var s = await sp.GetRequiredService<ScreenQueries>().SnapshotAsync(null, default);
                return $"{s.ReceivedToday:N0} today, {s.Open:N0} open, {s.Overdue:N0} overdue";
            }),
            ("department dashboard", async sp =>
            {
                var s = await sp.GetRequiredService<ScreenQueries>().SnapshotAsync(departments[rng.Next(departments.Count)], default);
                return $"{s.Open:N0} open";
            }),
            ("indicator: month by department, vs previous and last year", async sp =>
            {
                var m = Month();
                var v = await sp.GetRequiredService<IndicatorQueries>().ValueAsync(completion,
                    new IndicatorSlice(Day(m.Start), Day(m.End.AddDays(-1)), null, null, null, null, null, null), "department", default, "previous,year");
                return $"{v.Value}% of {v.Denominator:N0}";
            }),
            ("indicator: drill-down, first page", async sp =>
            {
                var m = Month();
                var c = await sp.GetRequiredService<IndicatorQueries>().CasesAsync(onTime,
                    new IndicatorSlice(Day(m.Start), Day(m.End.AddDays(-1)), null, departments[rng.Next(departments.Count)], null, null, null, null),
                    "denominator", 1, 200, default);
                return $"{c.Cases:N0} cases";
            }),
        };
        Console.WriteLine($"{"question",-58} {"runs",5} {"first ms",9} {"p50 ms",8} {"p99 ms",8} {"max ms",8}  last answer");
        // --only TEXT: the questions whose name contains TEXT (e.g. --only inspectors).
        var only = IntakeBenchmark.Option(args, "--only");
        foreach (var (name, ask) in questions.Where(q => only is null || q.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            var latencies = new double[runs];
            double firstMs = 0;
            var answer = "";
            for (var i = -1; i < runs; i++)
            {
                using var scope = provider.CreateScope();
                var sw = Stopwatch.StartNew();
                answer = await ask(scope.ServiceProvider);
                if (i < 0) firstMs = sw.Elapsed.TotalMilliseconds;
                else latencies[i] = sw.Elapsed.TotalMilliseconds;
            }
            var max = latencies.Max();
            var r = IntakeBenchmark.Summarise(latencies, 0, 0);
            Console.WriteLine($"{name,-58} {runs,5} {firstMs,9:F0} {r.P50,8:F0} {r.P99,8:F0} {max,8:F0}  {answer}");
        }
        Console.WriteLine($"load average {BenchData.LoadAverage()}");
        return 0;
    }

    /// <summary>The 漏报 counts of every inspector over the periods, as the inspectors' assessment asks for them.</summary>
    static async Task<string> MissedAsync(IServiceProvider sp, (Period Period, string Name)[] periods)
    {
        var db = sp.GetRequiredService<CityLoopDb>();
        var zone = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CityLoop.Server.Features.Cases.PlatformOptions>>().Value.Zone;
        var ids = await db.Users.Where(u => u.Roles.Contains("inspector")).Select(u => u.Id).ToListAsync();
        DateTimeOffset At(DateOnly d) => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(d.ToDateTime(TimeOnly.MinValue))).ToUniversalTime();
        var counts = await sp.GetRequiredService<CityLoop.Server.Features.Inspector.PatrolService>()
            .MissedCountsAsync(ids, periods.Select(p => (At(p.Period.Start), At(p.Period.End))).ToList(), default);
        return string.Join(", ", counts.Select((c, k) => $"{periods[k].Name}: {c.Values.Sum(v => v.Found):N0} missed, {c.Values.Sum(v => v.Own):N0} own"));
    }

    /// <summary>The benchmark's "now": the end of the generated period, so that today's and this month's figures have data.</summary>
    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}
