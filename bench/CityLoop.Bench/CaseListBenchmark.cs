using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CityLoop.Domain.Identity;
using CityLoop.Server;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// list [connection-string] [--cases N] [--years Y] [--queries K] [--seed S] [--database NAME]
/// Loads N generated case histories (<see cref="CaseHistoryGenerator"/>) into a fresh PostgreSQL database with binary
/// COPY, rebuilds the indexes, then asks the real server over HTTP the workbench's questions K times each with varied
/// parameters — first page of 20, totals capped — and prints p50/p99 per question. With --database NAME it skips the
/// load and queries an existing database (a second run on the same data).
/// </summary>
public static class CaseListBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
        var server = positional.FirstOrDefault() ?? Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG");
        if (string.IsNullOrWhiteSpace(server))
        {
            CityLoop.Server.Tests.Infrastructure.PostgresServer.Durable = true;
            server = CityLoop.Server.Tests.Infrastructure.PostgresServer.CreateDatabase("list");
        }
        var count = int.Parse(IntakeBenchmark.Option(args, "--cases") ?? "1000000", CultureInfo.InvariantCulture);
        var years = double.Parse(IntakeBenchmark.Option(args, "--years") ?? "3", CultureInfo.InvariantCulture);
        var queries = int.Parse(IntakeBenchmark.Option(args, "--queries") ?? "200", CultureInfo.InvariantCulture);
        var seed = int.Parse(IntakeBenchmark.Option(args, "--seed") ?? "12345", CultureInfo.InvariantCulture);
        var database = IntakeBenchmark.Option(args, "--database");
        var end = new DateTimeOffset(2026, 11, 30, 18, 0, 0, TimeSpan.FromHours(8));
        var start = end.AddDays(-365 * years);

        if (database is null)
        {
            database = $"cityloop_list_{count}_{DateTime.UtcNow:MMddHHmm}";
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
        Console.WriteLine($"case-list benchmark: database {database}, {Environment.ProcessorCount} cores");

        await using var provider = Services(connectionString);
        var sample = new Sample();
        using (var scope = provider.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
            if (!await db.Users.AnyAsync()) await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
            if (!await db.Cases.AnyAsync()) await LoadAsync(scope.ServiceProvider, connectionString, database, count, start, end, seed);
            await sample.FillAsync(connectionString, seed);
        }
        await QueryAsync(connectionString, sample, queries, seed, start, end);
        return 0;
    }

    static ServiceProvider Services(string connectionString)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["Database:ConnectionString"] = connectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(config);
        services.AddSingleton(TimeProvider.System);
        services.Configure<PlatformOptions>(config.GetSection("Platform"));
        services.AddCityLoopDatabase(config);
        services.AddSignalR();
        CityLoopApp.AddDomainServices(services, config);
        return services.BuildServiceProvider();
    }

    static async Task LoadAsync(IServiceProvider sp, string connectionString, string database, int count, DateTimeOffset start, DateTimeOffset end, int seed)
    {
        var db = sp.GetRequiredService<CityLoopDb>();
        var world = await GeneratorWorld.BuildAsync(db, sp.GetRequiredService<ReferenceCache>(), sp.GetRequiredService<IPlaceResolver>(),
            sp.GetRequiredService<IOptions<PlatformOptions>>().Value);
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var indexes = await CaseBulkLoader.DropIndexesAsync(conn, "cases", "case_events");
        var loader = new CaseBulkLoader(db);
        var sw = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var result = await loader.LoadAsync(connectionString, new CaseHistoryGenerator(world, seed).Generate(count, start, end), n =>
        {
            if (sw.Elapsed - lastReport < TimeSpan.FromSeconds(30)) return;
            lastReport = sw.Elapsed;
            Console.WriteLine($"  {n:N0} cases loaded, {n / sw.Elapsed.TotalSeconds:N0}/s");
        });
        Console.WriteLine($"generated and copied {result.Cases:N0} cases and {result.Events:N0} events in {result.Elapsed.TotalSeconds:F0} s");
        var rebuild = Stopwatch.StartNew();
        await CaseBulkLoader.RebuildIndexesAsync(conn, indexes, (name, t) => Console.WriteLine($"  index {name}: {t.TotalSeconds:F0} s"));
        Console.WriteLine($"indexes rebuilt in {rebuild.Elapsed.TotalSeconds:F0} s");
        var vacuum = Stopwatch.StartNew();
        foreach (var table in new[] { "cases", "case_events" })
        {
            await using var cmd = new NpgsqlCommand($"VACUUM (ANALYZE) {table}", conn) { CommandTimeout = 0 };
            await cmd.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"vacuum analyze in {vacuum.Elapsed.TotalSeconds:F0} s");
        await using (var cmd = new NpgsqlCommand("""
            SELECT pg_size_pretty(pg_database_size(current_database())),
                   pg_size_pretty(pg_table_size('cases')), pg_size_pretty(pg_indexes_size('cases')),
                   pg_size_pretty(pg_table_size('case_events')), pg_size_pretty(pg_indexes_size('case_events')),
                   pg_size_pretty(pg_relation_size('ix_cases_search_vector')),
                   pg_database_size(current_database()) / greatest(1, (SELECT count(*) FROM cases))
            """, conn))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            Console.WriteLine($"disk: database {r.GetString(0)} ({r.GetInt64(6):N0} bytes per case); cases {r.GetString(1)} + indexes {r.GetString(2)}; " +
                $"case_events {r.GetString(3)} + indexes {r.GetString(4)}; search index {r.GetString(5)}");
        }
    }

    /// <summary>Real parameter values drawn from the loaded data: departments, words, phones, streets, categories.</summary>
    sealed class Sample
    {
        public List<string> Words { get; } = [];
        public List<string> Phones { get; } = [];
        public List<string> Streets { get; } = [];
        public List<string> Categories { get; } = [];

        public async Task FillAsync(string connectionString, int seed)
        {
            var rng = new Random(seed);
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            async Task<List<string>> Column(string sql)
            {
                var list = new List<string>();
                await using var cmd = new NpgsqlCommand(sql, conn);
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) if (!r.IsDBNull(0)) list.Add(r.GetString(0));
                return list;
            }
            Phones.AddRange(await Column("SELECT reporter_phone FROM cases TABLESAMPLE SYSTEM (1) WHERE reporter_phone IS NOT NULL LIMIT 500"));
            Streets.AddRange(await Column("SELECT DISTINCT street_code FROM cases TABLESAMPLE SYSTEM (1) WHERE street_code IS NOT NULL"));
            Categories.AddRange(await Column("SELECT DISTINCT left(category_code, 3) FROM cases TABLESAMPLE SYSTEM (1) WHERE category_code LIKE 'C%' OR category_code LIKE 'E%'"));
            // Two-character words as people type them: any two adjacent Chinese characters of a real description.
            foreach (var text in await Column("SELECT description FROM cases TABLESAMPLE SYSTEM (1) LIMIT 2000"))
            {
                var pairs = Enumerable.Range(0, Math.Max(0, text.Length - 1)).Select(i => text.Substring(i, 2))
                    .Where(p => p.All(ch => ch >= 0x4E00 && ch <= 0x9FFF)).ToList();
                if (pairs.Count > 0) Words.Add(pairs[rng.Next(pairs.Count)]);
            }
        }
    }

    static async Task QueryAsync(string connectionString, Sample s, int queries, int seed, DateTimeOffset start, DateTimeOffset end)
    {
        var (app, agent) = await IntakeBenchmark.StartCityLoopAsync("postgres", connectionString, "bench-agent", [Role.HotlineAgent],
            extra: ["--Clocks:SweepSeconds=0"]);
        var address = agent.BaseAddress!.ToString();
        await IntakeBenchmark.CreateUserAsync(app.Services, "bench-dispatcher", [Role.Dispatcher]);
        await IntakeBenchmark.CreateUserAsync(app.Services, "bench-leader", [Role.ShiftLeader]);
        using var dispatcher = await IntakeBenchmark.SignInAsync(address, "bench-dispatcher");
        using var leader = await IntakeBenchmark.SignInAsync(address, "bench-leader");
        var departments = new List<HttpClient>();
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            foreach (var code in await db.Departments.Where(d => d.Kind != "bureau").Select(d => d.Code).Take(8).ToListAsync())
            {
                var name = $"bench-{code.ToLowerInvariant()}";
                await IntakeBenchmark.CreateUserAsync(app.Services, name, [Role.DepartmentHead, Role.DepartmentHandler], code);
                departments.Add(await IntakeBenchmark.SignInAsync(address, name));
            }
        }
        var rng = new Random(seed);
        T Any<T>(List<T> list) => list[rng.Next(list.Count)];
        string Month()
        {
            var from = start.AddDays(rng.NextDouble() * Math.Max(1, (end - start).TotalDays - 31));
            return $"&from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(from.AddDays(31).ToString("O"))}";
        }
        var open = "pending-sign-for,handling,return-requested,extension-requested,suspension-requested";
        var questions = new (string Name, Func<(HttpClient, string)> Next)[]
        {
            ("department inbox by deadline", () => (Any(departments), $"/api/v1/cases?state={open}&sort=due")),
            ("dispatcher queue (oldest first)", () => (dispatcher, "/api/v1/cases?state=pending-dispatch&sort=oldest")),
            ("state+category+area+month", () => (leader, $"/api/v1/cases?state={(rng.Next(2) == 0 ? "closed" : "handling")}&category={Any(s.Categories)}&area={Any(s.Streets)}{Month()}")),
            ("state+category+month", () => (leader, $"/api/v1/cases?state=closed&category={Any(s.Categories)}{Month()}")),
            ("text: two-character word", () => (agent, $"/api/v1/cases?q={Uri.EscapeDataString(Any(s.Words))}")),
            ("text: two words", () => (agent, $"/api/v1/cases?q={Uri.EscapeDataString(Any(s.Words) + " " + Any(s.Words))}")),
            ("caller's phone", () => (agent, $"/api/v1/cases?phone={Any(s.Phones)}")),
        };
        Console.WriteLine($"{"question",-34} {"runs",5} {"p50 ms",8} {"p99 ms",8} {"max ms",8}  {"mean total",10}  capped");
        foreach (var (name, next) in questions)
        {
            for (var w = 0; w < 5; w++) { var (c, u) = next(); await c.GetAsync(u); }
            var latencies = new double[queries];
            long totals = 0;
            var capped = 0;
            for (var i = 0; i < queries; i++)
            {
                var (client, url) = next();
                var sw = Stopwatch.StartNew();
                using var response = await client.GetAsync(url + "&pageSize=20");
                var body = await response.Content.ReadAsStringAsync();
                latencies[i] = sw.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {body}");
                using var json = JsonDocument.Parse(body);
                totals += json.RootElement.GetProperty("total").GetInt32();
                if (json.RootElement.GetProperty("totalCapped").GetBoolean()) capped++;
            }
            var r = IntakeBenchmark.Summarise(latencies, 0, 0);
            Console.WriteLine($"{name,-34} {queries,5} {r.P50,8:F1} {r.P99,8:F1} {latencies[^1],8:F1}  {totals / queries,10:N0}  {capped}");
        }
        foreach (var d in departments) d.Dispose();
        agent.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
