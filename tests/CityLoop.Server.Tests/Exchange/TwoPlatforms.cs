using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Exchange;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityLoop.Server.Tests.Exchange;

/// <summary>
/// A city platform (451200) and its county (451202) in this process, each on its own database of the fixture's kind,
/// configured as each other's peer; their exchange HTTP client reaches the other's test server (or finds it "down").
/// Delivery runs by hand (<see cref="DeliverAsync"/>) at the shared fake clock's instants.
/// </summary>
public sealed class TwoPlatforms : IAsyncDisposable
{
    public const string UpperCode = "451200";
    public const string LowerCode = "451202";
    /// <summary>The department on the city platform that stands for the county platform.</summary>
    public const string LowerDepartment = "P451202";
    public const string Secret = "test-secret-0123456789abcdef";

    public FakeTimeProvider Clock { get; } = new(AppFixture.Start.ToUniversalTime());
    public WebApplicationFactory<Program> Upper { get; private set; } = null!;
    public WebApplicationFactory<Program> Lower { get; private set; } = null!;
    public Router Routes { get; } = new();
    public string LowerConnection { get; private set; } = "";
    readonly List<CityLoopFactory> _bases = [];
    string _provider = "";

    public static Dictionary<string, string> UpperSettings(string lowerUrl = "http://lower.test") => new()
    {
        ["Platform:Code"] = UpperCode,
        ["Platform:Name"] = "河池市城市综合管理服务平台",
        ["Exchange:DeliverySeconds"] = "0",
        ["Exchange:Peers:0:Code"] = LowerCode,
        ["Exchange:Peers:0:Name"] = "金城江区平台",
        ["Exchange:Peers:0:BaseUrl"] = lowerUrl,
        ["Exchange:Peers:0:Secret"] = Secret,
        ["Exchange:Peers:0:Role"] = "lower",
        ["Exchange:Peers:0:Department"] = LowerDepartment,
    };

    public static Dictionary<string, string> LowerSettings(string upperUrl = "http://upper.test") => new()
    {
        ["Platform:Code"] = LowerCode,
        ["Exchange:DeliverySeconds"] = "0",
        ["Exchange:Peers:0:Code"] = UpperCode,
        ["Exchange:Peers:0:Name"] = "河池市平台",
        ["Exchange:Peers:0:BaseUrl"] = upperUrl,
        ["Exchange:Peers:0:Secret"] = Secret,
        ["Exchange:Peers:0:Role"] = "upper",
    };

    public static async Task<TwoPlatforms> StartAsync(string provider)
    {
        var p = new TwoPlatforms { _provider = provider };
        p.Upper = await p.PlatformAsync(provider, UpperSettings(), upper: true);
        p.Lower = await p.PlatformAsync(provider, LowerSettings(), upper: false);
        p.Routes.Hosts["upper.test"] = () => p.Upper.Server.CreateHandler();
        p.Routes.Hosts["lower.test"] = () => p.Lower.Server.CreateHandler();
        return p;
    }

