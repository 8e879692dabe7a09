using CityLoop.Server.Features.Reference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The platform with an upper and a lower peer that cannot be reached (port 9 refuses connections).</summary>
public sealed class ExchangeAppFixture : AppFixture
{
    readonly string _dbFile = Path.Combine(Path.GetTempPath(), $"cityloop-ui-exchange-{Guid.NewGuid():N}.db");

    protected override string Provider => "sqlite";
    protected override string ConnectionString => $"Data Source={_dbFile}";

    protected override IEnumerable<string> ExtraArgs =>
    [
        "--Exchange:DeliverySeconds=0.2",
        "--Exchange:Peers:0:Code=451200", "--Exchange:Peers:0:Name=河池市平台", "--Exchange:Peers:0:Role=upper",
        "--Exchange:Peers:0:BaseUrl=http://127.0.0.1:9", "--Exchange:Peers:0:Secret=browser-test-secret-0123456789",
        "--Exchange:Peers:1:Code=451299", "--Exchange:Peers:1:Name=示例县平台", "--Exchange:Peers:1:Role=lower",
        "--Exchange:Peers:1:BaseUrl=http://127.0.0.1:9", "--Exchange:Peers:1:Secret=browser-test-secret-abcdefghij",
        "--Exchange:Peers:1:Department=P451299",
    ];

    protected override void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _dbFile, _dbFile + "-wal", _dbFile + "-shm" }) File.Delete(f);
    }
}

public sealed class ExchangeAdminTests(ExchangeAppFixture app) : IClassFixture<ExchangeAppFixture>
{
    [Fact]
    public async Task SystemAdministrator_SeesEachPeerLink_ItsQueueAndLastError_InChineseAndEnglish()
    {
        using (var scope = app.App.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<ReferenceImporter>().DepartmentsAsync("code,name,parentCode,kind\nP451299,示例县平台,,bureau\n");
        // A 市派 to the county that cannot be reached: it waits in the outbox with the connection error.
        await app.FiledCaseAsync("下派县平台的井盖案件", dispatchTo: "P451299");

        var page = await app.SignInAsync("admin", width: 1366, height: 768);
        await page.ClickAsync("#admin-nav-exchange");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/exchange$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("平台联网");
        var county = page.Locator("#exchange-table tr[data-peer='451299']");
        await Expect(county).ToContainTextAsync("下级平台（派遣单位 P451299）");
        await Expect(county.Locator("[data-field=queue]")).ToContainTextAsync("1");
        // The worker tries every 0.2 s: reload until its first failure is on the page.
        for (var i = 0; i < 50 && (await county.Locator("[data-field=error]").InnerTextAsync()) == "无"; i++)
        {
            await Task.Delay(300);
            await page.ReloadAsync();
        }
        await Expect(county.Locator("[data-field=error]")).ToContainTextAsync("127.0.0.1:9");
        await Expect(county.Locator("[data-field=success]")).ToHaveTextAsync("无");
        await Expect(page.Locator("#exchange-table tr[data-peer='451200']")).ToContainTextAsync("上级平台");
        await Expect(page.Locator("#exchange-table")).Not.ToContainTextAsync("browser-test-secret");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("admin-exchange.png") });

        await page.ClickAsync(".lang a");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Platform links");
        await Expect(county).ToContainTextAsync("Lower platform (department P451299)");
        await Expect(page.Locator("#exchange-table th").Nth(3)).ToHaveTextAsync("Queued");

        // Other administrators do not see it.
        var security = await app.SignInAsync("security", width: 1366, height: 768);
        await Expect(security.Locator("#admin-nav-exchange")).ToHaveCountAsync(0);
        var denied = await security.GotoAsync("/admin/exchange");
        Assert.True(denied!.Status == 403 || security.Url.Contains("Denied"), security.Url);
    }
}
