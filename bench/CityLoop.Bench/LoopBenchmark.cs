using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Bench;

/// <summary>
/// loop [--cases N] [--clients C]
/// The whole loop over HTTP on a durable PostgreSQL: concurrent clients each carry cases from intake through filing,
/// dispatch, sign-for, finish, check, close and follow-up, every step by the role that does it at the desk (agent,
/// shift leader, dispatcher, department handler, inspector), through the real server with its hooks and workers.
/// Prints completed cases per second and the p50/p99 of each step.
/// </summary>
public static class LoopBenchmark
{
    static readonly string[] Steps = ["intake", "file", "dispatch", "sign-for", "finish", "check-pass", "close", "follow-up"];

    public static async Task<int> Run(string[] args)
    {
        var cases = int.Parse(IntakeBenchmark.Option(args, "--cases") ?? "1000", CultureInfo.InvariantCulture);
        var clients = int.Parse(IntakeBenchmark.Option(args, "--clients") ?? "8", CultureInfo.InvariantCulture);
        // A warm server is what a city runs: tiered compilation optimises the hot code only after some thousands of
        // calls, and until then the JIT takes a third of the CPU (measured with perf on 1,200 cases without warm-up).
        var warmUp = int.Parse(IntakeBenchmark.Option(args, "--warm-up") ?? "4000", CultureInfo.InvariantCulture);
        PostgresServer.Durable = true;
        var cs = Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG") ?? PostgresServer.CreateDatabase("loop");
        Console.WriteLine($"loop benchmark: {cases} cases after {warmUp} not measured, {clients} clients, {Environment.ProcessorCount} cores, PostgreSQL (fsync on)");

        // The reference data and the desk accounts of the demo city (departments, catalogue, grids), no cases.
        var (app, agent) = await IntakeBenchmark.StartCityLoopAsync("postgres", cs, "bench-agent", [CityLoop.Domain.Identity.Role.HotlineAgent]);
        using (var scope = app.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        var address = agent.BaseAddress!.ToString();
        var desk = new Dictionary<string, HttpClient>();
        foreach (var user in new[] { "agent", "leader", "dispatcher", "handler", "inspector" })
            desk[user] = await SignInDemo(address, user);

        async Task<(bool Ok, string Body)> Step(string user, string path, object body)
        {
            using var response = await desk[user].PostAsJsonAsync(path, body);
            return (response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var latencies = Steps.ToDictionary(s => s, _ => new List<double>());
        var errors = 0;
        var completed = 0;
        var next = -1;
        async Task<bool> Timed(string step, Func<Task<(bool Ok, string Body)>> call, Action<string>? onBody = null)
        {
            var sw = Stopwatch.StartNew();
            var (ok, body) = await call();
            var ms = sw.Elapsed.TotalMilliseconds;
            lock (latencies) latencies[step].Add(ms);
            if (!ok)
            {
                if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine($"{step}: {body}");
                return false;
            }
            onBody?.Invoke(body);
            return true;
        }

        async Task Carry(int i)
        {
            var id = "";
            if (!await Timed("intake", () => Step("agent", "/api/v1/cases", new
                {
                    source = "hotline", requestType = "complaint", categoryCode = "C0101", description = $"全流程压测 {i}：金城中路井盖缺失",
                    address = "金城江区金城中路 12 号", location = new { lat = 24.69 + i % 100 * 1e-4, lon = 108.06 },
                    reporter = new { name = "测试", phone = "100" + (i % 100_000).ToString("D8", CultureInfo.InvariantCulture) },
                }), body => id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!)) return;
            var p = $"/api/v1/cases/{id}/actions/";
            if (!await Timed("file", () => Step("leader", p + "file", new { standardItem = "C0101-01", opinion = "立案" }))) return;
            if (!await Timed("dispatch", () => Step("dispatcher", p + "dispatch", new { leadDepartment = DemoSeeder.DemoDepartment }))) return;
            if (!await Timed("sign-for", () => Step("handler", p + "sign-for", new { }))) return;
            // The check goes to the grid's inspector; a point outside every grid has none, and the check is then the
            // agent's call-back to the citizen (the workflow's rule, not a benchmark shortcut).
            var checker = "inspector";
            if (!await Timed("finish", () => Step("handler", p + "finish", new { result = "已补装井盖" }),
                body => checker = JsonDocument.Parse(body).RootElement.GetProperty("flags").TryGetProperty("assignedInspector", out var a)
                    && a.ValueKind == JsonValueKind.String ? "inspector" : "agent")) return;
            if (!await Timed("check-pass", () => Step(checker, p + "check-pass", new { opinion = "核查通过" }))) return;
            if (!await Timed("close", () => Step("leader", p + "close", new { standardItem = "C0101-01" }))) return;
            if (!await Timed("follow-up", () => Step("agent", p + "follow-up", new { contacted = true, resolved = true, satisfaction = "satisfied" }))) return;
            Interlocked.Increment(ref completed);
        }

        // Warm-up, then the measured run.
        var warm = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref warm)) < Math.Max(clients, warmUp)) await Carry(-1 - i);
        }));
        foreach (var l in latencies.Values) l.Clear();
        completed = 0;
        errors = 0;
        var cpu = await CpuMeter.ForAsync(cs);
        Console.WriteLine($"[bench] warm-up done, measuring {cases} cases");
        var c0 = cpu.Now();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases) await Carry(i);
        }));
        wall.Stop();
        Console.WriteLine($"completed {completed} of {cases} cases in {wall.Elapsed.TotalSeconds:F1} s: {completed / wall.Elapsed.TotalSeconds:F1} complete cases/s, " +
            $"{completed * Steps.Length / wall.Elapsed.TotalSeconds:F0} requests/s, errors {errors}");
        // CPU per completed case (eight requests), this process (clients and server) and the PostgreSQL cluster.
        Console.WriteLine($"  {CpuMeter.PerCase(c0, cpu.Now(), Math.Max(1, completed))} (per complete case, {Steps.Length} requests)");
        foreach (var step in Steps)
        {
            var r = IntakeBenchmark.Summarise(latencies[step].ToArray(), 0, 0);
            Console.WriteLine($"  {step,-11} p50 {r.P50,7:F1} ms  p99 {r.P99,7:F1} ms");
        }

        // The ceiling: the commands one complete case makes the server send (its requests, hooks and the workers that
        // ran meanwhile), replayed by Npgsql alone with as many concurrent clients (CommandRecording).
        using (var recorded = await CommandRecording.RecordAsync(() => Carry(cases)))
        await using (var data = Npgsql.NpgsqlDataSource.Create(CityLoop.Server.Data.DatabaseSetup.PostgresDefaults(cs)))
        {
            Console.WriteLine($"one complete case's commands: {recorded.Statements} statements in {recorded.RoundTrips} round trips ({recorded.Transactions} transactions), {recorded.Parameters} parameters");
            await IntakeBenchmark.Measure(clients, Math.Max(clients, cases / 4), _ => recorded.ReplayAsync(data));
            var c1 = cpu.Now();
            var r = await IntakeBenchmark.Measure(clients, cases, _ => recorded.ReplayAsync(data));
            Console.WriteLine($"its commands alone: {r.PerSecond:F1} complete cases/s (the ceiling), p50 {r.P50:F1} ms, p99 {r.P99:F1} ms, errors {r.Errors}" +
                (recorded.FirstError is { } e ? $"; first error: {e}" : ""));
            Console.WriteLine($"  {CpuMeter.PerCase(c1, cpu.Now(), cases)} (per complete case)");
            if (args.Contains("--show-commands")) Console.WriteLine(recorded.Summary());
        }
        foreach (var c in desk.Values) c.Dispose();
        agent.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }

    static async Task<HttpClient> SignInDemo(string address, string user)
    {
        var http = new HttpClient { BaseAddress = new Uri(address) };
        var token = await (await http.PostAsJsonAsync("/api/v1/auth/token", new { userName = user, password = DemoSeeder.DemoPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
        return http;
    }
}
