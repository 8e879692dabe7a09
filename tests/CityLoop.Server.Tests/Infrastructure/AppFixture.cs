using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>The platform over HTTP on one database; subclasses choose SQLite or PostgreSQL.</summary>
public abstract class AppFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));
    public FakeTimeProvider Clock { get; } = new(Start.ToUniversalTime());
    public abstract string Provider { get; }
    public string ConnectionString { get; private set; } = "";
    public CityLoopFactory Factory { get; private set; } = null!;
    readonly Dictionary<string, (string Token, DateTimeOffset At)> _tokens = [];

    protected abstract string CreateDatabase();

    public async Task InitializeAsync()
    {
        ConnectionString = CreateDatabase();
        Factory = NewFactory();
        using var scope = Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        // As in Development: the administrators have a second factor, and As() sends its code.
        await Features.Identity.TwoFactor.EnrolDemoAdministratorsAsync(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
    }

    /// <summary>A second app node (or a restarted one) on the same database.</summary>
    public CityLoopFactory NewFactory(IReadOnlyDictionary<string, string>? settings = null) => new(Provider, ConnectionString, Clock, settings);

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    public HttpClient Anonymous() => Factory.CreateClient();

    public async Task<HttpClient> As(string user, CityLoopFactory? factory = null)
    {
        factory ??= Factory;
        var client = factory.CreateClient();
        // Tokens expire on the test clock too: sign in again once it has moved on.
        if (!_tokens.TryGetValue(user, out var cached) || Clock.GetUtcNow() - cached.At > TimeSpan.FromMinutes(30))
        {
            var response = await client.PostAsJsonAsync("/api/v1/auth/token", new
            {
                userName = user, password = DemoSeeder.DemoPassword, otp = Features.Identity.TwoFactor.Code(Features.Identity.TwoFactor.DemoSecret, Clock.GetUtcNow()),
            });
            response.EnsureSuccessStatusCode();
            cached = ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!, Clock.GetUtcNow());
            _tokens[user] = cached;
        }
        var token = cached.Token;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public T Service<T>(Action<T>? use = null) where T : notnull => Factory.Services.GetRequiredService<T>();
}

public sealed class CityLoopFactory(string provider, string connectionString, FakeTimeProvider clock, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<Program>
{
    static readonly Lazy<string> TestKeyFile = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "cityloop-tests", $"privacy-{Environment.ProcessId}.keys");
        if (!File.Exists(path)) CityLoop.Server.Features.Privacy.PersonalDataKeys.AddKey(path);
        return path;
    });

    /// <summary>The personal-data key file shared by every app node of this test run.</summary>
    public static string KeyFile => TestKeyFile.Value;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", provider);
        builder.UseSetting("Database:ConnectionString", connectionString);
        builder.UseSetting("Demo:Seed", "false");
        // Tests sweep the clocks by hand, at the fake clock's instants.
        builder.UseSetting("Clocks:SweepSeconds", "0");
        // The audit chainer and retention pass are run by hand too; the personal-data key comes from a file, as in production.
        builder.UseSetting("Privacy:WorkerSeconds", "0");
        builder.UseSetting("Privacy:KeyFile", KeyFile);
        // The figures' day aggregates are built by hand (FactDayTests), not by the background job.
        builder.UseSetting("Figures:AggregateSeconds", "0");
        builder.UseSetting("RateLimits:SignInPerMinute", "100000");
        builder.UseSetting("RateLimits:IntakePerMinute", "100000");
        // The test clock travels months ahead of the seed: the demo passwords must not expire on the way.
        builder.UseSetting("Security:PasswordMaxAgeDays", "3650");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // The test clock jumps back and forth between dates, and As() signs administrators in with the code of that
        // instant: the replay guard (a code accepted once) is switched on by its own test.
        builder.UseSetting("Security:TotpReplayGuard", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureServices(s =>
        {
            s.RemoveAll<TimeProvider>();
            s.AddSingleton<TimeProvider>(clock);
        });
    }
}

public sealed class SqliteApp : AppFixture
{
    public override string Provider => "sqlite";

    protected override string CreateDatabase()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cityloop-tests");
        Directory.CreateDirectory(dir);
        return $"Data Source={Path.Combine(dir, $"{Guid.NewGuid():N}.db")}";
    }
}

public sealed class PostgresApp : AppFixture
{
    public override string Provider => "postgres";

    protected override string CreateDatabase() => PostgresServer.CreateDatabase("cityloop");
}
