using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The people's assessments on the rankings page, the inspector's month on the phone, the dispatcher's dashboard.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task Supervisor_ReadsThePeoplesAssessments_WithTheirFormulas()
    {
        var page = await app.SignInAsync("supervisor");
        await page.GotoAsync("/figures/rankings?view=assessment&by=inspector");
        await Expect(page.Locator("#how-assessment")).ToContainTextAsync("(1 − 漏报率) × 20");
        await Expect(page.Locator("#assessment thead")).ToContainTextAsync("有效上报率");
        await Expect(page.Locator("#assessment tbody tr[data-code=inspector]")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("assessment-inspectors.png"), FullPage = true });
        await page.ClickAsync("#ranking-tabs >> text=派遣员考核");
        await Expect(page.Locator("#how-assessment")).ToContainTextAsync("派遣数分值");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("assessment-dispatchers.png"), FullPage = true });
    }

    [Fact]
    public async Task Inspector_SeesTheirMonth_OnThePhone()
    {
        var page = await app.SignInAsync("inspector", width: 390, height: 844);
        await page.ClickAsync("#go-dashboard");
        Assert.Equal("/inspector/dashboard", new Uri(page.Url).AbsolutePath);
        await Expect(page.Locator("#my-figures")).ToContainTextAsync("有效上报率");
        await Expect(page.Locator("#chart-per-day canvas")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("inspector-month.png"), FullPage = true });
    }

    [Fact]
    public async Task Dispatcher_SeesTheQueueByLight_AndTheDispatchFigures()
    {
        var page = await app.SignInAsync("dispatcher");
        await page.GotoAsync("/dashboard/dispatch");
        await Expect(page.Locator("#dispatch-queue")).ToContainTextAsync("红灯");
        await Expect(page.Locator("#platform-figures")).ToContainTextAsync("准确派遣率");
        await Expect(page.Locator("#chart-per-day canvas")).ToHaveCountAsync(1);
        await AppFixture.ChartsDrawnAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("dispatch-dashboard.png"), FullPage = true });
    }
}
