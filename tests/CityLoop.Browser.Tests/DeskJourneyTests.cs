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
        // Dispatchers start on their map desk; the case list is one click away.
        Assert.Contains("/Dispatch", page.Url);
        await page.ClickAsync("#nav-cases");

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
        // Department staff start in their inbox; the case list is one click away.
        Assert.Contains("/Inbox", page.Url);
        await page.ClickAsync("#nav-cases");

        var leads = await page.Locator("#case-table tbody tr td:nth-child(7)").AllInnerTextsAsync();
        Assert.NotEmpty(leads);
        // Their department's cases, and those its head's department gave to it as a team (区城市管理局 › 市政管理处).
        Assert.All(leads, d => Assert.True(d == "市政管理处" || d.EndsWith(" › 市政管理处", StringComparison.Ordinal), d));
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
        var png = MapDeskImages.Photo(64, 48, SkiaSharp.SKEncodedImageFormat.Png);
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
    public async Task TheThreeAdministrators_EachDoTheirOwnWork_OnTheirOwnPages()
    {
        var clerk = "clerk" + Guid.NewGuid().ToString("N")[..6];
        static async Task NoSidewaysScroll(IPage p) =>
            Assert.True(await p.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");

        // System administrator: lands on the accounts, creates one; granting roles is not theirs.
        var admin = await app.SignInAsync("admin", width: 1366, height: 768);
        await Expect(admin).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/users$"));
        await Expect(admin.Locator("#nav-cases")).ToHaveCountAsync(0);
        await Expect(admin.Locator("#admin-nav-keys")).ToHaveCountAsync(0);
        await admin.ClickAsync("#create-user summary");
        await admin.FillAsync("#new-user-name", clerk);
        await admin.FillAsync("#new-user-display", "新话务员");
        await admin.FillAsync("#new-user-password", "Cl3rk!Passw0rd");
        await admin.ClickAsync("#submit-create-user");
        await Expect(admin.Locator("#admin-done")).ToContainTextAsync(clerk);
        await Expect(admin.Locator($"#user-{clerk} .roles")).ToHaveTextAsync("（无）");
        await Expect(admin.Locator($"#user-{clerk} [data-action=roles]")).ToHaveCountAsync(0);
        await NoSidewaysScroll(admin);

        // Security administrator: grants the role; issues a camera key, sees it once, revokes it.
        var security = await app.SignInAsync("security", width: 1366, height: 768);
        await Expect(security).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/users$"));
        await Expect(security.Locator("#create-user")).ToHaveCountAsync(0);
        await security.ClickAsync($"#user-{clerk} [data-action=roles]");
        await security.CheckAsync($"#user-{clerk} input[name=Roles][value=hotline-agent]");
        await security.ClickAsync($"#user-{clerk} form[action*=Roles] button[type=submit]");
        await Expect(security.Locator($"#user-{clerk} .roles")).ToHaveTextAsync("话务员");
        await security.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("admin-users.png"), FullPage = false });
        await security.ClickAsync("#admin-nav-keys");
        await security.ClickAsync("#create-key summary");
        await security.FillAsync("#key-name", "路口摄像头 " + clerk);
        await security.SelectOptionAsync("#key-role", "camera-channel");
        await security.CheckAsync("#create-key input[name=Scopes][value='cases:create']");
        await security.ClickAsync("#submit-create-key");
        var secret = await security.Locator("#key-secret").InnerTextAsync();
        Assert.Contains(".", secret);
        var row = security.Locator($"#key-table tr[data-key='路口摄像头 {clerk}']");
        await Expect(row).ToContainTextAsync("cases:create");
        await security.ReloadAsync();
        await Expect(security.Locator("#key-secret")).ToHaveCountAsync(0);
        await row.Locator("[data-action=revoke]").ClickAsync();
        await Expect(security.Locator("#admin-done")).ToContainTextAsync("已吊销");
        await Expect(row).ToContainTextAsync("已吊销");
        await NoSidewaysScroll(security);

        // Audit administrator: lands on the trail, finds those changes, verifies the chain, exports.
        var auditor = await app.SignInAsync("auditor", width: 1366, height: 768);
        await Expect(auditor).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/audit$"));
        await Expect(auditor.Locator("#admin-nav-users")).ToHaveCountAsync(0);
        await auditor.SelectOptionAsync("#audit-filters select[name=action]", "permission-change");
        await auditor.FillAsync("#audit-filters input[name=q]", clerk);
        await auditor.ClickAsync("#audit-filters button[type=submit]");
        await Expect(auditor.Locator("#audit-table tbody tr")).ToHaveCountAsync(3);
        await Expect(auditor.Locator("#audit-table")).ToContainTextAsync("hotline-agent");
        await auditor.ClickAsync("#audit-verify");
        await Expect(auditor.Locator("#audit-verification")).ToContainTextAsync("哈希链完整");
        await auditor.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("admin-audit.png") });
        var export = await auditor.APIRequest.GetAsync((await auditor.Locator("#audit-export").GetAttributeAsync("href"))!);
        Assert.True(export.Ok);
        Assert.StartsWith("text/csv", export.Headers["content-type"]);
        var csv = await export.TextAsync();
        Assert.Contains("permission-change", csv);
        Assert.Equal(4, csv.Trim().Split('\n').Length);
        await NoSidewaysScroll(auditor);

        // Each sees only their own powers.
        var denied = await auditor.GotoAsync("/admin/api-keys");
        Assert.True(denied!.Status == 403 || auditor.Url.Contains("Denied"), auditor.Url);
        await Expect(auditor.Locator("#key-table")).ToHaveCountAsync(0);
    }
}

public sealed class DeskJourneyTests_Sqlite(SqliteAppFixture app) : DeskJourneyTests<SqliteAppFixture>(app), IClassFixture<SqliteAppFixture>;

public sealed class DeskJourneyTests_Postgres(PostgresAppFixture app) : DeskJourneyTests<PostgresAppFixture>(app), IClassFixture<PostgresAppFixture>;
