using System.Net;
using System.Net.Http.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>What leaves the server is safe to open: exports without live formulas, headers that forbid sniffing and foreign scripts.</summary>
public abstract class SafeOutputTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task Export_NeutralisesSpreadsheetFormulas_AndIsNotCached()
    {
        var agent = await app.As("agent");
        var number = (await Api.CreateCase(agent, new
        {
            source = "hotline", requestType = "complaint", description = "=HYPERLINK(\"http://evil.example/\",\"点击\")", address = "@SUM(A1:A9)",
            reporter = new { name = "+cmd|' /C calc'!A0", phone = "-13812345678" },
        })).Str("number");
        var response = await agent.GetAsync($"/api/v1/cases/export?q={Uri.EscapeDataString("HYPERLINK")}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        var line = (await response.Content.ReadAsStringAsync()).Split('\n').Single(l => l.StartsWith(number, StringComparison.Ordinal));
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"点击\"\")\"", line);
        Assert.Contains(",'@SUM(A1:A9),", line);
        Assert.Contains("'+cmd|' /C calc'!A0", line);
        Assert.Contains(",'-13812345678,", line);
        Assert.DoesNotContain(",=", line);
    }

    [Fact]
    public async Task Responses_CarryNosniff_AndPagesAContentSecurityPolicy()
    {
        var page = await app.Anonymous().GetAsync("/Account/Login");
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);

        var api = await (await app.As("agent")).GetAsync("/api/v1/cases");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("sandbox", api.Headers.GetValues("Content-Security-Policy").Single());
        var problem = await app.Anonymous().GetAsync("/api/v1/cases");
        Assert.Equal("nosniff", problem.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public void TestScript_NeverStopsAPostgreSqlServerItDidNotStart()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CityLoop.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var script = File.ReadAllLines(Path.Combine(dir.FullName, "scripts", "test.sh")).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.DoesNotContain(script, l => l.Contains("pg_ctlcluster") || l.Contains("pg_ctl ") || l.Contains("systemctl") || l.Contains("service postgresql") || l.Contains("pkill") || l.Contains("killall"));
    }
}

[Collection("sqlite")]
public sealed class SafeOutputTests_Sqlite(SqliteApp app) : SafeOutputTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class SafeOutputTests_Postgres(PostgresApp app) : SafeOutputTests<PostgresApp>(app), IClassFixture<PostgresApp>;
