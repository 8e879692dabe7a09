using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>Supervision orders, live notifications and routing suggestions at the desk (sharing the desk journeys' app and browser).</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    static string InThreeDays() =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(3), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).ToString("yyyy-MM-dd'T'HH:mm");

    [Fact]
    public async Task Supervisor_IssuesOrderOnCase_DepartmentReplies_SupervisorCloses()
    {
        var (id, number) = await app.FiledCaseAsync("人行道破损", dispatchTo: "SZGLC");
        var supervisor = await app.SignInAsync("supervisor");
        await supervisor.GotoAsync($"/Cases/{id}");
        await supervisor.ClickAsync("#act-supervise-order summary");
        await supervisor.SelectOptionAsync("#act-supervise-order select[name=level]", "Key");
        await supervisor.FillAsync("#act-supervise-order input[name=dueAt]", InThreeDays());
        await supervisor.FillAsync("#act-supervise-order textarea[name=requirement]", "请三日内修复并书面回复");
        await supervisor.ClickAsync("#submit-supervise-order");
        await Expect(supervisor.Locator("#flash")).ToContainTextAsync("重点督办");
        await Expect(supervisor.Locator("#supervision .order-status")).ToHaveTextAsync("待办");

        var handler = await app.SignInAsync("handler");
        await handler.ClickAsync("#nav-supervision");
        var row = handler.Locator($"#orders tr[data-case='{number}']");
        await row.Locator("textarea[name=reply]").FillAsync("已安排施工队，明日完成修复");
        await row.Locator("button.reply").ClickAsync();
        await Expect(handler.Locator("#flash")).ToContainTextAsync("回复");
        await Expect(handler.Locator($"#orders tr[data-case='{number}'] .order-status")).ToHaveTextAsync("已回复");

        await supervisor.GotoAsync("/Supervision?status=replied");
        var mine = supervisor.Locator($"#orders tr[data-case='{number}']");
        await Expect(mine.Locator(".order-reply")).ToContainTextAsync("已安排施工队");
        await mine.Locator("input[name=opinion]").FillAsync("回复属实，同意办结");
        await mine.Locator("button.close-order").ClickAsync();
        await Expect(supervisor.Locator("#flash")).ToContainTextAsync("办结");
        await supervisor.GotoAsync("/Supervision");
        await Expect(supervisor.Locator($"#orders tr[data-case='{number}'] .order-status")).ToHaveTextAsync("已办结");
        await Expect(supervisor.Locator("#level-counts [data-level=key]")).ToContainTextAsync("已办结");
        await supervisor.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("supervision.png"), FullPage = true });
    }

    [Fact]
    public async Task NotificationBell_UpdatesLive_WithoutReload()
    {
        var (id, _) = await app.FiledCaseAsync("路灯闪烁", dispatchTo: "SZGLC");
        var page = await app.SignInAsync("depthead");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "connected");
        var before = int.Parse(await page.Locator("#bell-count").InnerTextAsync());

        await app.NotifyAsync(id, "depthead");

        await Expect(page.Locator("#bell-count")).ToHaveTextAsync((before + 1).ToString());
        await Expect(page.Locator("#toasts .toast")).ToContainTextAsync("路灯闪烁");
        await page.ClickAsync("#bell");
        await Expect(page.Locator("#notifications tr.unread").First).ToContainTextAsync("路灯闪烁");
        await page.ClickAsync("#read-all");
        await Expect(page.Locator("#bell-count")).ToHaveTextAsync("0");
        await Expect(page.Locator("#notifications tr.unread")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task DispatchForm_IsPreselectedFromRoutingSuggestion_AndExplainsIt()
    {
        var (id, _) = await app.FiledCaseAsync("违法搭建", category: "E0101", standard: "E0101-01");
        var page = await app.SignInAsync("dispatcher");
        await page.GotoAsync($"/Cases/{id}");
        await Expect(page.Locator("#category")).ToContainTextAsync("E0101");
        await page.ClickAsync("#act-dispatch summary");
        Assert.Equal(["CGZFDD"], await Pickers.ChosenAsync(page, "#act-dispatch", "leadDepartment"));
        Assert.Equal(["ZJJ"], await Pickers.ChosenAsync(page, "#act-dispatch", "assistingDepartments"));
        await Expect(page.Locator("#routing-dispatch")).ToContainTextAsync(new Regex("依据规则 R-\\d+"));
    }
}
