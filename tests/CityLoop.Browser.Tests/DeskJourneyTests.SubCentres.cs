using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The city centre and the demo sub-centres (decision 026) at the desk's size, 1366 × 768.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task TheCityHandsACaseToASubCentre_ItsDispatcherFindsItInTheQueue_TheOtherSubCentreCannotOpenIt()
    {
        var (id, number) = await app.FiledCaseAsync("宜州区庆远镇窨井盖破损（市中心受理）", category: "C0101", standard: "C0101-01");

        // The city's dispatcher hands the case to 宜州区分中心 from the case page.
        var city = await app.SignInAsync("dispatcher", width: 1366, height: 768);
        await city.GotoAsync($"/Cases/{id}");
        await city.ClickAsync("#act-hand-over summary");
        await Pickers.ChooseAsync(city, "#act-hand-over", "platform", "宜州", "451203");
        await city.FillAsync("#act-hand-over textarea[name=opinion]", "属宜州区辖区，移交宜州区分中心办理");
        await city.ClickAsync("#submit-hand-over");
        await Expect(city.Locator("#flash")).ToBeVisibleAsync();
        var entry = city.Locator("#timeline li[data-action='hand-over']");
        await Expect(entry).ToContainTextAsync("移交至：宜州区分中心");

        // The sub-centre's dispatcher finds it waiting in their dispatch queue, and the case page names who handed it over.
        var yz = await app.SignInAsync("yz-dispatcher", width: 1366, height: 768);
        await yz.GotoAsync("/Dispatch?tab=dispatch");
        await Expect(yz.Locator($"#desk-list li[data-case='{number}']")).ToHaveCountAsync(1);
        await yz.GotoAsync($"/Cases/{id}");
        await Expect(yz.Locator("#timeline li[data-action='hand-over']")).ToContainTextAsync("移出平台：金城江区城市综合管理服务平台");
        await Expect(yz.Locator("#act-dispatch")).ToHaveCountAsync(1);
        Assert.True(await yz.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the case page scrolls sideways");
        await yz.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("sub-centre-hand-over.png"), FullPage = true });

        // The other sub-centre's dispatcher gets 404 for it.
        var dl = await app.SignInAsync("dl-dispatcher", width: 1366, height: 768);
        var response = await dl.GotoAsync($"/Cases/{id}");
        Assert.Equal(404, response!.Status);
        await dl.GotoAsync("/Dispatch?tab=dispatch");
        await Expect(dl.Locator($"#desk-list li[data-case='{number}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ASubCentresStaff_SeeTheirOwnPlatformOnTheHeaderAndTheWallScreen_AndTheirAdministratorReadsTheCitysCatalogue()
    {
        // The sub-centre's shift leader: the header and the wall screen name 宜州区分中心, never the city's platform.
        var yz = await app.SignInAsync("yz-leader", width: 1366, height: 768);
        await yz.GotoAsync("/Cases");
        await Expect(yz.Locator("#platform-name")).ToHaveTextAsync("宜州区分中心");
        await Expect(yz).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("· 宜州区分中心$"));
        await yz.GotoAsync("/dashboard");
        await Expect(yz.Locator("#dashboard-title")).ToHaveTextAsync("宜州区分中心 · 本分中心概览");
        await yz.SetViewportSizeAsync(1920, 1080);
        await yz.GotoAsync("/screen");
        await Expect(yz.Locator("#screen-platform")).ToHaveTextAsync("宜州区分中心 · 分中心指挥大屏");
        // Its own figures: the open count is the sub-centre's (a few demo cases), filled in by the script.
        await Expect(yz.Locator("#kpi-open")).Not.ToHaveTextAsync("—");
        await AppFixture.ChartsDrawnAsync(yz);
        await yz.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("sub-centre-wall-screen.png") });

        // The city's shift leader: the city platform's name on the whole city's screen.
        var city = await app.SignInAsync("leader", width: 1920, height: 1080);
        await city.GotoAsync("/screen");
        await Expect(city.Locator("#screen-platform")).ToHaveTextAsync("金城江区城市综合管理服务平台 · 全市指挥大屏");

        // The sub-centre's administrator reads the city's catalogue without its forms, and is not offered the peer links.
        var admin = await app.SignInAsync("yz-admin", width: 1366, height: 768);
        await admin.GotoAsync("/admin/reference/categories?kind=component");
        await Expect(admin.Locator("#catalogue-read-only")).ToBeVisibleAsync();
        await Expect(admin.Locator("input[name=timeLimit]")).ToHaveCountAsync(0);
        await admin.GotoAsync("/admin/users");
        await Expect(admin.Locator("#admin-nav-exchange")).ToHaveCountAsync(0);
        await Expect(admin.Locator("#admin-nav-departments")).ToHaveCountAsync(1);
    }
}
