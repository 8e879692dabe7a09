using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The wall screen (大屏) and the desks' dashboards in Chromium.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    static async Task<int> Number(ILocator locator) => int.Parse((await locator.InnerTextAsync()).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task WallScreen_ShowsTheCitysFigures_UpdatesWithoutReload_AndShowsNoPersonalData()
    {
        var page = await app.SignInAsync("screen", width: 1920, height: 1080);
        Assert.Equal("/screen", new Uri(page.Url).AbsolutePath);
        await page.WaitForSelectorAsync("body[data-loaded]");
        await Expect(page.Locator("#month-figures li")).ToHaveCountAsync(4);
        await Expect(page.Locator("#month-figures")).ToContainTextAsync("办结率");
        await Expect(page.Locator("#chart-trend canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart-ranking canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator("#screen-map path.leaflet-interactive").First).ToBeVisibleAsync();

        var before = await Number(page.Locator("#kpi-today"));
        var loaded = await page.GetAttributeAsync("body", "data-loaded");
        var (_, number) = await app.FiledCaseAsync("大屏测试：路灯不亮");
        // No reload: the page fetches the figures again by itself.
        await Expect(page.Locator("#kpi-today")).ToHaveTextAsync((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        Assert.NotEqual(loaded, await page.GetAttributeAsync("body", "data-loaded"));
        await Expect(page.Locator("#latest-cases tr").First).ToContainTextAsync("待派遣");

        // The wall shows no reporter and no description, and the page does not scroll at 1920×1080.
        var text = await page.InnerTextAsync("body");
        Assert.DoesNotContain("王女士", text);
        Assert.DoesNotContain("13800001234", text);
        Assert.DoesNotContain(number, text);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await AppFixture.ChartsDrawnAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("wall-screen.png") });

        // The display account reads the screen and nothing else.
        var cases = await page.Context.APIRequest.GetAsync("/api/v1/cases");
        Assert.Equal(403, cases.Status);
        await page.GotoAsync("/Cases");
        Assert.Equal("/screen", new Uri(page.Url).AbsolutePath);
    }

    [Fact]
    public async Task Supervisor_LandsOnTheCityOverview_AndADepartmentHead_SeesTheirOwnRedCases()
    {
        var supervisor = await app.SignInAsync("supervisor", width: 1366, height: 768);
        Assert.Equal("/dashboard", new Uri(supervisor.Url).AbsolutePath);
        await supervisor.WaitForSelectorAsync("body [data-api]");
        await Expect(supervisor.Locator("h1")).ToContainTextAsync("全市概览");
        await Expect(supervisor.Locator("#month-figures li")).ToHaveCountAsync(4);
        await Expect(supervisor.Locator("#chart-ranking canvas")).ToHaveCountAsync(1);
        Assert.True(await supervisor.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await AppFixture.ChartsDrawnAsync(supervisor);
        await supervisor.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("dashboard-city.png"), FullPage = true });

        var head = await app.SignInAsync("depthead", width: 1366, height: 768);
        await head.GotoAsync("/dashboard");
        await Expect(head.Locator("h1")).ToContainTextAsync("市政管理处");
        await Expect(head.Locator("#chart-ranking")).ToHaveCountAsync(0);
        await Expect(head.Locator("#kpi-open")).Not.ToHaveTextAsync("—");
        var open = await Number(head.Locator("#kpi-open"));
        var red = await Number(head.Locator("#kpi-red"));
        await AppFixture.ChartsDrawnAsync(head);
        await head.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("dashboard-department.png"), FullPage = true });
        // A figure and the list behind it agree.
        await head.ClickAsync("#red-cases-link");
        await Expect(head.Locator("#case-count")).ToContainTextAsync($"共 {red} 件");
        await head.GoBackAsync();
        await head.ClickAsync("#open-cases-link");
        await Expect(head.Locator("#case-count")).ToContainTextAsync($"共 {open} 件");
    }
}
