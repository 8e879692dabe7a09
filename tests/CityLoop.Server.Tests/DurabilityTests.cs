using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>
/// The server process is killed (SIGKILL) in the middle of concurrent intakes on PostgreSQL; after a restart every
/// case whose intake was acknowledged is there, with its creation event, and intake goes on with fresh numbers.
/// </summary>
[Collection("postgres")]
public sealed class DurabilityTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task KillingTheServerDuringIntake_LosesNoAcknowledgedCase()
    {
        var port = FreePort();
        var acknowledged = new ConcurrentDictionary<Guid, string>();
        using (var server = StartServer(port))
        {
            var client = await SignedInClient(port, server);
            using var stop = new CancellationTokenSource();
            var failures = 0;
            var clients = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var response = await client.PostAsJsonAsync("/api/v1/cases", Api.Report($"断电测试 {w}-{i}：路灯不亮"));
                        if (response.StatusCode != HttpStatusCode.Created) { Interlocked.Increment(ref failures); continue; }
                        var c = await response.Content.ReadFromJsonAsync<JsonElement>();
                        acknowledged[c.Id()] = c.Str("number");
                    }
                    catch (Exception) when (stop.IsCancellationRequested || server.HasExited)
                    {
                        // The server died under this request: it was never acknowledged.
                        return;
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                }
            })).ToArray();

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (acknowledged.Count < 80 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(acknowledged.Count >= 80, $"only {acknowledged.Count} intakes acknowledged before the kill");
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            Assert.Equal(0, failures);
        }

        using (var restarted = StartServer(port))
        {
            var client = await SignedInClient(port, restarted);
            using (var scope = app.Factory.Services.CreateScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
                var ids = acknowledged.Keys.ToList();
                var stored = await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Number);
                var missing = acknowledged.Where(a => !stored.TryGetValue(a.Key, out var n) || n != a.Value).ToList();
                Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged cases are missing after the restart");
                var created = await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId) && e.Action == "create").CountAsync();
                Assert.Equal(ids.Count, created);
            }
            var after = await Api.CreateCase(client, Api.Report("重启后受理"));
            Assert.DoesNotContain(after.Str("number"), acknowledged.Values);
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync();
        }
    }

    Process StartServer(int port)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "CityLoop.Server.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[]
        {
            dll, "--urls", $"http://127.0.0.1:{port}", "--environment", "Production", "--Database:Provider=postgres",
            $"--Database:ConnectionString={app.ConnectionString}", "--Demo:Seed=false", "--Clocks:SweepSeconds=0",
            "--RateLimits:IntakePerMinute=1000000", "--RateLimits:SignInPerMinute=1000", "--Logging:LogLevel:Default=Warning",
        }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static async Task<HttpClient> SignedInClient(int port, Process server)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(server.HasExited, "the server process exited at start-up");
            try
            {
                using var health = await client.GetAsync("/health");
                if (health.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            Assert.True(DateTime.UtcNow < deadline, "the server did not start within 90 s");
            await Task.Delay(200);
        }
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = "agent", password = DemoSeeder.DemoPassword });
        token.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
        return client;
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
