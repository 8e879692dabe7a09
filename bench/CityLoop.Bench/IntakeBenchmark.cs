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
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Bench;

/// <summary>
/// Case intake through the real HTTP API (Kestrel on loopback, bearer token, JSON, the full write path: number
/// sequence, case row, event row, one transaction) at several concurrency levels, then the raw single-row INSERT
/// rate of the same database with the same concurrency, as the ceiling to compare against.
/// </summary>
public static class IntakeBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        var db = Option(args, "--db") ?? "both";
        var requests = int.Parse(Option(args, "--requests") ?? "2000", CultureInfo.InvariantCulture);
        var levels = (Option(args, "--levels") ?? "1,4,16,64").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Console.WriteLine($"intake benchmark: {requests} requests per level, levels {string.Join(",", levels)}, {Environment.ProcessorCount} cores");
        if (db is "sqlite" or "both")
        {
            var file = Path.Combine(Path.GetTempPath(), $"cityloop-bench-{Guid.NewGuid():N}.db");
            await RunOne("sqlite", $"Data Source={file}", requests, levels);
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(file) + "*")) File.Delete(f);
        }
        if (db is "postgres" or "both")
        {
            PostgresServer.Durable = true;
            var cs = Environment.GetEnvironmentVariable("CITYLOOP_BENCH_PG") ?? PostgresServer.CreateDatabase("bench");
            await RunOne("postgres", cs, requests, levels);
        }
        return 0;
    }

    static string BenchKeyFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cityloop-bench-{Environment.ProcessId}.keys");
        if (!File.Exists(path)) CityLoop.Server.Features.Privacy.PersonalDataKeys.AddKey(path);
        return path;
    }

    static async Task RunOne(string provider, string connectionString, int requests, int[] levels)
    {
        var app = CityLoopApp.Build([
            "--urls", "http://127.0.0.1:0", "--environment", "Production",
            $"--Database:Provider={provider}", $"--Database:ConnectionString={connectionString}",
            "--Demo:Seed=false", "--RateLimits:IntakePerMinute=100000000", "--RateLimits:SignInPerMinute=1000",
            "--Logging:LogLevel:Default=Warning", $"--Privacy:KeyFile={BenchKeyFile()}",
        ]);
        await CityLoopApp.PrepareAsync(app);
        await CreateUserAsync(app.Services);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var token = await (await http.PostAsJsonAsync("/api/v1/auth/token", new { userName = "bench", password = "Bench@12345x" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());

        // Warm-up: JIT, connection pools, the first pages of the tables.
        await Measure(levels.Max(), 200, i => Post(http, i));
        foreach (var level in levels)
        {
            var r = await Measure(level, requests, i => Post(http, i));
            Console.WriteLine($"{provider,-8} http-intake  concurrency {level,3}: {r.PerSecond,8:F0} cases/s  p50 {r.P50,7:F2} ms  p99 {r.P99,7:F2} ms  errors {r.Errors}");
        }
        using (var scope = app.Services.CreateScope())
        {
            var cdb = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            await cdb.Database.ExecuteSqlRawAsync("CREATE TABLE IF NOT EXISTS bench_raw (id varchar(40) PRIMARY KEY, description varchar(4000) NOT NULL, created_at bigint NOT NULL)");
        }
        foreach (var level in levels)
        {
            var r = await Measure(level, requests, i => RawInsert(app.Services));
            Console.WriteLine($"{provider,-8} raw-insert   concurrency {level,3}: {r.PerSecond,8:F0} rows/s   p50 {r.P50,7:F2} ms  p99 {r.P99,7:F2} ms  errors {r.Errors}");
        }
        await app.StopAsync();
        await app.DisposeAsync();
    }

    static async Task<bool> Post(HttpClient http, int i)
    {
        var response = await http.PostAsJsonAsync("/api/v1/cases", new
        {
            source = "hotline", requestType = "complaint", description = $"压测案件 {i}：金城中路井盖缺失，请尽快处理。",
            location = new { lat = 24.69 + i % 100 * 1e-4, lon = 108.06 }, reporter = new { name = "测试", phone = "13800000000" },
        });
        return response.IsSuccessStatusCode;
    }

    /// <summary>One row per transaction (autocommit), as wide as a case description: the database's own ceiling.</summary>
    static async Task<bool> RawInsert(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "INSERT INTO bench_raw (id, description, created_at) VALUES (@id, @d, @t)";
        Add(cmd, "@id", Guid.NewGuid().ToString());
        Add(cmd, "@d", "压测案件：金城中路井盖缺失，请尽快处理。");
        Add(cmd, "@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync();
        return true;
    }

    static void Add(System.Data.Common.DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    sealed record Result(double PerSecond, double P50, double P99, int Errors);

    static async Task<Result> Measure(int concurrency, int total, Func<int, Task<bool>> op)
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
        Array.Sort(latencies);
        return new Result(total / wall.Elapsed.TotalSeconds, latencies[total / 2], latencies[(int)(total * 0.99)], errors);
    }

    static async Task CreateUserAsync(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        if (await db.Users.AnyAsync(u => u.UserName == "bench")) return;
        var user = new User { UserName = "bench", DisplayName = "bench", Roles = User.FormatRoles([Role.HotlineAgent]), CreatedAt = DateTimeOffset.UtcNow, PasswordChangedAt = DateTimeOffset.UtcNow };
        user.PasswordHash = Accounts.Hash(user, "Bench@12345x");
        db.Users.Add(user);
        await db.SaveChangesAsync();
    }

    static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
