using System.Diagnostics;
using System.Globalization;
using CityLoop.Domain.Identity;
using CityLoop.Server;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Inspector;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// The scale benchmarks' data (the case list and the figures share it): a PostgreSQL database with the demo city's
/// reference data, a staff of inspectors each holding some of the grids with a day shift every day, and about N
/// generated cases over the years before <see cref="End"/> — the last week made by the domain, older weeks copies of
/// it moved by whole weeks (<see cref="CaseReplicator"/>) — loaded with binary COPY, indexes rebuilt after the load.
/// </summary>
public sealed record BenchData(string ConnectionString, string Database, DateTimeOffset Start, DateTimeOffset End, int Seed)
{
    /// <summary>The benchmarks' "now": the end of the generated period, a local midnight (2026-12-01 00:00 +08:00).</summary>
    public static readonly DateTimeOffset DefaultEnd = new(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Inspectors the benchmark adds beside the demo's one, each with a share of the grids.</summary>
    public const int Inspectors = 30;

    /// <summary>
    /// [connection-string] [--cases N] [--years Y] [--seed S] [--database NAME]: creates and loads a database, or with
    /// --database uses an existing one (migrated to the current schema, so new indexes are built on the loaded data).
    /// </summary>
    public static async Task<BenchData> PrepareAsync(string[] args, string prefix)
    {
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
        var server = positional.FirstOrDefault() ?? Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG");
        if (string.IsNullOrWhiteSpace(server))
        {
            CityLoop.Server.Tests.Infrastructure.PostgresServer.Durable = true;
            server = CityLoop.Server.Tests.Infrastructure.PostgresServer.CreateDatabase(prefix);
        }
        var count = int.Parse(IntakeBenchmark.Option(args, "--cases") ?? "1000000", CultureInfo.InvariantCulture);
        var years = double.Parse(IntakeBenchmark.Option(args, "--years") ?? "3", CultureInfo.InvariantCulture);
        var seed = int.Parse(IntakeBenchmark.Option(args, "--seed") ?? "12345", CultureInfo.InvariantCulture);
        var database = IntakeBenchmark.Option(args, "--database");
        var weeks = Math.Max(1, (int)Math.Round(years * 365.25 / 7));
        var end = DefaultEnd;
        var start = end - CaseReplicator.Week * weeks;

        if (database is null)
        {
            database = $"cityloop_{prefix}_{count}_{DateTime.UtcNow:MMddHHmm}";
            await using var admin = new NpgsqlConnection(server);
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        await using (var admin = new NpgsqlConnection(server))
        {
            // Storage on SSD: random reads cost little more than sequential ones (the README's PostgreSQL advice).
            await admin.OpenAsync();
            await using var set = new NpgsqlCommand($"ALTER DATABASE \"{database}\" SET random_page_cost = 1.1", admin);
            await set.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = true, CommandTimeout = 0 }.ConnectionString;
        // The callers' personal data is sealed with a key kept beside the database's name, so later runs can read it.
        var keys = Path.Combine(Path.GetTempPath(), "cityloop-bench-keys");
        Directory.CreateDirectory(keys);
        IntakeBenchmark.KeyFile = Path.Combine(keys, database + ".keys");
        Console.WriteLine($"{prefix} benchmark: database {database}, {Environment.ProcessorCount} cores, load average {LoadAverage()}");

        await using var provider = Services(connectionString);
        using (var scope = provider.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var migrate = Stopwatch.StartNew();
            await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
            if (migrate.Elapsed > TimeSpan.FromSeconds(5)) Console.WriteLine($"migrated in {migrate.Elapsed.TotalSeconds:F0} s");
            if (!await db.Users.AnyAsync())
            {
                await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
                await StaffAsync(scope.ServiceProvider, start, end);
            }
            if (!await db.Cases.AnyAsync()) await LoadAsync(scope.ServiceProvider, connectionString, count, weeks, end, seed);
        }
        return new BenchData(connectionString, database, start, end, seed);
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static ServiceProvider Services(string connectionString, TimeProvider? clock = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["Database:ConnectionString"] = connectionString,
            ["Privacy:KeyFile"] = IntakeBenchmark.BenchKeyFile(),
            ["Figures:DayAggregates"] = Environment.GetEnvironmentVariable("CITYLOOP_BENCH_NO_AGGREGATES") == "1" ? "false" : "true",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment
        {
            EnvironmentName = "Production", ApplicationName = "CityLoop.Bench", ContentRootPath = Directory.GetCurrentDirectory(),
        });
        services.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(config);
        services.AddSingleton(clock ?? TimeProvider.System);
        services.Configure<PlatformOptions>(config.GetSection("Platform"));
        services.AddCityLoopDatabase(config);
        services.AddSignalR();
        CityLoopApp.AddDomainServices(services, config);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// A city's worth of inspectors: <see cref="Inspectors"/> more, the grids shared among them in turn (the demo's
    /// one inspector keeps every 31st), each with a shift from 08:00 to 18:00 every day of the period.
    /// </summary>
    static async Task StaffAsync(IServiceProvider sp, DateTimeOffset start, DateTimeOffset end)
    {
        var db = sp.GetRequiredService<CityLoopDb>();
        for (var i = 1; i <= Inspectors; i++) await IntakeBenchmark.CreateUserAsync(sp, $"bench-inspector-{i:D2}", [Role.Inspector]);
        var names = new List<string> { "inspector" };
        names.AddRange(Enumerable.Range(1, Inspectors).Select(i => $"bench-inspector-{i:D2}"));
        var users = await db.Users.Where(u => names.Contains(u.UserName)).ToDictionaryAsync(u => u.UserName, u => u.Id);
        var grids = await db.Set<GridRow>().OrderBy(g => g.Code).ToListAsync();
        for (var i = 0; i < grids.Count; i++) grids[i].Inspector = names[i % names.Count];
        // Held since before the generated history (the 漏报 is counted by who had a grid then, decision 054).
        await db.Set<GridAssignmentRow>().ExecuteDeleteAsync();
        db.Set<GridAssignmentRow>().AddRange(grids.Select(g => new GridAssignmentRow
        {
            GridCode = g.Code, Inspector = g.Inspector!, ValidFrom = DateTimeOffset.UnixEpoch, AssignedBy = "system:bench",
        }));
        await db.SaveChangesAsync();
        var zone = sp.GetRequiredService<IOptions<PlatformOptions>>().Value.Zone;
        var shifts = new List<PatrolShift>();
        for (var day = start; day < end; day = day.AddDays(1))
        {
            var local = TimeZoneInfo.ConvertTime(day, zone);
            foreach (var name in names)
            {
                var from = new DateTimeOffset(local.Date.AddHours(8), local.Offset).ToUniversalTime();
                shifts.Add(new PatrolShift { UserId = users[name], UserName = name, StartedAt = from, EndedAt = from.AddHours(10), LastPositionAt = from.AddHours(10) });
            }
        }
        await using var conn = new NpgsqlConnection(db.Database.GetConnectionString());
        await conn.OpenAsync();
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY patrol_shifts (id, user_id, user_name, started_at, ended_at, last_position_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var s in shifts)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(s.Id, NpgsqlTypes.NpgsqlDbType.Uuid);
                await copy.WriteAsync(s.UserId, NpgsqlTypes.NpgsqlDbType.Uuid);
                await copy.WriteAsync(s.UserName, NpgsqlTypes.NpgsqlDbType.Text);
                await copy.WriteAsync(s.StartedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(s.EndedAt!.Value, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(s.LastPositionAt!.Value, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        // The reference cache holds the grids as they were loaded: the generator reads each grid's inspector from the database.
        Console.WriteLine($"staff: {names.Count} inspectors over {grids.Count} grids, {shifts.Count:N0} day shifts");
    }

    static async Task LoadAsync(IServiceProvider sp, string connectionString, int count, int weeks, DateTimeOffset end, int seed)
    {
        var db = sp.GetRequiredService<CityLoopDb>();
        var world = await GeneratorWorld.BuildAsync(db, sp.GetRequiredService<ReferenceCache>(), sp.GetRequiredService<IPlaceResolver>(),
            sp.GetRequiredService<IOptions<PlatformOptions>>().Value);
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var indexes = await CaseBulkLoader.DropIndexesAsync(conn, "cases", "case_events", "case_facts", "case_search");
        var loader = new CaseBulkLoader(db, sp.GetRequiredService<CityLoop.Server.Features.Privacy.PersonalDataKeys>());
        var sw = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        Console.WriteLine($"generating about {count:N0} cases over {weeks} weeks to {end:yyyy-MM-dd HH:mm zzz}: the last week's {count / weeks:N0} by the domain, first");
        var cases = new CaseReplicator(world, seed).Generate(count, weeks, end,
            n => Console.WriteLine($"  {n:N0} distinct histories made by the domain in {sw.Elapsed.TotalSeconds:F0} s"));
        var cpu = await CpuMeter.ForAsync(connectionString);
        var cpu0 = cpu.Now();
        var result = await loader.LoadAsync(connectionString, cases, n =>
        {
            if (sw.Elapsed - lastReport < TimeSpan.FromSeconds(60)) return;
            lastReport = sw.Elapsed;
            Console.WriteLine($"  {n:N0} cases loaded, {n / sw.Elapsed.TotalSeconds:N0}/s, load average {LoadAverage()}");
        });
        Console.WriteLine($"generated and copied {result.Cases:N0} cases ({result.Copies:N0} copies, {result.Cases - result.Copies:N0} made by the domain " +
            $"with {result.Events:N0} events) in {result.Elapsed.TotalSeconds:F0} s ({result.Cases / result.Elapsed.TotalSeconds:N0} cases/s)");
        var cpu1 = cpu.Now();
        Console.WriteLine($"  CPU: this process {(cpu1.App - cpu0.App).TotalSeconds:F0} s, PostgreSQL {(cpu1.Db - cpu0.Db).TotalSeconds:F0} s " +
            $"({CpuMeter.PerCase(cpu0, cpu1, (int)result.Cases)})");
        var rebuild = Stopwatch.StartNew();
        await CaseBulkLoader.RebuildIndexesAsync(connectionString, indexes, (name, t) => { if (t > TimeSpan.FromSeconds(20)) Console.WriteLine($"  index {name}: {t.TotalSeconds:F0} s"); });
        Console.WriteLine($"{indexes.Count} indexes rebuilt in {rebuild.Elapsed.TotalSeconds:F0} s");
        var vacuum = Stopwatch.StartNew();
        foreach (var table in new[] { "cases", "case_facts", "case_events", "patrol_shifts" })
        {
            await using var cmd = new NpgsqlCommand($"VACUUM (ANALYZE) {table}", conn) { CommandTimeout = 0 };
            await cmd.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"vacuum analyze in {vacuum.Elapsed.TotalSeconds:F0} s; total {sw.Elapsed.TotalMinutes:F1} min");
        await PrintDiskAsync(conn);
    }

    public static async Task PrintDiskAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT pg_database_size(current_database()), (SELECT count(*) FROM cases), (SELECT count(DISTINCT case_id) FROM case_events),
                   pg_table_size('cases'), pg_indexes_size('cases'), pg_table_size('case_search') + pg_indexes_size('case_search'),
                   pg_table_size('case_facts'), pg_indexes_size('case_facts'), pg_table_size('case_events'), pg_indexes_size('case_events')
            """, conn) { CommandTimeout = 0 };
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        var cases = Math.Max(1, r.GetInt64(1));
        var withEvents = Math.Max(1, r.GetInt64(2));
        string Per(long bytes, long n) => $"{bytes / 1e9:F2} GB ({bytes / (double)n:N0} B/case)";
        Console.WriteLine($"disk: database {Per(r.GetInt64(0), cases)} for {cases:N0} cases");
        Console.WriteLine($"  cases {Per(r.GetInt64(3), cases)} + indexes {Per(r.GetInt64(4), cases)} (search vectors and their indexes {Per(r.GetInt64(5), cases)})");
        Console.WriteLine($"  case_facts {Per(r.GetInt64(6), cases)} + indexes {Per(r.GetInt64(7), cases)}");
        Console.WriteLine($"  case_events {Per(r.GetInt64(8), withEvents)} + indexes {Per(r.GetInt64(9), withEvents)} — per case with events ({withEvents:N0})");
    }
}
