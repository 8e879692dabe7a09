using System.Diagnostics;
using System.Globalization;
using CityLoop.Domain.Cases;
using CityLoop.Server;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CityLoop.Bench;

/// <summary>
/// clock-sweep [connection-string] [--cases N] [--catch-up-hours H] [--sweeps K] [--interval-seconds S] [--batch B]
/// Creates a fresh database on the given PostgreSQL server (or CITYLOOP_BENCH_PG), bulk-loads N open cases in handling
/// with their due instants spread over 10 days (binary COPY) as a worker that has been running would have left them
/// (overdue flags set, next check at each case's next checkpoint), then runs the clock worker's sweep as production
/// does: K sweeps S seconds apart, after an optional outage of H hours that the first sweep has to catch up.
/// Per sweep it prints the time taken, the cases and reminders touched, and the database's load from
/// pg_stat_database (transactions, blocks read/hit, tuples).
/// </summary>
public static class ClockSweepBenchmark
{
    static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.FromHours(8));
    /// <summary>The benchmark's "now" when the data is loaded: two days into the ten over which dues are spread.</summary>
    static readonly DateTimeOffset Start = T0.AddDays(2);

    public static async Task<int> Run(string[] args)
    {
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
        var server = positional.FirstOrDefault() ?? Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG");
        if (string.IsNullOrWhiteSpace(server))
        {
            // No server given: a throwaway cluster with durable settings, as the intake benchmark uses.
            CityLoop.Server.Tests.Infrastructure.PostgresServer.Durable = true;
            server = CityLoop.Server.Tests.Infrastructure.PostgresServer.CreateDatabase("sweep");
        }
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine("clock-sweep: give a PostgreSQL connection string (argument or CITYLOOP_BENCH_PG).");
            return 2;
        }
        int Option(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var count = Option("--cases", 500_000);
        var catchUpHours = Option("--catch-up-hours", 0);
        var sweeps = Option("--sweeps", 10);
        var interval = Option("--interval-seconds", 60);
        var batch = Option("--batch", 1000);

        var database = $"cityloop_bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = true }.ConnectionString;
        Console.WriteLine($"clock-sweep: database {database}, {count:N0} open cases, batch {batch}");

        var clock = new FakeTimeProvider(T0.ToUniversalTime());
        await using var provider = Services(connectionString, clock, batch);
        using (var scope = provider.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        }

        var load = Stopwatch.StartNew();
        using (var scope = provider.CreateScope())
            await LoadCasesAsync(connectionString, count, scope.ServiceProvider.GetRequiredService<ClockSweeper>());
        await using (var conn = new NpgsqlConnection(connectionString))
        {
            await conn.OpenAsync();
            await using var analyze = new NpgsqlCommand("ANALYZE cases; ANALYZE reminders", conn);
            await analyze.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"loaded {count:N0} cases in {load.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine("sweep  at(+08)            ms      cases  reminders  overdue  messages  xact  blks_read  blks_hit  tup_returned  tup_fetched  tup_ins  tup_upd");

        var at = Start.AddHours(catchUpHours).AddSeconds(interval);
        for (var i = 1; i <= sweeps; i++)
        {
            clock.SetUtcNow(at.ToUniversalTime());
            var before = await StatsAsync(connectionString, database);
            SweepResult result;
            using (var scope = provider.CreateScope())
                result = await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync();
            // Backends report their statistics at most once a second.
            await Task.Delay(1100);
            var after = await StatsAsync(connectionString, database);
            var d = after.Zip(before, (a, b) => a - b).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i,5}  {at.ToOffset(TimeSpan.FromHours(8)):yyyy-MM-dd HH:mm}  {result.Duration.TotalMilliseconds,8:F0}  {result.Cases,9}  {result.Reminders,9}  {result.MarkedOverdue,7}  {result.Messages,8}  {d[0],4}  {d[1],9}  {d[2],8}  {d[3],12}  {d[4],11}  {d[5],7}  {d[6],7}"));
            at = at.AddSeconds(interval);
        }
        await using (var conn = new NpgsqlConnection(connectionString))
        {
            await conn.OpenAsync();
            await using var size = new NpgsqlCommand("SELECT pg_size_pretty(pg_relation_size('ix_cases_next_check_at')), pg_size_pretty(pg_total_relation_size('cases'))", conn);
            await using var r = await size.ExecuteReaderAsync();
            await r.ReadAsync();
            Console.WriteLine($"index ix_cases_next_check_at {r.GetString(0)}, table cases {r.GetString(1)} (database {database} kept for inspection)");
        }
        return 0;
    }

    static ServiceProvider Services(string connectionString, FakeTimeProvider clock, int batch)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["Database:ConnectionString"] = connectionString,
            ["Clocks:BatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(config);
        services.AddSingleton<TimeProvider>(clock);
        services.Configure<PlatformOptions>(config.GetSection("Platform"));
        services.AddCityLoopDatabase(config);
        // In-app messages push through the SignalR hub context; with no connections it is a no-op.
        services.AddSignalR();
        CityLoopApp.AddDomainServices(services, config);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Open cases in handling at the platform's departments, dispatched over the day before T0 with a 3-day clock:
    /// due instants fall evenly over ten days from T0; the warning comes 20 % of the limit (14.4 h) before the due.
    /// Checkpoints before <see cref="Start"/> count as done, as the worker would have left them.
    /// </summary>
    static async Task LoadCasesAsync(string connectionString, int count, ClockSweeper sweeper)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var departments = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT code FROM departments WHERE kind <> 'bureau' ORDER BY code", conn))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) departments.Add(r.GetString(0));
        if (departments.Count == 0) departments.Add(DemoSeeder.DemoDepartment);

        var random = new Random(42);
        var span = TimeSpan.FromDays(10).Ticks;
        var done = new List<(Guid Case, DateTimeOffset Due, string Kind, int Level, DateTimeOffset At)>();
        await using (var writer = await conn.BeginBinaryImportAsync("""
            COPY cases (id, number, platform_code, state, version, source, request_type, category_code, description, urgency,
                outside_grid, confidential, anonymous, assisting_department_codes, lead_department_code, is_overdue, supervised,
                reopened_count, rework_count, return_count, closed_at_intake, created_at, created_by, updated_at, phase_started_at,
                dispatched_at, handling_due_at, clock_phase, clock_started_at, clock_due_at, clock_warn_at, next_check_at)
            FROM STDIN (FORMAT BINARY)
            """))
        {
            for (var i = 0; i < count; i++)
            {
                var due = (T0 + TimeSpan.FromTicks((long)(random.NextDouble() * span))).ToUniversalTime();
                var dispatched = due.AddDays(-3);
                var created = dispatched.AddHours(-2);
                var warn = due.AddHours(-14.4);
                var checkpoints = sweeper.Checkpoints(CasePhase.Handling, warn, due);
                var next = checkpoints.Select(p => p.At).Where(t => t > Start).Order().Cast<DateTimeOffset?>().FirstOrDefault();
                var id = Guid.CreateVersion7(created);
                foreach (var (at, kind, level) in checkpoints.Where(p => p.At <= Start && !(p.Kind == "warn" && due <= Start)))
                    done.Add((id, due, kind, level, at));
                await writer.StartRowAsync();
                await writer.WriteAsync(id, NpgsqlDbType.Uuid);
                await writer.WriteAsync($"451202-BENCH-{i:D7}", NpgsqlDbType.Varchar);
                await writer.WriteAsync("451202", NpgsqlDbType.Text);
                await writer.WriteAsync(nameof(CaseState.Handling), NpgsqlDbType.Varchar);
                await writer.WriteAsync(4, NpgsqlDbType.Integer);
                await writer.WriteAsync(nameof(CaseSource.Hotline), NpgsqlDbType.Varchar);
                await writer.WriteAsync(nameof(RequestType.Complaint), NpgsqlDbType.Varchar);
                await writer.WriteAsync("C0101", NpgsqlDbType.Text);
                await writer.WriteAsync($"基准测试案件 {i}：井盖缺失", NpgsqlDbType.Varchar);
                await writer.WriteAsync(nameof(Urgency.Normal), NpgsqlDbType.Varchar);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await writer.WriteAsync("", NpgsqlDbType.Text);
                await writer.WriteAsync(departments[random.Next(departments.Count)], NpgsqlDbType.Text);
                await writer.WriteAsync(due <= Start, NpgsqlDbType.Boolean);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await writer.WriteAsync(0, NpgsqlDbType.Integer);
                await writer.WriteAsync(0, NpgsqlDbType.Integer);
                await writer.WriteAsync(0, NpgsqlDbType.Integer);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await writer.WriteAsync(created, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync("bench", NpgsqlDbType.Text);
                await writer.WriteAsync(dispatched, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(dispatched, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(dispatched, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(due, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(nameof(CasePhase.Handling), NpgsqlDbType.Varchar);
                await writer.WriteAsync(dispatched, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(due, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(warn, NpgsqlDbType.TimestampTz);
                if (next is { } n) await writer.WriteAsync(n.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                else await writer.WriteNullAsync();
            }
            await writer.CompleteAsync();
        }

        // The reminders the earlier sweeps sent, so that the unique keys are there as in production.
        await using var reminders = await conn.BeginBinaryImportAsync(
            "COPY reminders (case_id, phase, kind, level, due_at, sent_at, recipients) FROM STDIN (FORMAT BINARY)");
        foreach (var r in done)
        {
            await reminders.StartRowAsync();
            await reminders.WriteAsync(r.Case, NpgsqlDbType.Uuid);
            await reminders.WriteAsync(nameof(CasePhase.Handling), NpgsqlDbType.Varchar);
            await reminders.WriteAsync(r.Kind, NpgsqlDbType.Varchar);
            await reminders.WriteAsync(r.Level, NpgsqlDbType.Integer);
            await reminders.WriteAsync(r.Due, NpgsqlDbType.TimestampTz);
            await reminders.WriteAsync(r.At.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            await reminders.WriteAsync(1, NpgsqlDbType.Integer);
        }
        await reminders.CompleteAsync();
    }

    /// <summary>xact_commit, blks_read, blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated of the database.</summary>
    static async Task<long[]> StatsAsync(string connectionString, string database)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT xact_commit, blks_read, blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated
            FROM pg_stat_database WHERE datname = @d
            """, conn);
        cmd.Parameters.AddWithValue("d", database);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return Enumerable.Range(0, 7).Select(r.GetInt64).ToArray();
    }
}
