using Microsoft.Extensions.DependencyInjection;
using System.Text.RegularExpressions;
using CityLoop.Domain.Cases;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

public abstract partial class DeskJourneyTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task Dispatcher_FiltersToPendingDispatch_DispatchesCase_AndSeesStateAndTimeline()
    {
        var (_, number) = await app.FiledCaseAsync("井盖缺失");
        var page = await app.SignInAsync("dispatcher");

        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-list.png"), FullPage = true });
        await page.SelectOptionAsync("select[name=state]", "pending-dispatch");
        await page.ClickAsync("#apply-filter");
        await page.WaitForURLAsync("**/Cases?*state=pending-dispatch*");
        var badges = await page.Locator("#case-table tbody .badge").AllInnerTextsAsync();
        Assert.NotEmpty(badges);
        Assert.All(badges, b => Assert.Equal("待派遣", b));

        await page.ClickAsync($"text={number}");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待派遣");
        await page.ClickAsync("#act-dispatch summary");
        await Pickers.ChooseAsync(page, "#act-dispatch", "leadDepartment", "市政", "SZGLC");
        await page.FillAsync("#act-dispatch textarea[name=opinion]", "请于时限内处置");
        await page.ClickAsync("#submit-dispatch");

        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待签收");
        await Expect(page.Locator("#flash")).ToContainTextAsync("派遣");
        await Expect(page.Locator("#lead-department")).ToHaveTextAsync("市政管理处");
        var entry = page.Locator("#timeline li[data-action=dispatch]");
        await Expect(entry).ToContainTextAsync("待派遣 → 待签收");
        await Expect(entry).ToContainTextAsync("请于时限内处置");
        // The dispatcher may not act for the department: no sign-for button.
        await Expect(page.Locator("#act-sign-for")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-page.png"), FullPage = true });
    }

    [Fact]
    public async Task Handler_SeesOnlyOwnDepartment_SignsForAndFinishes()
    {
        var (id, mine) = await app.FiledCaseAsync("路灯不亮", dispatchTo: "SZGLC");
        var (_, theirs) = await app.FiledCaseAsync("垃圾堆积", dispatchTo: "HWC");
        var page = await app.SignInAsync("handler");

        var leads = await page.Locator("#case-table tbody tr td:nth-child(7)").AllInnerTextsAsync();
        Assert.NotEmpty(leads);
        Assert.All(leads, d => Assert.Equal("市政管理处", d));
        await page.GotoAsync($"/Cases?q={theirs}");
        await Expect(page.Locator("#case-table")).ToHaveCountAsync(0);
        await page.GotoAsync($"/Cases?q={mine}");
        await Expect(page.Locator("#case-table tbody tr")).ToHaveCountAsync(1);

        await page.ClickAsync($"text={mine}");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待签收");
        await page.ClickAsync("#act-sign-for summary");
        await page.ClickAsync("#submit-sign-for");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("处置中");

        await page.ClickAsync("#act-finish summary");
        await page.FillAsync("#act-finish textarea[name=result]", "已更换灯泡，路灯恢复照明。");
        await page.ClickAsync("#submit-finish");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待核查");
        await Expect(page.Locator("#timeline li[data-action=finish]")).ToContainTextAsync("已更换灯泡");
        Assert.EndsWith(id.ToString(), page.Url);
    }

    [Fact]
    public async Task Handler_UploadsASitePhoto_AndFinishesCitingIt()
    {
        var (id, number) = await app.FiledCaseAsync("护栏损坏", dispatchTo: "SZGLC");
        var page = await app.SignInAsync("handler");
        await page.GotoAsync($"/Cases/{id}");
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        await page.SetInputFilesAsync("#attachments input[type=file]", new FilePayload { Name = "现场照片.png", MimeType = "image/png", Buffer = png });
        await page.ClickAsync("#submit-attach");
        await Expect(page.Locator("#attachments li")).ToContainTextAsync("现场照片.png");

        await page.ClickAsync("#act-sign-for summary");
        await page.ClickAsync("#submit-sign-for");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("处置中");
        await page.ClickAsync("#act-finish summary");
        await page.FillAsync("#act-finish textarea[name=result]", "护栏已更换。");
        await page.CheckAsync("#act-finish input[name=attachmentIds]");
        await page.ClickAsync("#submit-finish");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待核查");
        Assert.Contains(number, await page.ContentAsync());
        using var scope = app.App.Services.CreateScope();
        var events = await scope.ServiceProvider.GetRequiredService<CityLoop.Server.Features.Cases.CaseQueries>().EventsAsync(id);
        var finish = events.Single(e => e.Action == "finish");
        Assert.Equal(1, finish.Payload!.Value.GetProperty("attachmentIds").GetArrayLength());
        Assert.Contains(events, e => e.Action == "attach");
    }

    [Fact]
    public async Task WrongPassword_ShowsReadableError()
    {
        var context = await app.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl, Locale = "zh-CN", ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/Account/Login**");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("login.png") });

        await page.FillAsync("#UserName", "supervisor");
        await page.FillAsync("#Password", "not-the-password");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("用户名或密码错误。");
        Assert.Contains("/Account/Login", page.Url);
    }

    [Fact]
    public async Task HotlineAgent_CreatesCase_AndSeesItsNumberAndQueryCode()
    {
        var page = await app.SignInAsync("agent");
        await page.ClickAsync("#new-case");
        await page.SelectOptionAsync("#Form_RequestType", "Help");
        await page.FillAsync("#Form_Title", "小区门口路面塌陷");
        await page.FillAsync("#Form_Description", "市民来电：金城中路小区门口路面塌陷约一米，存在安全隐患。");
        await page.FillAsync("#Form_Address", "金城江区金城中路12号");
        await page.FillAsync("#Form_ReporterName", "李先生");
        await page.FillAsync("#Form_ReporterPhone", "13800005678");
        await page.ClickAsync("#submit-new-case");

        await Expect(page.Locator("#new-number")).ToHaveTextAsync(new Regex(@"^451202-\d{8}-\d{6}$"));
        await Expect(page.Locator("#query-code")).ToHaveTextAsync(new Regex(@"^\d{6}$"));
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("登记");
        await Expect(page.Locator("#reporter-phone")).ToHaveTextAsync("13800005678");

        // The query code is shown once only.
        await page.ReloadAsync();
        await Expect(page.Locator("#query-code")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ConcurrentChange_ShowsReadableMessage_NotAnErrorPage()
    {
        var (id, number) = await app.FiledCaseAsync("占道经营");
        var page = await app.SignInAsync("dispatcher");
        await page.GotoAsync($"/Cases/{id}");
        await app.ActAsAsync(id, "dispatcher", CaseAction.Dispatch, new ActionInput { LeadDepartment = "CGZFDD" });

        await page.ClickAsync("#act-dispatch summary");
        await Pickers.ChooseAsync(page, "#act-dispatch", "leadDepartment", "SZGLC", "SZGLC");
        await page.ClickAsync("#submit-dispatch");

        await Expect(page.Locator("#desk-error")).ToContainTextAsync("案件已被他人处理");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待签收");
        await Expect(page.Locator("#case-number")).ToHaveTextAsync(number);
    }

    [Fact]
    public async Task English_IsChosenByQueryAndRemembered()
    {
        var page = await app.SignInAsync("leader");
        await page.ClickAsync(".lang a");
        await Expect(page.Locator(".signout button")).ToHaveTextAsync("Sign out");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Cases");
        await page.GotoAsync("/Cases?state=pending-close");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Cases");
        await page.GotoAsync("/Cases?culture=zh-CN");
        await Expect(page.Locator("h1")).ToHaveTextAsync("案件列表");
    }

    [Fact]
    public async Task Administrator_SeesFriendlyMessageInsteadOfCases()
    {
        var page = await app.SignInAsync("admin");
        await Expect(page.Locator(".alert.info")).ToContainTextAsync("不办理案件");
        await Expect(page.Locator("#new-case")).ToHaveCountAsync(0);
    }
}

public sealed class DeskJourneyTests_Sqlite(SqliteAppFixture app) : DeskJourneyTests<SqliteAppFixture>(app), IClassFixture<SqliteAppFixture>;

public sealed class DeskJourneyTests_Postgres(PostgresAppFixture app) : DeskJourneyTests<PostgresAppFixture>(app), IClassFixture<PostgresAppFixture>;
