using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Identity;
using CityLoop.Server;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// Case intake through the real HTTP API (Kestrel on loopback, bearer token, JSON, the full write path: number, case
/// row, event row, hooks, one transaction) at several concurrency levels. On PostgreSQL each level first runs the
/// fixed reference (<see cref="ReferenceApp"/>: the same body, one INSERT, no authentication) with the same number of
/// HTTP clients and prints CityLoop's rate as a share of it, and samples the database sessions waiting on a lock
/// during CityLoop's run. Last, a paced run at a fixed arrival rate gives the latency an operator would see.
/// </summary>
public static class IntakeBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        var db = Option(args, "--db") ?? "postgres";
        var requests = int.Parse(Option(args, "--requests") ?? "2000", CultureInfo.InvariantCulture);
        var levels = (Option(args, "--levels") ?? "1,8,32").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var rate = int.Parse(Option(args, "--rate") ?? "200", CultureInfo.InvariantCulture);
        WarmUp = int.Parse(Option(args, "--warm-up") ?? "15000", CultureInfo.InvariantCulture);
        Console.WriteLine($"intake benchmark: {requests} requests per level, levels {string.Join(",", levels)}, {(rate > 0 ? $"paced run at {rate}/s" : "no paced run")}, {Environment.ProcessorCount} cores");
        if (db is "sqlite" or "both")
        {
            var file = Path.Combine(Path.GetTempPath(), $"cityloop-bench-{Guid.NewGuid():N}.db");
            await RunOne("sqlite", $"Data Source={file}", requests, levels, rate);
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(file) + "*")) File.Delete(f);
        }
        if (db is "postgres" or "both")
        {
            PostgresServer.Durable = true;
            var cs = Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG") ?? PostgresServer.CreateDatabase("bench");
            await RunOne("postgres", cs, requests, levels, rate);
        }
        return 0;
    }

    /// <summary>The personal-data key file of a loaded benchmark database (its data must be read with the key it was written with).</summary>
    public static string? KeyFile { get; set; }

    public static string BenchKeyFile()
    {
        var path = KeyFile ?? Path.Combine(Path.GetTempPath(), $"cityloop-bench-{Environment.ProcessId}.keys");
        if (!File.Exists(path)) CityLoop.Server.Features.Privacy.PersonalDataKeys.AddKey(path);
        return path;
    }

    /// <summary>Requests per warm-up round (<c>--warm-up</c>): the reference gets one round, CityLoop three.</summary>
    static int WarmUp = 15000;

    static async Task RunOne(string provider, string connectionString, int requests, int[] levels, int rate)
    {
        var (app, http) = await StartCityLoopAsync(provider, connectionString, "bench", [Role.HotlineAgent]);
        ReferenceApp? reference = null;
        HttpClient? refHttp = null;
        if (provider == "postgres")
        {
            reference = await ReferenceApp.StartAsync(connectionString);
            refHttp = new HttpClient { BaseAddress = new Uri(reference.Address) };
            await Measure(levels.Max(), WarmUp, i => Post(refHttp, "/cases", i));
        }

        var cpu = await CpuMeter.ForAsync(provider == "postgres" ? connectionString : null);
        // Warm-up: JIT (tiered compilation reaches its optimised code only after some thousands of calls: measured
        // CPU per case fell from 6.5 to 2.7 ms over the first 10,000 intakes with 200 warm-up requests), connection
        // pools, the first pages of the tables. CityLoop, the larger app, gets three rounds of it. A perf profile after
        // 3 x 3,000 rounds still had the JIT's tier-up thread at 13 % of the CPU and methods running instrumented
        // (dynamic PGO); after 3 x 15,000 the app's CPU per case was 1.73 ms instead of 2.46 ms.
        for (var round = 0; round < 3; round++) await Measure(levels.Max(), WarmUp, i => Post(http, "/api/v1/cases", i));
        // The ceiling: the commands one intake sends, replayed by Npgsql alone (CommandRecording).
        using var recorded = provider == "postgres" ? await CommandRecording.RecordAsync(() => Post(http, "/api/v1/cases", -1)) : null;
        // The same connection settings as CityLoop's (prepared statements, no reset on return to the pool).
        await using var recordedData = recorded is null ? null : NpgsqlDataSource.Create(DatabaseSetup.PostgresDefaults(connectionString));
        if (recorded is not null)
        {
            Console.WriteLine($"{provider,-8} an intake's commands: {recorded.Statements} statements in {recorded.RoundTrips} round trips, {recorded.Parameters} parameters:");
            Console.WriteLine(recorded.Summary());
            await Measure(levels.Max(), WarmUp / 3, _ => recorded.ReplayAsync(recordedData!));
        }
        foreach (var level in levels)
        {
            // The reference first, then CityLoop, back to back at each level, so that both see the same machine.
            var c0 = cpu.Now();
            var r0 = refHttp is null ? null : await Measure(level, requests, i => Post(refHttp, "/cases", i));
            var c1 = cpu.Now();
            var locks = provider == "postgres" ? LockSampler.Start(connectionString) : null;
            // A mark on stderr for a profiler that samples only CityLoop's measured run.
            Console.Error.WriteLine($"[bench] CityLoop run at concurrency {level} starts");
            var r = await Measure(level, requests, i => Post(http, "/api/v1/cases", i));
            var c2 = cpu.Now();
            var waits = locks is null ? "" : $"  sessions waiting on a lock: {await locks.StopAsync()}";
            Console.WriteLine($"{provider,-8} http-intake  concurrency {level,3}: {r.PerSecond,8:F0} cases/s  p50 {r.P50,7:F2} ms  p99 {r.P99,7:F2} ms  errors {r.Errors}{waits}");
            if (r0 is not null)
                Console.WriteLine($"{provider,-8} reference    concurrency {level,3}: {r0.PerSecond,8:F0} cases/s  p50 {r0.P50,7:F2} ms  p99 {r0.P99,7:F2} ms  errors {r0.Errors}  => CityLoop at {100 * r.PerSecond / r0.PerSecond:F0} % of the reference");
            if (r0 is not null) Console.WriteLine($"{provider,-8}   reference {CpuMeter.PerCase(c0, c1, requests)};  CityLoop {CpuMeter.PerCase(c1, c2, requests)}");
            if (recorded is not null && r0 is not null)
            {
                var w = await Measure(level, requests, _ => recorded.ReplayAsync(recordedData!));
                var c3 = cpu.Now();
                Console.WriteLine($"{provider,-8} its commands alone {level,3}: {w.PerSecond,8:F0} cases/s  p50 {w.P50,7:F2} ms  p99 {w.P99,7:F2} ms  errors {w.Errors}  => the ceiling: {100 * w.PerSecond / r0.PerSecond:F0} % of the reference");
                Console.WriteLine($"{provider,-8}   its commands alone {CpuMeter.PerCase(c2, c3, requests)}{(recorded.FirstError is { } e ? $"; first error: {e}" : "")}");
            }
        }
        // --rate 0 leaves the paced run out (a CPU-per-case measurement on a shared machine, where it would only add load).
        if (rate > 0)
        {
            var paced = await MeasureAtRate(rate, Math.Max(requests, rate * 10), i => Post(http, "/api/v1/cases", i));
            Console.WriteLine($"{provider,-8} http-intake  paced at {rate}/s: {paced.PerSecond,8:F0} cases/s  p50 {paced.P50,7:F2} ms  p99 {paced.P99,7:F2} ms  errors {paced.Errors}");
        }
        refHttp?.Dispose();
        if (reference is not null) await reference.DisposeAsync();
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>The real server on loopback, migrated and without demo data, with one signed-in user of the given roles.</summary>
    public static async Task<(WebApplication App, HttpClient Http)> StartCityLoopAsync(string provider, string connectionString, string user, Role[] roles,
        string? department = null, params string[] extra)
    {
        var app = CityLoopApp.Build([
            "--urls", "http://127.0.0.1:0", "--environment", "Production",
            $"--Database:Provider={provider}", $"--Database:ConnectionString={connectionString}",
            "--Demo:Seed=false", "--RateLimits:IntakePerMinute=100000000", "--RateLimits:SignInPerMinute=100000",
            "--Logging:LogLevel:Default=Warning", $"--Privacy:KeyFile={BenchKeyFile()}", .. extra,
        ]);
        await CityLoopApp.PrepareAsync(app);
        await CreateUserAsync(app.Services, user, roles, department);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = await SignInAsync(address, user);
        return (app, http);
    }

    public static async Task<HttpClient> SignInAsync(string address, string user)
    {
        var http = new HttpClient { BaseAddress = new Uri(address) };
        var token = await (await http.PostAsJsonAsync("/api/v1/auth/token", new { userName = user, password = Password }))
            .Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
        return http;
    }

    /// <summary>The one JSON body both CityLoop and the reference app receive.</summary>
    public static object Body(int i) => new
    {
        source = "hotline", requestType = "complaint", description = $"压测案件 {i}：金城中路井盖缺失，请尽快处理。",
        location = new { lat = 24.69 + i % 100 * 1e-4, lon = 108.06 }, reporter = new { name = "测试", phone = "13800000000" },
    };

    static async Task<bool> Post(HttpClient http, string path, int i)
    {
        using var response = await http.PostAsJsonAsync(path, Body(i));
        return response.IsSuccessStatusCode;
    }

    public sealed record Result(double PerSecond, double P50, double P99, int Errors);

    public static async Task<Result> Measure(int concurrency, int total, Func<int, Task<bool>> op)
    {
        var latencies = new double[total];
        var errors = 0;
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var sw = Stopwatch.StartNew();
                bool ok;
                try { ok = await op(i); }
                catch (Exception) { ok = false; }
                latencies[i] = sw.Elapsed.TotalMilliseconds;
                if (!ok) Interlocked.Increment(ref errors);
            }
        }));
        wall.Stop();
        return Summarise(latencies, total / wall.Elapsed.TotalSeconds, errors);
    }

    /// <summary>
    /// Open loop: request i starts at i / rate seconds whether or not earlier ones have answered, and its latency is
    /// counted from that scheduled instant, so a stall shows in the percentiles instead of slowing the clients down.
    /// </summary>
    public static async Task<Result> MeasureAtRate(int rate, int total, Func<int, Task<bool>> op)
    {
        var latencies = new double[total];
        var errors = 0;
        var wall = Stopwatch.StartNew();
        var tasks = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var scheduled = TimeSpan.FromSeconds((double)i / rate);
            var wait = scheduled - wall.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            var n = i;
            tasks.Add(Task.Run(async () =>
            {
                bool ok;
                try { ok = await op(n); }
                catch (Exception) { ok = false; }
                latencies[n] = (wall.Elapsed - scheduled).TotalMilliseconds;
                if (!ok) Interlocked.Increment(ref errors);
            }));
        }
        await Task.WhenAll(tasks);
        wall.Stop();
        return Summarise(latencies, total / wall.Elapsed.TotalSeconds, errors);
    }

    public static Result Summarise(double[] latencies, double perSecond, int errors)
    {
        Array.Sort(latencies);
        var n = latencies.Length;
        return new Result(perSecond, latencies[n / 2], latencies[Math.Min(n - 1, (int)(n * 0.99))], errors);
    }

    public const string Password = "Bench@12345x";

    public static async Task CreateUserAsync(IServiceProvider services, string name, Role[] roles, string? department = null, string? platform = null)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        if (await db.Users.AnyAsync(u => u.UserName == name)) return;
        var user = new User { UserName = name, DisplayName = name, Roles = User.FormatRoles(roles), DepartmentCode = department, PlatformCode = platform, CreatedAt = DateTimeOffset.UtcNow, PasswordChangedAt = DateTimeOffset.UtcNow };
        user.PasswordHash = Accounts.Hash(user, Password);
        db.Users.Add(user);
        await db.SaveChangesAsync();
    }

    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>
