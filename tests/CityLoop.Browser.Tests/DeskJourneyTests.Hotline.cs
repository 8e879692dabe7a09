using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Calls;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The hotline agent desktop at 1366×768: a call pops the caller's history, an enquiry is answered from the knowledge base.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    static readonly Actor Telephony = new("system:cti", "电话系统", new HashSet<Role> { Role.Telephony }, null, IsSystem: true);

    [Fact]
    public async Task ACallPopsTheCallersHistory_AndAnEnquiryIsAnsweredFromTheKnowledgeBase()
    {
        var phone = "139" + Random.Shared.Next(10_000_000, 99_999_999);
        string earlier;
        using (var scope = app.App.Services.CreateScope())
        {
            var sp = scope.ServiceProvider;
            var agentUser = await sp.GetRequiredService<CityLoopDb>().Users.AsNoTracking().SingleAsync(u => u.UserName == "agent");
            var agent = new Actor(agentUser.Id.ToString(), agentUser.DisplayName, agentUser.RoleSet(), null);
            var before = await sp.GetRequiredService<CaseCommands>().IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Description = "小区门口垃圾箱满溢无人清运", Address = "金城江区新建路8号",
                ReporterName = "李女士", ReporterPhone = phone,
            }, agent);
            earlier = before.Case.Number;
            var now = DateTimeOffset.UtcNow;
            await sp.GetRequiredService<CallLog>().RecordAsync(new CallEvent("pop-" + phone, phone, "12345", null, now.AddSeconds(-40), now.AddSeconds(-20), null, "agent"), Telephony);
        }

        var page = await AtDesk("agent");
        await page.ClickAsync("#nav-desk");
        // The telephone system's event pops up on the agent's desktop; taking it shows who calls.
        await page.ClickAsync("#incoming-open");
        await Expect(page.Locator("#caller-panel")).ToContainTextAsync(earlier);
        await Expect(page.Locator("#caller-open")).ToContainTextAsync(earlier);
        await Expect(page.Locator("#caller-panel")).ToContainTextAsync("李女士");
        await Expect(page.Locator("#repeat-caller")).ToBeVisibleAsync();
        await Expect(page.Locator("#Form_ReporterName")).ToHaveValueAsync("李女士");

        // An enquiry needs no place; the knowledge base suggests the answer while the agent types.
        await page.CheckAsync("#desk-request-type input[value=Enquiry]");
        await page.FillAsync("#desk-description", "市民询问小区生活垃圾每天几点清运");
        var suggestion = page.Locator("#knowledge-hints .hint", new() { HasText = "生活垃圾清运时间" });
        await Expect(suggestion).ToBeVisibleAsync();
        // The same caller's open case is shown as a likely duplicate.
        await Expect(page.Locator("#duplicate-hints")).ToContainTextAsync(earlier);
        await AssertNoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("agent-desk.png"), FullPage = true });

        await suggestion.Locator("button").ClickAsync();
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("已结案");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("生活垃圾清运时间");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("引用知识库答复");

        // An emergency typed at the desk is registered as critical and marked for transfer to 119.
        await page.GotoAsync("/Desk");
        await page.FillAsync("#desk-phone", phone);
        await page.ClickAsync("#desk-lookup");
        await Expect(page.Locator("#caller-panel")).ToContainTextAsync("李女士");
        await page.FillAsync("#desk-description", "市民报告新建路8号楼道冒烟，疑似起火");
        await page.FillAsync("#desk-address", "金城江区新建路8号");
        await page.SelectOptionAsync("#desk-emergency", "119");
        await page.ClickAsync("#desk-register");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("紧急警情待转接");
        await Expect(page.Locator("#timeline")).ToContainTextAsync("119");

        // The missed calls wait for a call-back; recording one says who did it.
        await page.GotoAsync("/Desk/Callbacks");
        var row = page.Locator("#callbacks-open tbody tr").First;
        var rowId = await row.GetAttributeAsync("id");
        await row.Locator("button[value=true]").ClickAsync();
        await Expect(page.Locator($"#{rowId}")).ToContainTextAsync("已回拨");
        await Expect(page.Locator($"#{rowId}")).ToContainTextAsync("话务员（演示）");
        await AssertNoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("call-backs.png"), FullPage = true });

        // The knowledge base in English: search by two characters of a Chinese word.
        await page.GotoAsync("/Knowledge");
        await page.ClickAsync(".lang a");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Knowledge base");
        await page.FillAsync("#knowledge-q", "井盖");
        await Expect(page.Locator("#knowledge-results .knowledge-row")).ToHaveCountAsync(1);
        await Expect(page.Locator("#knowledge-results")).ToContainTextAsync("井盖缺失、破损的处理");
        await Expect(page.Locator("#knowledge-results th").First).ToHaveTextAsync("Title");
        await AssertNoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("knowledge.png"), FullPage = true });
        // The desktop in English, at desk width.
        await page.GotoAsync("/Desk");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Agent desktop");
        await Expect(page.Locator("#knowledge-hints h2")).ToHaveTextAsync("Knowledge suggestions");
        await AssertNoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("agent-desk-en.png"), FullPage = true });
    }

    [Fact]
    public async Task AKnowledgeEditor_WritesAnArticle_ThatAgentsFindAndAreSuggested()
    {
        var tag = Random.Shared.Next(1000, 9999).ToString();
        var editor = await AtDesk("knowledge");
        await editor.ClickAsync("#nav-knowledge");
        await editor.ClickAsync("#knowledge-new");
        await editor.FillAsync("#article-title-input", "共享单车乱停放处理" + tag);
        await editor.FillAsync("#article-answer-input", "共享单车乱停放的，我们登记后转城管执法大队通知运营企业 2 小时内清理。");
        await editor.FillAsync("#article-keywords-input", "共享单车 乱停 占道");
        await Pickers.ChooseAsync(editor, "#article-form", "Form.CategoryCode", "暴露垃圾", "E0102");
        await editor.SelectOptionAsync("#article-owner", "CGZFDD");
        await AssertNoSidewaysScrollAsync(editor);
        await editor.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("knowledge-edit.png"), FullPage = true });
        await editor.ClickAsync("#article-save");
        await Expect(editor.Locator("#article-title")).ToHaveTextAsync("共享单车乱停放处理" + tag);
        await Expect(editor.Locator(".facts")).ToContainTextAsync("城管执法大队");

        var agent = await AtDesk("agent");
        await agent.GotoAsync("/Desk");
        await agent.FillAsync("#desk-description", "市民反映小区门口共享单车乱停，堵住了人行道");
        await Expect(agent.Locator("#knowledge-hints .hint").First).ToContainTextAsync("共享单车乱停放处理" + tag);
    }

    static async Task AssertNoSidewaysScrollAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth + 1"),
            $"{page.Url} scrolls sideways");
}
