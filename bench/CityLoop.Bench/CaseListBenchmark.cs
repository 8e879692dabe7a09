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
/// list [connection-string] [--cases N] [--years Y] [--queries K] [--seed S] [--database NAME] [--check] [--sub-centre P] [--only TEXT] [--slowest N]
/// Loads about N generated case histories (<see cref="BenchData"/>) into a fresh PostgreSQL database, then asks the
/// real server over HTTP the workbench's questions K times each with varied parameters — first page of 20, totals
/// capped — and prints p50/p99 per question. With --database NAME it skips the load and queries an existing database
/// (a second run on the same data, or the figures benchmark's). With --check it then compares K text pages with the
/// plain SQL answer. With --slowest N it prints each question's N slowest draws (address, total, partial).
/// </summary>
public static class CaseListBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        var queries = int.Parse(IntakeBenchmark.Option(args, "--queries") ?? "200", CultureInfo.InvariantCulture);
        var data = await BenchData.PrepareAsync(args, "list");
        // --sub-centre P: P % of the cases (by a hash of the id) belong to the sub-centre 451203, as a county's cases
        // would, before the questions (decision 042); the generated histories are the root platform's otherwise.
        if (IntakeBenchmark.Option(args, "--sub-centre") is { } share)
        {
            var buckets = (int)Math.Round(double.Parse(share, CultureInfo.InvariantCulture) * 256 / 100);
            await using var conn = new NpgsqlConnection(data.ConnectionString);
            await conn.OpenAsync();
            // The sub-centre is registered first, so that its cases' search vectors hold their terms qualified by it
            // (decision 045), as a sub-centre's own intakes would.
            await using (var register = new NpgsqlCommand(
                "INSERT INTO platforms (code, name, created_at, created_by) VALUES ('451203', '宜州区分中心', now(), 'bench') ON CONFLICT (code) DO NOTHING", conn))
                await register.ExecuteNonQueryAsync();
            await using var move = new NpgsqlCommand(
                "UPDATE cases SET platform_code = '451203' WHERE get_byte(decode(md5(id::text), 'hex'), 0) < @b AND platform_code <> '451203' " +
                "AND NOT EXISTS (SELECT 1 FROM cases WHERE platform_code = '451203')", conn) { CommandTimeout = 0 };
            move.Parameters.AddWithValue("b", buckets);
            var moved = await move.ExecuteNonQueryAsync();
            if (moved > 0)
            {
                // The move rewrote the moved cases' rows of case_search at the table's end; cases born on the sub-centre
                // would have them in arrival order, which the search's creation-time ranges rely on (decision 044).
                foreach (var sql in new[] { "CLUSTER case_search USING ix_case_search_created_at", "VACUUM ANALYZE cases", "VACUUM ANALYZE case_search" })
                {
                    await using var command = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
                    await command.ExecuteNonQueryAsync();
                }
            }
            Console.WriteLine($"sub-centre 451203: {moved:N0} cases moved to it ({share} %; none when it already held some)");
        }
        var sample = new Sample();
        await using (var provider = BenchData.Services(data.ConnectionString))
        using (var scope = provider.CreateScope())
            await sample.FillAsync(scope.ServiceProvider.GetRequiredService<CityLoopDb>(), data.ConnectionString, data.Seed);
        // --only TEXT: the questions and intake checks whose name contains TEXT (e.g. --only duplicate); their draws then differ from a whole run's.
        await QueryAsync(data.ConnectionString, sample, queries, data.Seed, data.Start, data.End, args.Contains("--check"), IntakeBenchmark.Option(args, "--only"),
            int.Parse(IntakeBenchmark.Option(args, "--slowest") ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Real parameter values drawn from the loaded data: departments, words, phones, streets, categories.</summary>
    sealed class Sample
    {
        public List<string> Words { get; } = [];
        public List<string> Phones { get; } = [];
        public List<string> Streets { get; } = [];
        public List<string> Categories { get; } = [];
        /// <summary>Recent cases with a category and a point: what an agent is typing in when the intake checks run.</summary>
        public List<(string Category, double Lat, double Lon, string? Address, string Description)> Places { get; } = [];

        public async Task FillAsync(CityLoopDb db, string connectionString, int seed)
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
            // The phones are sealed in the database: read through the model, which opens them.
            var withPhone = await Column($"SELECT id::text FROM cases TABLESAMPLE SYSTEM (1) REPEATABLE ({seed}) WHERE reporter_phone IS NOT NULL LIMIT 500");
            var ids = withPhone.Select(Guid.Parse).ToList();
            Phones.AddRange((await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => c.ReporterPhone).ToListAsync()).OfType<string>());
            Streets.AddRange(await Column($"SELECT DISTINCT street_code FROM cases TABLESAMPLE SYSTEM (1) REPEATABLE ({seed}) WHERE street_code IS NOT NULL ORDER BY 1"));
            Categories.AddRange(await Column($"SELECT DISTINCT left(category_code, 3) FROM cases TABLESAMPLE SYSTEM (1) REPEATABLE ({seed}) WHERE category_code LIKE 'C%' OR category_code LIKE 'E%' ORDER BY 1"));
            await using (var places = new NpgsqlCommand($"""
                SELECT category_code, latitude, longitude, address, description FROM cases
                WHERE created_at >= (SELECT max(created_at) FROM cases) - interval '30 days' AND latitude IS NOT NULL AND category_code IS NOT NULL
                ORDER BY md5(number || '{seed}') LIMIT 500
                """, conn))
            {
                await using var r = await places.ExecuteReaderAsync();
                while (await r.ReadAsync())
                    Places.Add((r.GetString(0), r.GetDouble(1), r.GetDouble(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4)));
            }
            // Two-character words as people type them: any two adjacent Chinese characters of a real description.
            foreach (var text in await Column($"SELECT description FROM cases TABLESAMPLE SYSTEM (1) REPEATABLE ({seed}) LIMIT 2000"))
            {
                var pairs = Enumerable.Range(0, Math.Max(0, text.Length - 1)).Select(i => text.Substring(i, 2))
                    .Where(p => p.All(ch => ch >= 0x4E00 && ch <= 0x9FFF)).ToList();
                if (pairs.Count > 0) Words.Add(pairs[rng.Next(pairs.Count)]);
            }
        }
    }

    /// <summary>
    /// --check: the text questions' first pages against the plain SQL answer (every match sorted, no bound): the same
    /// cases in the same order, unless the page says it is partial (decision 035) — the root agent's, and the sub-centre
    /// agent's among the sub-centre's cases (decision 045).
    /// </summary>
    static async Task CheckTextPagesAsync(string connectionString, HttpClient agent, Sample s, int queries, int seed, string? platform = null)
    {
        var rng = new Random(seed + 1);
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        int same = 0, partial = 0;
        for (var i = 0; i < queries; i++)
        {
            var text = i % 2 == 0 ? s.Words[rng.Next(s.Words.Count)] : s.Words[rng.Next(s.Words.Count)] + " " + s.Words[rng.Next(s.Words.Count)];
            using var page = JsonDocument.Parse(await agent.GetStringAsync($"/api/v1/cases?q={Uri.EscapeDataString(text)}&pageSize=20"));
            var got = page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("number").GetString()).ToList();
            await using var cmd = new NpgsqlCommand(platform is null
                ? "SELECT number FROM case_search WHERE search_vector @@ CAST(@q AS tsquery) ORDER BY created_at DESC, number DESC LIMIT 20"
                : "SELECT s.number FROM case_search s JOIN cases c ON c.id = s.case_id WHERE c.platform_code = @p AND s.search_vector @@ CAST(@q AS tsquery) ORDER BY s.created_at DESC, s.number DESC LIMIT 20", conn);
            if (platform is not null) cmd.Parameters.AddWithValue("p", platform);
            cmd.Parameters.AddWithValue("q", CityLoop.Server.Features.Search.BigramSearch.TsQuery(CityLoop.Server.Features.Search.Bigrams.Query(text)));
            cmd.CommandTimeout = 600;
            var want = new List<string?>();
            await using (var r = await cmd.ExecuteReaderAsync()) while (await r.ReadAsync()) want.Add(r.GetString(0));
            if (page.RootElement.GetProperty("partial").GetBoolean()) { partial++; continue; }
            if (!got.SequenceEqual(want)) throw new InvalidOperationException($"text page differs for '{text}': [{string.Join(",", got)}] vs [{string.Join(",", want)}]");
            same++;
        }
        Console.WriteLine($"check{(platform is null ? "" : " (sub-centre " + platform + ")")}: {same} text pages the same as every match sorted, {partial} partial (skipped)");
    }

    /// <summary>
    /// What an intake asks of the whole history (decision 040), through the services the API calls, read-only: the
    /// repeat check of a new report (the caller's or the same category's case closed nearby in the last 30 days), and
    /// the duplicate hints the agent desktop shows while the report is typed — at a recent case's category and point,
    /// with a caller's phone every other draw.
    /// </summary>
    static async Task IntakeChecksAsync(IServiceProvider services, Sample s, int queries, int seed, DateTimeOffset end, string? only = null)
    {
        if (s.Places.Count == 0) return;
        var rng = new Random(seed + 2);
        var agent = new Actor("bench-agent", "bench-agent", new HashSet<Role> { Role.HotlineAgent }, null);
        var checks = new (string Name, Func<IServiceProvider, int, Task> Ask)[]
        {
            ("repeat check at intake", async (sp, i) =>
            {
                var p = s.Places[rng.Next(s.Places.Count)];
                var input = new CityLoop.Domain.Cases.NewCase
                {
                    Source = CityLoop.Domain.Cases.CaseSource.Hotline, RequestType = CityLoop.Domain.Cases.RequestType.Complaint,
                    Description = p.Description, CategoryCode = p.Category, Latitude = p.Lat, Longitude = p.Lon, Address = p.Address,
                    ReporterPhone = i % 2 == 0 && s.Phones.Count > 0 ? s.Phones[rng.Next(s.Phones.Count)] : null,
                };
                await sp.GetServices<CityLoop.Server.Features.Cases.ICaseHook>().OfType<CityLoop.Server.Features.FollowUps.RepeatFinder>().Single()
                    .BeforeCreateAsync(input, end, default);
            }),
            ("duplicate hints (agent desktop)", async (sp, i) =>
            {
                var p = s.Places[rng.Next(s.Places.Count)];
                var phone = i % 2 == 0 && s.Phones.Count > 0 ? s.Phones[rng.Next(s.Phones.Count)] : null;
                await sp.GetRequiredService<CityLoop.Server.Features.Desk.DeskQueries>()
                    .DuplicatesAsync(agent, new CityLoop.Server.Features.Desk.DuplicateQuery(p.Description, p.Category, p.Address, p.Lat, p.Lon, phone));
            }),
        };
        foreach (var (name, ask) in checks)
        {
            if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            for (var w = 0; w < 5; w++) { using var scope = services.CreateScope(); await ask(scope.ServiceProvider, w); }
            var latencies = new double[queries];
            for (var i = 0; i < queries; i++)
            {
                using var scope = services.CreateScope();
                var sw = Stopwatch.StartNew();
                await ask(scope.ServiceProvider, i);
                latencies[i] = sw.Elapsed.TotalMilliseconds;
            }
            var r = IntakeBenchmark.Summarise(latencies, 0, 0);
            Console.WriteLine($"{name,-34} {queries,5} {r.P50,8:F1} {r.P99,8:F1} {latencies.Max(),8:F1}");
        }
    }

    static async Task QueryAsync(string connectionString, Sample s, int queries, int seed, DateTimeOffset start, DateTimeOffset end, bool check = false, string? only = null, int slowest = 0)
    {
        var (app, agent) = await IntakeBenchmark.StartCityLoopAsync("postgres", connectionString, "bench-agent", [Role.HotlineAgent],
            // The background jobs (clock sweep, daily aggregates, the retention pass that anonymises old callers) stay off:
            // they would change the data and share the machine while the list is timed.
            extra: ["--Clocks:SweepSeconds=0", "--Figures:AggregateSeconds=0", "--Privacy:WorkerSeconds=0"]);
        var address = agent.BaseAddress!.ToString();
        await IntakeBenchmark.CreateUserAsync(app.Services, "bench-dispatcher", [Role.Dispatcher]);
        await IntakeBenchmark.CreateUserAsync(app.Services, "bench-leader", [Role.ShiftLeader]);
        // An agent of the sub-centre 宜州区分中心 (decision 026): sees its platform's cases only.
        await IntakeBenchmark.CreateUserAsync(app.Services, "bench-yz-agent", [Role.HotlineAgent], platform: "451203");
        using var subAgent = await IntakeBenchmark.SignInAsync(address, "bench-yz-agent");
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
            // Last, so that the questions before it keep the draws they had before it was added.
            ("department list (newest first)", () => (Any(departments), "/api/v1/cases?page=1")),
            // A sub-centre's agent searching the text: only that platform's cases may answer, among a city's matches.
            ("text: word, sub-centre agent", () => (subAgent, $"/api/v1/cases?q={Uri.EscapeDataString(Any(s.Words))}")),
            // A department's handler searching its own cases, and a leader's text search narrowed by a state: the scope or the
            // filter is applied to each match, among the city's matches.
            ("text: word, department handler", () => (Any(departments), $"/api/v1/cases?q={Uri.EscapeDataString(Any(s.Words))}")),
            ("text: word + state, shift leader", () => (leader, $"/api/v1/cases?state=closed&q={Uri.EscapeDataString(Any(s.Words))}")),
            // Two words typed by the sub-centre's agent (decision 045).
            ("text: two words, sub-centre agent", () => (subAgent, $"/api/v1/cases?q={Uri.EscapeDataString(Any(s.Words) + " " + Any(s.Words))}")),
        };
        Console.WriteLine($"{"question",-34} {"runs",5} {"p50 ms",8} {"p99 ms",8} {"max ms",8}  {"mean total",10}  capped");
        foreach (var (name, next) in questions)
        {
            if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            for (var w = 0; w < 5; w++) { var (c, u) = next(); await c.GetAsync(u); }
            var latencies = new double[queries];
            var draws = new List<(double Ms, string Url, string Answer)>(queries);
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
                if (slowest > 0)
                    draws.Add((latencies[i], Uri.UnescapeDataString(url), $"total {json.RootElement.GetProperty("total").GetInt32()}"
                        + (json.RootElement.TryGetProperty("partial", out var p) && p.GetBoolean() ? ", partial" : "")));
            }
            var r = IntakeBenchmark.Summarise(latencies, 0, 0);
            Console.WriteLine($"{name,-34} {queries,5} {r.P50,8:F1} {r.P99,8:F1} {latencies[^1],8:F1}  {totals / queries,10:N0}  {capped}");
            foreach (var d in draws.OrderByDescending(d => d.Ms).Take(slowest)) Console.WriteLine($"    {d.Ms,8:F1} ms  {d.Url}  ({d.Answer})");
        }
        await IntakeChecksAsync(app.Services, s, queries, seed, end, only);
        if (check)
        {
            await CheckTextPagesAsync(connectionString, agent, s, queries, seed);
            await CheckTextPagesAsync(connectionString, subAgent, s, queries, seed, "451203");
        }
        foreach (var d in departments) d.Dispose();
        agent.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
