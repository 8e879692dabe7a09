using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The rankings, assessment and reports pages in Chromium, in Chinese and in English.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task Supervisor_ReadsTheRankingsAndAssessment_WithTheirDefinitions()
    {
        var page = await app.SignInAsync("supervisor");
        await page.ClickAsync("#nav-figures");
        await Expect(page.Locator("#three-rates thead")).ToContainTextAsync("满意率");
        await Expect(page.Locator("#how-three-rates")).ToContainTextAsync("基本满意系数 0.9");
        await page.ClickAsync("#ranking-tabs >> text=部门考核");
        await Expect(page.Locator("#assessment thead")).ToContainTextAsync("处置率");
        await Expect(page.Locator("#how-assessment")).ToContainTextAsync("(1 − 返工率) × 20");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("rankings.png"), FullPage = true });
        await page.ClickAsync("#ranking-tabs >> text=每月一题");
        await Expect(page.Locator("#how-topics")).ToContainTextAsync("同类同地");
        await page.FillAsync("#period-form input[name=period]", "2026-13");
        await page.ClickAsync("#period-form button");
        await Expect(page.Locator("#desk-error")).ToContainTextAsync("请检查");
    }

    [Fact]
    public async Task Supervisor_OpensTheMonthlyReport_InChineseAndEnglish_AndDownloadsTheWorkbook()
    {
        var page = await app.SignInAsync("supervisor");
        await page.ClickAsync("#nav-reports");
        await Expect(page.Locator("#report h1")).ToContainTextAsync("城市管理运行月报");
        await Expect(page.Locator("#report")).ToContainTextAsync("一、主要指标");
        await Expect(page.Locator("#figures tr[data-figure=completion-rate]")).ToContainTextAsync("办结率");
        await Expect(page.Locator("#report-state")).ToContainTextAsync("已归档");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("report.png"), FullPage = true });
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-xlsx"));
        Assert.EndsWith(".xlsx", download.SuggestedFilename);
        await page.ClickAsync("text=EN");
        await Expect(page.Locator("#report")).ToContainTextAsync("1. Headline figures");
        await Expect(page.Locator("#figures tr[data-figure=completion-rate]")).ToContainTextAsync("Completion rate");
    }

    [Fact]
    public async Task Supervisor_CreatesTheEvaluation_AndScoresAnItemByHandWithAReason()
    {
        var page = await app.SignInAsync("supervisor");
        await page.GotoAsync("/reports");
        await page.ClickAsync("#to-evaluation");
        await page.ClickAsync("#new-evaluation button");
        await Expect(page.Locator("#flash")).ToContainTextAsync("已按模板新建评价");
        await Expect(page.Locator("#evaluation tr[data-code='3.1.1']")).ToContainTextAsync("采集案件数量");
        await Expect(page.Locator("#evaluation tr[data-code='3.1.1']")).ToContainTextAsync("平台计量");
        var row = page.Locator("#evaluation tr[data-code='1.1.1']");
        await row.Locator("input[name=score]").FillAsync("9");
        await row.Locator("input[name=reason]").FillAsync("立项依据充分，个别文件未归档");
        await row.Locator("button").ClickAsync();
        await Expect(page.Locator("#flash")).ToContainTextAsync("1.1.1");
        await Expect(page.Locator("#evaluation tr[data-code='1.1.1']")).ToContainTextAsync("个别文件未归档");
        await Expect(page.Locator("#evaluation-grade")).ToContainTextAsync("评价等次");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("evaluation.png"), FullPage = true });
    }
}