/// Samples pg_stat_activity every 20 ms while a run lasts and reports how often a session of the database was waiting
/// on a heavyweight lock (a row or transaction lock held by another intake), as "mean sessions (max)".
/// </summary>
public sealed class LockSampler
{
    readonly CancellationTokenSource _stop = new();
    readonly Task<(double Mean, int Max)> _task;

    LockSampler(string connectionString) => _task = Task.Run(() => SampleAsync(connectionString, _stop.Token));

    public static LockSampler Start(string connectionString) => new(connectionString);

    public async Task<string> StopAsync()
    {
        await _stop.CancelAsync();
        var (mean, max) = await _task;
        return string.Create(CultureInfo.InvariantCulture, $"mean {mean:F2}, max {max}");
    }

    static async Task<(double, int)> SampleAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(CancellationToken.None);
        long sum = 0, samples = 0;
        var max = 0;
        while (!ct.IsCancellationRequested)
        {
            await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", conn))
            {
                var n = Convert.ToInt32(await cmd.ExecuteScalarAsync(CancellationToken.None), CultureInfo.InvariantCulture);
                sum += n;
                samples++;
                max = Math.Max(max, n);
            }
            try { await Task.Delay(20, ct); }
            catch (OperationCanceledException) { break; }
        }
        return (samples == 0 ? 0 : (double)sum / samples, max);
    }
}