    async Task<WebApplicationFactory<Program>> PlatformAsync(string provider, Dictionary<string, string> settings, bool upper)
    {
        var connection = await CreateDatabaseAsync(provider);
        if (!upper) LowerConnection = connection;
        var factory = Node(connection, settings);
        using var scope = factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        await Features.Identity.TwoFactor.EnrolDemoAdministratorsAsync(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
        if (upper) await AddLowerDepartmentAsync(scope.ServiceProvider);
        return factory;
    }

    WebApplicationFactory<Program> Node(string connection, Dictionary<string, string> settings)
    {
        var baseFactory = new CityLoopFactory(_provider, connection, Clock, settings);
        _bases.Add(baseFactory);
        return baseFactory.WithWebHostBuilder(b => b.ConfigureServices(s =>
            s.AddHttpClient(ExchangeDelivery.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Routes)));
    }

    /// <summary>Another app node of the county on the county's database (two nodes delivering the same outbox).</summary>
    public WebApplicationFactory<Program> SecondLowerNode() => Node(LowerConnection, LowerSettings());

    /// <summary>The city's administrator adds the county platform as a department the dispatcher can send cases to.</summary>
    public static async Task AddLowerDepartmentAsync(IServiceProvider services)
    {
        var report = await services.GetRequiredService<ReferenceImporter>().DepartmentsAsync($"code,name,parentCode,kind\n{LowerDepartment},金城江区平台,,bureau\n");
        Assert.Empty(report.Errors);
    }

    public static Task<string> CreateDatabaseAsync(string provider)
    {
        if (provider == "postgres") return Task.FromResult(PostgresServer.CreateDatabase("exchange"));
        var dir = Path.Combine(Path.GetTempPath(), "cityloop-tests");
        Directory.CreateDirectory(dir);
        return Task.FromResult($"Data Source={Path.Combine(dir, $"exchange-{Guid.NewGuid():N}.db")}");
    }

    public async Task<HttpClient> As(WebApplicationFactory<Program> platform, string user)
    {
        var client = platform.CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new
        {
            userName = user, password = DemoSeeder.DemoPassword,
            otp = Features.Identity.TwoFactor.Code(Features.Identity.TwoFactor.DemoSecret, Clock.GetUtcNow()),
        });
        response.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
        return client;
    }

    /// <summary>A browser signed in to the platform's pages with a cookie (the case page, the admin pages).</summary>
    public static async Task<HttpClient> BrowserAs(WebApplicationFactory<Program> platform, string user)
    {
        var browser = platform.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await browser.GetStringAsync("/Account/Login");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var login = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user, ["Password"] = DemoSeeder.DemoPassword, ["__RequestVerificationToken"] = token,
        }));
        if (login.StatusCode != System.Net.HttpStatusCode.Redirect) throw new InvalidOperationException($"{user} could not sign in: {(int)login.StatusCode}");
        return browser;
    }

    /// <summary>One delivery pass of a platform, as its worker would run it.</summary>
    public static async Task<int> DeliverAsync(WebApplicationFactory<Program> platform)
    {
        using var scope = platform.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ExchangeDelivery>().DeliverDueAsync();
    }

    /// <summary>Delivers both ways until nothing moves (a status may cause a step that answers back).</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 20; i++)
            if (await DeliverAsync(Upper) + await DeliverAsync(Lower) == 0) return;
    }

    public static T Db<T>(WebApplicationFactory<Program> platform, Func<CityLoopDb, T> read)
    {
        using var scope = platform.Services.CreateScope();
        return read(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var b in _bases) await b.DisposeAsync();
    }

    /// <summary>Routes the exchange client to the other platform's test server; a host in <see cref="Down"/> refuses connections.</summary>
    public sealed class Router : HttpMessageHandler
    {
        public Dictionary<string, Func<HttpMessageHandler>> Hosts { get; } = [];
        public HashSet<string> Down { get; } = [];
        public List<(string Host, string Body)> Sent { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var host = request.RequestUri!.Host;
            if (Down.Contains(host)) throw new HttpRequestException($"Connection refused ({host})");
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(ct);
            lock (Sent) Sent.Add((host, body));
            using var invoker = new HttpMessageInvoker(Hosts[host](), disposeHandler: true);
            return await invoker.SendAsync(request, ct);
        }
    }

    /// <summary>Signs a body as a peer would, for tests that speak to the endpoint directly.</summary>
    public static HttpRequestMessage Signed(string fromPeer, string secret, string body, long timestamp, string path = ExchangeSigning.Path)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(ExchangeSigning.PeerHeader, fromPeer);
        request.Headers.Add(ExchangeSigning.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(ExchangeSigning.SignatureHeader, ExchangeSigning.Sign(secret, "POST", path, timestamp, bytes));
        return request;
    }
}
