using System.Diagnostics;
using System.Globalization;
using System.Text;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Indicators;

/// <summary>
/// Keeps <c>fact_days</c> (decision 033) from the facts, outside every request's transaction: <see cref="RebuildAsync"/>
/// aggregates every whole day before today from <c>case_facts</c>; <see cref="CatchUpAsync"/> (the background job, once
/// a minute) finds the cases with events after its watermark, aggregates again the (date, day) pairs their facts had
/// and have, seals the days that ended since, and moves the watermark. Both are idempotent; two nodes take turns (an
/// advisory lock on PostgreSQL, the single writer on SQLite).
/// </summary>
public sealed class FactDayProjector(CityLoopDb db, IOptions<PlatformOptions> platform, TimeProvider clock, ILogger<FactDayProjector> log)
{
    const long LockKey = 7_412_033;

    /// <summary>
    /// The watermark moves only past events older than this: an event whose transaction commits later than this after
    /// its instant, behind a later event already seen, would be missed (decision 033).
    /// </summary>
    public static readonly TimeSpan CommitLag = TimeSpan.FromSeconds(30);

    public sealed record Result(int SealedDay, long Watermark, int Cases, int DayRuns, TimeSpan Elapsed, bool Rebuilt);

    public static async Task<FactDayState?> ReadStateAsync(CityLoopDb db, CancellationToken ct)
    {
        await using var cmd = FactDayShape.Command(db, "SELECT sealed_day, event_watermark, zone, shape FROM fact_day_state WHERE id = 1");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new FactDayState(Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3));
    }

    TimeZoneInfo Zone => platform.Value.Zone;

    /// <summary>Everything again from the facts: every whole day before today.</summary>
    public Task<Result> RebuildAsync(CancellationToken ct = default) => RunAsync(rebuild: true, ct);

    /// <summary>The changes since the last pass (or the whole rebuild when there has been none).</summary>
    public Task<Result> CatchUpAsync(CancellationToken ct = default) => RunAsync(rebuild: false, ct);

    async Task<Result> RunAsync(bool rebuild, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var now = clock.GetUtcNow();
        var zone = Zone;
        var today = Math.Min(FactDayShape.DayOf(now, zone), FactDayShape.EndDay);
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(
                    db.IsPostgres ? System.Data.IsolationLevel.RepeatableRead : System.Data.IsolationLevel.Serializable, ct);
                if (db.IsPostgres)
                {
                    await FactDayShape.ExecAsync(db, $"SELECT pg_advisory_xact_lock({LockKey})", ct);
                    // The sums are grouped in memory (a sort of the wide fact rows spilled to disk took most of a rebuild).
                    await FactDayShape.ExecAsync(db, "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off", ct);
                }
                var state = await ReadStateAsync(db, ct);
                var shape = FactDayShape.Shape(db, zone);
                if (state is not null && (state.Zone != zone.Id || state.Shape != shape)) rebuild = true;
                if (state is null) rebuild = true;
                // Commits happen in real time: the lag is measured on the system's clock too (a clock set in the past —
                // a benchmark's "now", a test's — would otherwise hold the watermark behind events written since).
                var real = TimeProvider.System.GetUtcNow();
                var lagCutoff = FactDayShape.At(db, (real > now ? real : now) - CommitLag);
                var from = rebuild ? 0 : state!.Watermark;
                long watermark;
                await using (var cmd = FactDayShape.Command(db, "SELECT MAX(id) FROM case_events WHERE id > @a0 AND at < @a1", from, lagCutoff))
                {
                    var v = await cmd.ExecuteScalarAsync(ct);
                    watermark = v is null or DBNull ? from : Math.Max(from, Convert.ToInt64(v, CultureInfo.InvariantCulture));
                }
                int cases = 0, runs = 0;
                if (rebuild)
                {
                    await FactDayShape.ExecAsync(db, "DELETE FROM fact_days", ct);
                    await FactDayShape.ExecAsync(db, "DELETE FROM fact_day_cases", ct);
                    cases = await FactDayShape.ExecAsync(db, SnapshotSql(null), ct);
                    foreach (var kind in FactDayShape.Kinds)
                    {
                        await FactDayShape.ExecAsync(db, InsertSql(kind, $"{FactDayShape.DateColumn(db, kind)} < @a0"), ct, FactDayShape.At(db, FactDayShape.Midnight(today, zone)));
                        runs++;
                    }
                }
                else
                {
                    var sealedDay = state!.SealedDay;
                    var changed = $"SELECT DISTINCT case_id FROM case_events WHERE id > {from.ToString(CultureInfo.InvariantCulture)}";
                    // The (date, day) pairs the changed cases' facts had when last aggregated, and have now.
                    var dirty = new HashSet<(int Kind, int Day)>();
                    var kinds = FactDayShape.Kinds;
                    var current = string.Join(", ", kinds.Select(k => FactDayShape.DaySql("f." + FactDayShape.DateColumn(db, k), db.IsPostgres, zone)));
                    var old = string.Join(", ", kinds.Select(k => $"d.d{(int)k}"));
                    await using (var cmd = FactDayShape.Command(db, $"""
                        SELECT {old}, {current} FROM ({changed}) e
                        LEFT JOIN fact_day_cases d ON d.case_id = e.case_id LEFT JOIN case_facts f ON f.case_id = e.case_id
                        """))
                    await using (var r = await cmd.ExecuteReaderAsync(ct))
                        while (await r.ReadAsync(ct))
                        {
                            cases++;
                            for (var i = 0; i < kinds.Length * 2; i++)
                                if (!r.IsDBNull(i) && Convert.ToInt32(r.GetValue(i), CultureInfo.InvariantCulture) is var d && d < Math.Min(sealedDay, today))
                                    dirty.Add((i % kinds.Length, d));
                        }
                    // The days that ended since the last pass.
                    for (var d = Math.Max(sealedDay, FactDayShape.FirstDay); d < today; d++)
                        foreach (var k in kinds) dirty.Add(((int)k, d));
                    foreach (var byKind in dirty.GroupBy(x => x.Kind))
                    {
                        var kind = (FactDate)byKind.Key;
                        var dims = string.Join(", ", new[] { "''" }.Concat(FactDayShape.DimProperties(kind).Select(p => $"'{FactDayShape.Column(db, p)}'")));
                        foreach (var (a, b) in Runs(byKind.Select(x => x.Day)))
                        {
                            await FactDayShape.ExecAsync(db, $"DELETE FROM fact_days WHERE dim IN ({dims}) AND kind = {(int)kind} AND day >= @a0 AND day < @a1", ct, a, b);
                            var date = FactDayShape.DateColumn(db, kind);
                            await FactDayShape.ExecAsync(db, InsertSql(kind, $"{date} >= @a0 AND {date} < @a1"), ct,
                                FactDayShape.At(db, FactDayShape.Midnight(a, zone)), FactDayShape.At(db, FactDayShape.Midnight(b, zone)));
                            runs++;
                        }
                    }
                    if (cases > 0)
                    {
                        await FactDayShape.ExecAsync(db, $"DELETE FROM fact_day_cases WHERE case_id IN ({changed})", ct);
                        await FactDayShape.ExecAsync(db, SnapshotSql($"case_id IN ({changed})"), ct);
                    }
                }
                var nowMs = now.ToUnixTimeMilliseconds();
                if (state is null)
                    await FactDayShape.ExecAsync(db, "INSERT INTO fact_day_state (id, sealed_day, event_watermark, zone, shape, built_at, caught_up_at) VALUES (1, @a0, @a1, @a2, @a4, @a3, @a3)",
                        ct, today, watermark, zone.Id, nowMs, shape);
                else if (rebuild)
                    await FactDayShape.ExecAsync(db, "UPDATE fact_day_state SET sealed_day = @a0, event_watermark = @a1, zone = @a2, shape = @a4, built_at = @a3, caught_up_at = @a3 WHERE id = 1",
                        ct, today, watermark, zone.Id, nowMs, shape);
                else
                    await FactDayShape.ExecAsync(db, "UPDATE fact_day_state SET sealed_day = @a0, event_watermark = @a1, caught_up_at = @a2 WHERE id = 1",
                        ct, Math.Max(today, state!.SealedDay), watermark, nowMs);
                await tx.CommitAsync(ct);
                var result = new Result(today, watermark, cases, runs, sw.Elapsed, rebuild);
                if (rebuild || sw.Elapsed > TimeSpan.FromSeconds(5))
                    log.LogInformation("Figures' day aggregates {What}: {Cases} cases, {Runs} day runs, to day {Day}, event {Watermark}, in {Ms} ms",
                        rebuild ? "rebuilt" : "caught up", cases, runs, FactDayShape.Date(today), watermark, (long)sw.Elapsed.TotalMilliseconds);
                return result;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
    }

    static IEnumerable<(int From, int To)> Runs(IEnumerable<int> days)
    {
        int? start = null, prev = null;
        foreach (var d in days.Distinct().Order())
        {
            if (prev is { } p && d == p + 1) { prev = d; continue; }
            if (start is { } s) yield return (s, prev!.Value + 1);
            start = prev = d;
        }
        if (start is { } s2) yield return (s2, prev!.Value + 1);
    }

    string SnapshotSql(string? where)
    {
        var kinds = FactDayShape.Kinds;
        var days = string.Join(", ", kinds.Select(k => FactDayShape.DaySql(FactDayShape.DateColumn(db, k), db.IsPostgres, Zone)));
        return $"INSERT INTO fact_day_cases (case_id, {string.Join(", ", kinds.Select(k => $"d{(int)k}"))}) SELECT case_id, {days} FROM case_facts"
            + (where is null ? "" : " WHERE " + where);
    }

    /// <summary>
    /// The aggregate rows of one date over the facts the condition keeps, per local day and platform: the whole platform
    /// (''), each department and each street with the date's counters (<see cref="FactDayShape.CounterColumns"/>) — summed once per (day, platform, department, street)
    /// and rolled up from there, as the facts are many and those groups few — and each step's person with the counters
    /// of the figures grouped by them (the rest stay 0). Rows whose slice is empty are left out of it.
    /// </summary>
    string InsertSql(FactDate kind, string condition)
    {
        var date = FactDayShape.DateColumn(db, kind);
        var (dept, street) = (FactDayShape.Column(db, nameof(CaseFact.LeadDepartmentCode)), FactDayShape.Column(db, nameof(CaseFact.StreetCode)));
        var counters = FactDayShape.CounterColumns(db, kind);
        var extras = FactDayShape.ExtrasOf(kind);
        var all = counters.Concat(extras.Select(e => e.Column)).ToList();
        var key = db.IsPostgres ? "key" : "\"key\"";
        var day = FactDayShape.DaySql(date, db.IsPostgres, Zone);
        var sql = new StringBuilder();
        // Whole platform, departments, streets: from the (day, platform, department, street) sums.
        sql.Append($"WITH s AS {(db.IsPostgres ? "MATERIALIZED " : "")}(SELECT {day} AS fd_day, platform_code, {dept} AS fd_dept, {street} AS fd_street, COUNT(*) AS fact_rows, ");
        sql.Append(string.Join(", ", counters.Select(c => $"SUM({c}) AS {c}").Concat(extras.Select(e => $"SUM({e.Sql}) AS {e.Column}"))));
        sql.Append($" FROM case_facts WHERE {date} IS NOT NULL AND {condition} GROUP BY {day}, platform_code, {dept}, {street}) ");
        sql.Append($"INSERT INTO fact_days (dim, kind, day, {key}, platform_code, fact_rows, {string.Join(", ", all)}) ");
        var sums = "SUM(fact_rows), " + string.Join(", ", all.Select(c => $"SUM({c})"));
        sql.Append($"SELECT '', {(int)kind}, fd_day, '', platform_code, {sums} FROM s GROUP BY fd_day, platform_code");
        sql.Append($" UNION ALL SELECT '{dept}', {(int)kind}, fd_day, fd_dept, platform_code, {sums} FROM s WHERE fd_dept IS NOT NULL GROUP BY fd_day, platform_code, fd_dept");
        sql.Append($" UNION ALL SELECT '{street}', {(int)kind}, fd_day, fd_street, platform_code, {sums} FROM s WHERE fd_street IS NOT NULL GROUP BY fd_day, platform_code, fd_street;\n");
        // Each step's person: only the counters of the figures that name them.
        foreach (var actor in FactDayShape.DimProperties(kind).Except([nameof(CaseFact.LeadDepartmentCode), nameof(CaseFact.StreetCode)]))
        {
            var column = FactDayShape.Column(db, actor);
            var mine = IndicatorCatalogue.All.Where(d => d.Actor == actor && d.Date == kind)
                .SelectMany(d => new[] { d.Numerator, d.Denominator ?? d.Numerator }).Distinct().Select(n => FactDayShape.Column(db, n)).ToList();
            sql.Append($"INSERT INTO fact_days (dim, kind, day, {key}, platform_code, fact_rows, {string.Join(", ", mine)}) ");
            sql.Append($"SELECT '{column}', {(int)kind}, {day}, {column}, platform_code, COUNT(*), {string.Join(", ", mine.Select(c => $"SUM({c})"))}");
            sql.Append($" FROM case_facts WHERE {date} IS NOT NULL AND {column} IS NOT NULL AND {condition} GROUP BY {day}, platform_code, {column};\n");
        }
        return sql.ToString();
    }
}

/// <summary>The background job: catches the aggregates up once a <c>Figures:AggregateSeconds</c> (60 by default; 0 turns it off).</summary>
public sealed class FactDayWorker(IServiceScopeFactory scopes, IOptions<FiguresOptions> options, ILogger<FactDayWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.AggregateSeconds;
        if (seconds <= 0 || !options.Value.DayAggregates) return;
        try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(seconds, 10)), stoppingToken); }
        catch (OperationCanceledException) { return; }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<FactDayProjector>().CatchUpAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogWarning(e, "The figures' day aggregates could not catch up; figures read the facts for the days not aggregated.");
            }
            try { await Task.Delay(TimeSpan.FromSeconds(seconds), stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
