using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Exchange;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityLoop.Server.Tests.Exchange;

/// <summary>
/// THE two-platform test: the city and the county as two real server processes on loopback, each on its own
/// PostgreSQL database, exchanging cases over signed HTTP. The county is killed in the middle of a stream of 市派 and
/// restarted; later the city is killed while the county's progress streams up, and restarted. Every case and every
/// status change arrives exactly once in effect, in order.
/// </summary>
[Collection("postgres")]
public sealed class TwoPlatformProcessTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    const int CaseCount = 8;
    static readonly Dictionary<string, CityLoopFactory> _readers = [];

    sealed record Platform(string Code, string Connection, int Port, string[] Args)
    {
        public Process? Process { get; set; }
        public string Url => $"http://127.0.0.1:{Port}";
    }

    [Fact]
    public async Task TwoServers_PeerStoppedAndRestartedMidStream_EveryCaseAndStatusArrivesOnceInOrder()
    {
        _ = app;
        var upperDb = await PrepareAsync(upper: true);
        var lowerDb = await PrepareAsync(upper: false);
        int upperPort = FreePort(), lowerPort = FreePort();
        var upper = new Platform(TwoPlatforms.UpperCode, upperDb, upperPort,
            Settings(TwoPlatforms.UpperSettings($"http://127.0.0.1:{lowerPort}")));
        var lower = new Platform(TwoPlatforms.LowerCode, lowerDb, lowerPort,
            Settings(TwoPlatforms.LowerSettings($"http://127.0.0.1:{upperPort}")));
        try
        {
            Start(upper);
            Start(lower);
            var city = await ClientAsync(upper);
            var county = await ClientAsync(lower);

            // A stream of 市派; the county dies in the middle of it and comes back while the rest queue up.
            var dispatched = new List<(Guid Id, string Number)>();
            for (var i = 0; i < CaseCount; i++)
            {
                if (i == CaseCount / 2) Stop(lower);
                var c = await Api.CreateCase(city["agent"], Api.Report($"市派测试 {i}：井盖缺失"));
                await Api.ActOk(city["leader"], c.Id(), "file", new { standardItem = "C0101-01" });
                await Api.ActOk(city["dispatcher"], c.Id(), "dispatch", new { leadDepartment = TwoPlatforms.LowerDepartment });
                dispatched.Add((c.Id(), c.Str("number")));
            }
            await Task.Delay(1500);
            Assert.True(Pending(upperDb) > 0, "the city should hold undelivered messages while the county is down");
            Start(lower);
            county = await ClientAsync(lower);
            await WaitAsync(() => Cases(lowerDb, CaseSource.UpperPlatform) == CaseCount && Pending(upperDb) == 0 && Pending(lowerDb) == 0, "every 市派 filed on the county");

            // The county works every case; the city dies in the middle of the progress streaming up.
            var lowerIds = LowerIds(lowerDb, dispatched.Select(d => d.Number));
            var steps = 0;
            foreach (var id in lowerIds.Values)
            {
                if (steps++ == CaseCount / 2) Stop(upper);
                await Api.ActOk(county["leader"], id, "file", new { standardItem = "C0101-01" });
                await Api.ActOk(county["dispatcher"], id, "dispatch", new { leadDepartment = "SZGLC" });
                await Api.ActOk(county["handler"], id, "sign-for");
                await Api.ActOk(county["handler"], id, "finish", new { result = $"已补装井盖 {id:N}" });
                await Api.ActOk(county["intake"], id, "check-pass");
                await Api.ActOk(county["leader"], id, "close", new { standardItem = "C0101-01" });
            }
            await Task.Delay(1500);
            Assert.True(Pending(lowerDb) > 0, "the county should hold undelivered messages while the city is down");
            Start(upper);
            await ClientAsync(upper);
            await WaitAsync(() => Pending(lowerDb) == 0 && Pending(upperDb) == 0, "the county's backlog drained");

            // Exactly once in effect, in order: per case, the city signed for it once, noted each county step once in the
            // county's order, and took the result once.
            foreach (var (id, number) in dispatched)
            {
                var events = Events(upperDb, id);
                Assert.Equal(["create", "file", "dispatch", "sign-for", "peer-status", "peer-status", "peer-status", "peer-status", "peer-status", "finish"],
                    events.Select(e => e.Action).Where(a => a is not ("notify" or "remind" or "follow-up-scheduled")).ToArray());
                Assert.Equal(["file", "dispatch", "sign-for", "finish", "check-pass"],
                    events.Where(e => e.Action == "peer-status").Select(e => JsonDocument.Parse(e.Payload!).RootElement.GetProperty("action").GetString()!).ToArray());
                Assert.Equal($"已补装井盖 {lowerIds[number]:N}", JsonDocument.Parse(events.Single(e => e.Action == "finish").Payload!).RootElement.GetProperty("result").GetString());
            }
            // Each side applied exactly the messages the other sent, each once.
            AssertSameMessages(upperDb, lowerDb);
            AssertSameMessages(lowerDb, upperDb);
            Assert.Equal(CaseCount, Cases(lowerDb, CaseSource.UpperPlatform));
        }
        finally
        {
            Stop(upper);
            Stop(lower);
            foreach (var f in _readers.Values) await f.DisposeAsync();
            _readers.Clear();
        }
    }

    static string[] Settings(Dictionary<string, string> exchange)
    {
        exchange["Exchange:DeliverySeconds"] = "0.3";
        exchange["Exchange:FirstRetrySeconds"] = "0.5";
        exchange["Exchange:MaxBackoffSeconds"] = "2";
        exchange["Exchange:TimeoutSeconds"] = "20";
        return exchange.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
    }

    /// <summary>A database of the platform's own, with the schema, the demo reference data and staff, and (on the city) the county as a department.</summary>
    async Task<string> PrepareAsync(bool upper)
    {
        var connection = PostgresServer.CreateDatabase("exchange");
        // Kept open to read the database afterwards; it has no peers, so it sends nothing itself.
        var factory = new CityLoopFactory("postgres", connection, new FakeTimeProvider(DateTimeOffset.UtcNow));
        _readers[connection] = factory;
        using var scope = factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        if (upper) await TwoPlatforms.AddLowerDepartmentAsync(scope.ServiceProvider);
        return connection;
    }

    static void Start(Platform p)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "CityLoop.Server.dll"), "--urls", p.Url, "--environment", "Production",
            "--Database:Provider=postgres", $"--Database:ConnectionString={p.Connection}", "--Demo:Seed=false", "--Clocks:SweepSeconds=0",
            "--RateLimits:IntakePerMinute=1000000", "--RateLimits:SignInPerMinute=1000", "--Logging:LogLevel:Default=Warning",
            $"--Privacy:KeyFile={CityLoopFactory.KeyFile}", "--Security:PasswordMaxAgeDays=3650",
        }.Concat(p.Args)) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        p.Process = process;
    }

    static void Stop(Platform p)
    {
        if (p.Process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
        p.Process = null;
    }

    static async Task<Dictionary<string, HttpClient>> ClientAsync(Platform p)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        using (var probe = new HttpClient { BaseAddress = new Uri(p.Url), Timeout = TimeSpan.FromSeconds(10) })
        {
            while (true)
            {
                Assert.False(p.Process!.HasExited, $"the {p.Code} server exited at start-up");
                try
                {
                    using var health = await probe.GetAsync("/health");
                    if (health.IsSuccessStatusCode) break;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                Assert.True(DateTime.UtcNow < deadline, $"the {p.Code} server did not start within 120 s");
                await Task.Delay(200);
            }
        }
        var clients = new Dictionary<string, HttpClient>();
        foreach (var user in new[] { "agent", "leader", "dispatcher", "handler", "intake" })
        {
            // A shared CI machine under load can take long over a first request; the test is about what arrives, not how fast.
            var client = new HttpClient { BaseAddress = new Uri(p.Url), Timeout = TimeSpan.FromSeconds(180) };
            var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = user, password = DemoSeeder.DemoPassword });
            token.EnsureSuccessStatusCode();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
            clients[user] = client;
        }
        return clients;
    }

    static async Task WaitAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(300);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 300 s: {what}");
            await Task.Delay(250);
        }
    }

    static T Read<T>(string connection, Func<CityLoopDb, T> read)
    {
        using var scope = _readers[connection].Services.CreateScope();
        return read(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
    }

    static int Pending(string connection) => Read(connection, db => db.Set<ExchangeOutboxRow>().Count(o => o.DeliveredAt == null));

    static int Cases(string connection, CaseSource source) => Read(connection, db => db.Cases.Count(c => c.Source == source));

    static Dictionary<string, Guid> LowerIds(string connection, IEnumerable<string> upperNumbers)
    {
        var numbers = upperNumbers.ToList();
        return Read(connection, db => db.Cases.Where(c => numbers.Contains(c.ExternalId!)).ToDictionary(c => c.ExternalId!, c => c.Id));
    }

    static List<CaseEvent> Events(string connection, Guid caseId) =>
        Read(connection, db => db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId).OrderBy(e => e.Seq).ToList());

    static void AssertSameMessages(string from, string to)
    {
        var sent = Read(from, db => db.Set<ExchangeOutboxRow>().Select(o => o.MessageId).ToList());
        var applied = Read(to, db => db.Set<ExchangeInboxRow>().Select(i => i.MessageId).ToList());
        Assert.NotEmpty(sent);
        Assert.Equal(sent.Order(), applied.Order());
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
