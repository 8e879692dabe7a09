using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The whole loop at a 1366×768 desk with every code picked from a list, never typed.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    const int DeskWidth = 1366, DeskHeight = 768;

    Task<IPage> AtDesk(string user) => app.SignInAsync(user, width: DeskWidth, height: DeskHeight);

    static async Task Act(IPage page, string action, string state)
    {
        await page.ClickAsync($"#submit-{action}");
        await page.WaitForLoadStateAsync();
        var error = page.Locator("#desk-error");
        Assert.True(await error.CountAsync() == 0, $"{action}: " + (await error.CountAsync() > 0 ? await error.InnerTextAsync() : ""));
        await Expect(page.Locator("#case-state")).ToHaveTextAsync(state);
    }

    [Fact]
    public async Task EveryRole_PicksEveryCodeFromAList_AndNoActionFormAsksToTypeOne()
    {
        // Intake operator: a new case categorised by searching a keyword and choosing with the keyboard.
        var intake = await AtDesk("intake");
        await intake.ClickAsync("#new-case");
        await intake.FillAsync("#Form_Title", "新建路井盖缺失");
        await intake.FillAsync("#Form_Description", "巡查发现新建路人行道上一处井盖缺失，存在安全隐患。");
        await intake.FillAsync("#Form_Address", "金城江区新建路66号");
        await Expect(intake.Locator("#new-case-form input[type=text][name='Form.CategoryCode']")).ToHaveCountAsync(0);
        await Pickers.ChooseAsync(intake, "#new-case-form", "Form.CategoryCode", "上水井盖", "C0101", keyboard: true);
        await intake.ClickAsync("#submit-new-case");
        await Expect(intake.Locator("#case-state")).ToHaveTextAsync("登记");
        await Expect(intake.Locator("#category")).ToContainTextAsync("C0101");
        var id = Guid.Parse(new Uri(intake.Url).Segments[^1]);
        var number = await intake.Locator("#case-number").InnerTextAsync();

        await Pickers.AssertNoCodeIsTypedAsync(intake, id);
        await intake.ClickAsync("#act-request-verification summary");
        await Pickers.ChooseAsync(intake, "#act-request-verification", "inspector", "监督员", "inspector");
        await Act(intake, "request-verification", "核实中");

        // A duplicate report is merged into it: the case is found by its number in the list.
        var (duplicate, _) = await app.FiledCaseAsync("新建路井盖不见了");
        await intake.GotoAsync($"/Cases/{duplicate}");
        await Pickers.AssertNoCodeIsTypedAsync(intake, duplicate);
        await intake.ClickAsync("#act-merge summary");
        await Pickers.ChooseAsync(intake, "#act-merge", "targetCase", number[^6..], number);
        await intake.ClickAsync("#submit-merge");
        await Expect(intake.Locator("#timeline li[data-action=merge]")).ToContainTextAsync(number);

        // Inspector: verifies on site (no code to give, and none to type).
        var inspector = await AtDesk("inspector");
        await inspector.GotoAsync($"/Cases/{id}");
        await Pickers.AssertNoCodeIsTypedAsync(inspector, id);
        await inspector.ClickAsync("#act-verify summary");
        await inspector.SelectOptionAsync("#act-verify select[name=confirmed]", "true");
        // Once verified the case leaves the inspector's sight (it is no longer their task): the leader sees it next.
        await inspector.ClickAsync("#submit-verify");
        await inspector.WaitForLoadStateAsync();

        // Shift leader: re-categorises and picks the filing standard item of the new category.
        var leader = await AtDesk("leader");
        await leader.GotoAsync($"/Cases/{id}");
        await Expect(leader.Locator("#case-state")).ToHaveTextAsync("待立案");
        await Pickers.AssertNoCodeIsTypedAsync(leader, id);
        await leader.ClickAsync("#act-file summary");
        await Pickers.ChooseAsync(leader, "#act-file", "categoryCode", "污水井盖", "C0102");
        await Pickers.ChooseAsync(leader, "#act-file", "standardItem", "缺失", "C0102-01", keyboard: true);
        await Act(leader, "file", "待派遣");
        await Expect(leader.Locator("#category")).ToContainTextAsync("C0102");

        // Dispatcher: the routing suggestion is preselected; an assisting department is picked by name.
        var dispatcher = await AtDesk("dispatcher");
        await dispatcher.GotoAsync($"/Cases/{id}");
        await Pickers.AssertNoCodeIsTypedAsync(dispatcher, id);
        await dispatcher.ClickAsync("#act-dispatch summary");
        Assert.Equal(["SZGLC"], await Pickers.ChosenAsync(dispatcher, "#act-dispatch", "leadDepartment"));
        await Pickers.ChooseAsync(dispatcher, "#act-dispatch", "assistingDepartments", "环卫", "HWC");
        await Act(dispatcher, "dispatch", "待签收");

        // Department head of 市政管理处: not theirs, they say.
        var head = await AtDesk("depthead");
        await head.GotoAsync($"/Cases/{id}");
        await Pickers.AssertNoCodeIsTypedAsync(head, id);
        await head.ClickAsync("#act-return summary");
        await head.FillAsync("#act-return textarea[name=reason]", "不属于本单位职责：污水管网归供水公司");
        await Act(head, "return", "回退申请");

        // Dispatcher: approves; routing still points at 市政管理处, so the form warns and preselects nothing.
        await dispatcher.ReloadAsync();
        await Pickers.AssertNoCodeIsTypedAsync(dispatcher, id);
        await dispatcher.ClickAsync("#act-approve-return summary");
        await Act(dispatcher, "approve-return", "待派遣");
        await dispatcher.ClickAsync("#act-dispatch summary");
        await Expect(dispatcher.Locator("#routing-warning-dispatch")).ToContainTextAsync("市政管理处");
        await Expect(dispatcher.Locator("#routing-warning-dispatch")).ToContainTextAsync("污水管网归供水公司");
        Assert.Empty(await Pickers.ChosenAsync(dispatcher, "#act-dispatch", "leadDepartment"));
        await dispatcher.Locator("#act-dispatch [data-name=leadDepartment] .picker-search").ClickAsync();
        await Expect(dispatcher.Locator("#act-dispatch [data-name=leadDepartment] [role=option][data-code=SZGLC] .opt-warn")).ToContainTextAsync("退回");
        await dispatcher.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("picker-dispatch.png") });
        await Pickers.ChooseAsync(dispatcher, "#act-dispatch", "leadDepartment", "供水", "GSGS");
        await Act(dispatcher, "dispatch", "待签收");
        await Expect(dispatcher.Locator("#lead-department")).ToHaveTextAsync("供水公司");

        // Department head of 供水公司: signs for and finishes.
        var water = await AtDesk("dept-gsgs");
        await water.GotoAsync($"/Cases/{id}");
        await Pickers.AssertNoCodeIsTypedAsync(water, id);
        await water.ClickAsync("#act-sign-for summary");
        await Act(water, "sign-for", "处置中");
        await Pickers.AssertNoCodeIsTypedAsync(water, id);
        await water.ClickAsync("#act-finish summary");
        await water.FillAsync("#act-finish textarea[name=result]", "已补装污水井盖并设置警示。");
        await Act(water, "finish", "待核查");

        await inspector.GotoAsync($"/Cases/{id}");
        await Expect(inspector.Locator("#case-state")).ToHaveTextAsync("待核查");
        await Pickers.AssertNoCodeIsTypedAsync(inspector, id);
        await inspector.ClickAsync("#act-check-pass summary");
        await inspector.ClickAsync("#submit-check-pass");
        await inspector.WaitForLoadStateAsync();

        // Shift leader: closes against an item of the closing standard, found by its wording.
        await leader.ReloadAsync();
        await Expect(leader.Locator("#case-state")).ToHaveTextAsync("待结案");
        await Pickers.AssertNoCodeIsTypedAsync(leader, id);
        await leader.ClickAsync("#act-close summary");
        await Pickers.ChooseAsync(leader, "#act-close", "standardItem", "补齐井盖", "C0102-01");
        await leader.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("picker-close.png") });
        await Act(leader, "close", "已结案");
        await Expect(leader.Locator("#timeline li[data-action=close]")).ToContainTextAsync("C0102-01");
        Assert.Matches(new Regex("^451202-"), number);
    }

    [Fact]
    public async Task DepartmentHead_AssignsTheCaseToATeam_WhoseHandlerFinishesIt()
    {
        var (id, number) = await app.FiledCaseAsync("体育路路灯不亮", dispatchTo: "CGJ");
        await app.ActAsAsync(id, "dept-cgj", Domain.Cases.CaseAction.SignFor, new());
        var head = await AtDesk("dept-cgj");
        await head.GotoAsync($"/Cases/{id}");
        await Pickers.AssertNoCodeIsTypedAsync(head, id);
        await head.ClickAsync("#act-assign summary");
        await Pickers.ChooseAsync(head, "#act-assign", "team", "市政", "SZGLC");
        await Act(head, "assign", "处置中");
        await Expect(head.Locator("#assigned-team")).ToHaveTextAsync("市政管理处");
        // The page speaks in names: the team in the timeline, the filing standard by its wording.
        await Expect(head.Locator("#timeline li[data-action=assign]")).ToContainTextAsync("承办班组");
        await Expect(head.Locator("#timeline li[data-action=assign]")).ToContainTextAsync("市政管理处");
        await Expect(head.Locator("#filing-standard")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\S+.*（H-complaint）$"));
        await head.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("assign-team.png") });

        // The team's handler finds it in the list and finishes it; the head can take back only before that.
        var handler = await AtDesk("handler");
        await handler.GotoAsync($"/Cases?q={number}");
        await handler.GotoAsync($"/Cases/{id}");
        await Expect(handler.Locator("#case-state")).ToHaveTextAsync("处置中");
        await Expect(handler.Locator("#act-assign")).ToHaveCountAsync(0);
        await handler.ClickAsync("#act-finish summary");
        await handler.FillAsync("#act-finish textarea[name=result]", "已更换路灯灯具。");
        await Act(handler, "finish", "待核查");
    }

    [Fact]
    public async Task Pickers_SpeakEnglish_AndARefusedFormKeepsTheChoice()
    {
        var (id, _) = await app.FiledCaseAsync("井盖松动", category: "C0101", standard: "C0101-03");
        var page = await AtDesk("dispatcher");
        await page.ClickAsync(".lang a");
        await Expect(page.Locator(".signout button")).ToHaveTextAsync("Sign out");
        await page.GotoAsync($"/Cases/{id}");
        await page.ClickAsync("#act-dispatch summary");
        var box = page.Locator("#act-dispatch [data-name=assistingDepartments] .picker-search");
        await Expect(box).ToHaveAttributeAsync("placeholder", "Search by code, name or keyword");
        await box.FillAsync("zzzz-nothing");
        await Expect(page.Locator("#act-dispatch [data-name=assistingDepartments] .picker-note")).ToHaveTextAsync("Nothing matches");
        // Choosing the suggested lead again as assisting is refused by the server, naming the field; the choices stay.
        var lead = (await Pickers.ChosenAsync(page, "#act-dispatch", "leadDepartment")).Single();
        await Pickers.ChooseAsync(page, "#act-dispatch", "assistingDepartments", lead, lead);
        await page.ClickAsync("#submit-dispatch");
        await Expect(page.Locator("#desk-error")).ToContainTextAsync("Assisting departments");
        Assert.Equal([lead], await Pickers.ChosenAsync(page, "#act-dispatch", "assistingDepartments"));
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("Pending dispatch");
    }
}
