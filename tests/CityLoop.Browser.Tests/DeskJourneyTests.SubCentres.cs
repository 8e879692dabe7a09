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
}
