using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Loop;

/// <summary>The loop, complete and exact: every phase timed, the rest of §3, events as the truth and the rebuild.</summary>
public abstract class LoopTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset At(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.FromHours(8));

    async Task<Guid> Reported(DateTimeOffset at, object? report = null)
    {
        app.Clock.Set(at);
        return (await Api.CreateCase(await app.As("agent"), report ?? Api.Report())).Id();
    }

    async Task<Guid> Handling(DateTimeOffset at, string lead = "SZGLC", object? report = null)
    {
        var id = await FollowThroughSteps.DispatchedAt(app, at, report, lead);
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        return id;
    }

    async Task<List<JsonElement>> Events(Guid id) =>
        (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}/events")).EnumerateArray().ToList();

    async Task<List<string>> Inbox(string user) =>
        (await Api.Get(await app.As(user), "/api/v1/notifications")).EnumerateArray().Select(n => n.Str("body")).ToList();

    [Fact]
    public async Task DispatchPhase_RunsOnTheCentresAroundTheClockCalendar_HandlingOnTheDepartments()
    {
        // Saturday 7 March 10:00: the centre works; one working hour for dispatch is one hour.
        var id = await Reported(At(3, 7, 10));
        var filed = await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        Assert.Equal("dispatch", filed.GetProperty("deadlines").Str("currentPhase"));
        Assert.Equal(At(3, 7, 11), filed.GetProperty("deadlines").GetProperty("dispatch").GetDateTimeOffset());
        Assert.Equal(At(3, 7, 11), filed.GetProperty("deadlines").GetProperty("current").GetDateTimeOffset());
        app.Clock.Set(At(3, 7, 11, 1));
        Assert.Equal("red", await FollowThroughSteps.Light(app, id));

        // The department's sign-for runs on its own calendar: Monday 08:30 + 2 working hours.
        var dispatched = await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        Assert.Equal(At(3, 9, 10, 30), dispatched.GetProperty("deadlines").GetProperty("signFor").GetDateTimeOffset());
        var events = await Events(id);
        Assert.All(events, e => Assert.NotNull(e.ToString()));
    }

    [Fact]
    public async Task Verification_IsTimed_AndTheVerifyingInspectorChecksTheResult_AndKeepsSeeingTheCase()
    {
        var id = await Reported(At(3, 10, 9));
        var verifying = await Api.ActOk(await app.As("intake"), id, "request-verification", new { inspector = "inspector" });
        Assert.Equal("verification", verifying.GetProperty("deadlines").Str("currentPhase"));
        Assert.NotEqual(JsonValueKind.Null, verifying.GetProperty("deadlines").GetProperty("verification").ValueKind);
        Assert.Contains(await Inbox("inspector"), b => b.Contains("请现场核实"));
        await Api.ActOk(await app.As("inspector"), id, "verify", new { confirmed = true });
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        var finished = await Api.ActOk(await app.As("handler"), id, "finish", new { result = "已补装井盖" });
        Assert.NotNull(finished.GetProperty("flags").Str("assignedInspector"));
        Assert.Contains(await Inbox("inspector"), b => b.Contains("待核查"));
        // Only that inspector (or intake on their behalf) checks; an agent's call-back is not for an inspector's task.
        var agent = await Api.Act(await app.As("agent"), id, "check-pass", new { opinion = "市民说修好了" });
        Assert.Equal(HttpStatusCode.Conflict, agent.StatusCode);
        await Api.ActOk(await app.As("inspector"), id, "check-pass", new { opinion = "现场已修复" });
        // After the task, the inspector still sees the case.
        var seen = await (await app.As("inspector")).GetAsync($"/api/v1/cases/{id}");
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
    }

    [Fact]
    public async Task Dispatch_NotifiesTheLeadAndAssistingDepartments_AtOnce()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(3, 11, 9));
        var number = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).Str("number");
        Assert.Contains(await Inbox("handler"), b => b.Contains(number) && b.Contains("新派遣案件待签收"));
        Assert.Contains(await Inbox("depthead"), b => b.Contains(number));
    }

    [Fact]
    public async Task ADispatch_TellsTheWholeDepartment_WithOneReadOfTheirInboxesAndOnePush_AndAnUrgeBringsTheirMessagesUpToDate()
    {
        app.Clock.Set(At(3, 16, 9));
        var id = (await Api.CreateCase(await app.As("agent"), Api.Report(phone: null))).Id();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        static string Bearer(HttpClient c) => c.DefaultRequestHeaders.Authorization!.Parameter!;
        using var handlerPage = await HubClient.ConnectAsync(app.Factory, Bearer(await app.As("handler")));
        using var headPage = await HubClient.ConnectAsync(app.Factory, Bearer(await app.As("depthead")));

        // The department's handler and head are both told (decision 037): on PostgreSQL their inboxes are read in one
        // query and both pushes go out in one NOTIFY statement, not two round trips per person.
        var (dispatched, statements) = await TracedAction("dispatcher", id, "dispatch", new { leadDepartment = "SZGLC" });
        var number = dispatched.Str("number");
        foreach (var page in new[] { handlerPage, headPage })
            Assert.Contains("新派遣案件待签收", (await HubClient.ReceiveAsync(page, "notification", TimeSpan.FromSeconds(10), m => m.Str("body").Contains(number))).Str("body"));
        if (app.Provider == "postgres")
        {
            Assert.Single(statements, s => s.Contains("pg_notify", StringComparison.Ordinal));
            Assert.True(statements.Count(s => s.Contains("FROM notifications", StringComparison.Ordinal)) <= 1, string.Join("\n", statements));
        }

        // An urge in the same phase brings each person's unread message up to date (decision 034): the stored ones the
        // batch read are the ones changed, none is added beside them.
        var (_, urged) = await TracedAction("supervisor", id, "urge", new { opinion = "请尽快签收" });
        foreach (var user in new[] { "handler", "depthead" })
        {
            var about = (await Inbox(user)).Where(b => b.Contains(number)).ToList();
            Assert.True(about.Count == 1, $"{user}: {string.Join(" | ", about)}");
            Assert.Contains("催办", about[0]);
        }
        if (app.Provider == "postgres") Assert.Single(urged, s => s.Contains("pg_notify", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADispatchOnAWarmNode_FindsWhomToTellInTheStaffDirectory_WithoutReadingUsers()
    {
        // Decision 050: on PostgreSQL the node keeps every active account with its roles until any account changes;
        // the act-now notices of a step no longer ask the database who the department's handlers are.
        app.Clock.Set(At(3, 17, 9));
        var ids = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var id = (await Api.CreateCase(await app.As("agent"), Api.Report(phone: null))).Id();
            await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
            ids.Add(id);
        }
        await TracedAction("dispatcher", ids[0], "dispatch", new { leadDepartment = "SZGLC" });
        var (dispatched, statements) = await TracedAction("dispatcher", ids[1], "dispatch", new { leadDepartment = "SZGLC" });
        Assert.Contains(await Inbox("handler"), b => b.Contains(dispatched.Str("number")) && b.Contains("新派遣案件待签收"));
        if (app.Provider == "postgres")
            Assert.DoesNotContain(statements, s => s.Contains("FROM users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWarmNode_TakesTheCatalogueVersion_DepartmentsAndTheGridsInspector_FromWhatItHolds()
    {
        // Decision 052: on PostgreSQL a node hears every change of the reference tables at commit, so a step no longer
        // asks the database for the current catalogue version (filing), whether a department is in use and its name
        // (dispatch, and every notice that names it), or the grid's inspector who will check the result (finish).
        app.Clock.Set(At(3, 18, 9));
        Guid inspector;
        using (var scope = app.Factory.Services.CreateScope())
            inspector = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Users.Where(u => u.UserName == "inspector").Select(u => u.Id).SingleAsync();
        var asked = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            // The first case warms the node (its copies are read then); the second's statements are the ones that count.
            asked.Clear();
            var id = (await Api.CreateCase(await app.As("agent"), Api.Report(phone: null))).Id();
            var (filed, s1) = await TracedAction("leader", id, "file", new { standardItem = "C0101-01" });
            var (dispatched, s2) = await TracedAction("dispatcher", id, "dispatch", new { leadDepartment = "SZGLC" });
            var (_, s3) = await TracedAction("handler", id, "sign-for", new { });
            var (finished, s4) = await TracedAction("handler", id, "finish", new { result = "已处理" });
            asked.AddRange([.. s1, .. s2, .. s3, .. s4]);
            Assert.Equal("pending-dispatch", filed.Str("state"));
            Assert.Contains(await Inbox("handler"), b => b.Contains(dispatched.Str("number")) && b.Contains("市政管理处"));
            Assert.Equal(inspector.ToString(), finished.GetProperty("flags").Str("assignedInspector"));
        }
        if (app.Provider == "postgres")
            foreach (var table in new[] { "catalogue_versions", "FROM departments", "FROM grids", "FROM users", "FROM user_contacts" })
                Assert.DoesNotContain(asked, q => q.Contains(table, StringComparison.Ordinal));
    }

    /// <summary>
    /// A workflow action whose database statements are collected: the request carries a trace of its own, and
    /// Npgsql's activities of that trace are its statements (PostgreSQL; none are seen on SQLite).
    /// </summary>
    async Task<(JsonElement Case, List<string> Statements)> TracedAction(string user, Guid id, string action, object body)
    {
        var trace = System.Diagnostics.ActivityTraceId.CreateRandom();
        var statements = new List<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId != trace || a.Source.Name != "Npgsql") return;
                lock (statements) statements.Add((a.GetTagItem("db.query.text") ?? a.GetTagItem("db.statement"))?.ToString() ?? a.DisplayName);
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/cases/{id}/actions/{action}") { Content = JsonContent.Create(body) };
        request.Headers.Add("traceparent", $"00-{trace}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01");
        using var response = await (await app.As(user)).SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, json);
        if (app.Provider == "postgres") Assert.NotEmpty(statements);
        lock (statements) return (JsonDocument.Parse(json).RootElement.Clone(), statements.ToList());
    }

    [Fact]
    public async Task ActNow_ReachesTheDepartmentsPeople_InAppAndAtTheirContact_WithTheDepartmentsName_AndNobodyElse()
    {
        // The notifier reads only the users, the contact rows and the department name a step needs (decision 031).
        var handler = await app.As("handler");
        (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = "13900000003" })).EnsureSuccessStatusCode();
        try
        {
            var id = await FollowThroughSteps.DispatchedAt(app, At(3, 13, 9));
            var number = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).Str("number");
            Assert.Contains(await Inbox("handler"), b => b.Contains(number) && b.Contains("新派遣案件待签收") && b.Contains("市政管理处"));
            Assert.Contains(await Inbox("depthead"), b => b.Contains(number));
            Assert.DoesNotContain(await Inbox("dept-hwc"), b => b.Contains(number));
            Assert.DoesNotContain(await Inbox("dispatcher"), b => b.Contains(number) && b.Contains("新派遣案件待签收"));
            var outbox = (await Api.Get(await app.As("supervisor"), $"/api/v1/notifications/outbox?caseId={id}")).EnumerateArray()
                .Where(m => m.Str("template") == "act-now").ToList();
            Assert.Contains(outbox, m => m.Str("channel") == "sms" && m.Str("recipient") == "139****0003");
        }
        finally
        {
            (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = (string?)null })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task InternalAssignment_NotifiesTheHandler_AndMustBeTakenBackBeforeAReturn()
    {
        var id = await Handling(At(3, 12, 9));
        var assigned = await Api.ActOk(await app.As("depthead"), id, "assign", new { assignee = "handler" });
        Assert.NotNull(assigned.GetProperty("flags").Str("assignedHandler"));
        var number = assigned.Str("number");
        Assert.Contains(await Inbox("handler"), b => b.Contains(number) && b.Contains("分派"));
        var refused = await Api.Act(await app.As("depthead"), id, "return", new { reason = "不属于本单位" });
        Assert.Contains("internal assignment", (await Api.Problem(refused, HttpStatusCode.Conflict)).Str("detail"));
        var unknown = await Api.Act(await app.As("depthead"), id, "assign", new { assignee = "inspector" });
        Assert.Contains("assignee", (await Api.Problem(unknown, HttpStatusCode.UnprocessableEntity)).GetProperty("errors").ToString());
        await Api.ActOk(await app.As("depthead"), id, "take-back");
        var returned = await Api.ActOk(await app.As("depthead"), id, "return", new { reason = "不属于本单位" });
        Assert.Equal("return-requested", returned.State());
    }

    [Fact]
    public async Task InternalAssignment_ToATeam_LetsTheTeamWorkTheCase_UntilTheHeadTakesItBack()
    {
        // 区城市管理局 (CGJ) leads; its 市政管理处 (SZGLC) is one of its teams; 环卫处 (HWC) another.
        var id = await FollowThroughSteps.DispatchedAt(app, At(3, 12, 14), lead: "CGJ");
        var head = await app.As("dept-cgj");
        await Api.ActOk(head, id, "sign-for");
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.As("handler")).GetAsync($"/api/v1/cases/{id}")).StatusCode);

        var teams = await Api.Get(head, $"/api/v1/pickers/team?caseId={id}");
        Assert.Equal(["CGZFDD", "HWC", "SZGLC", "YLLHS"], teams.GetProperty("items").EnumerateArray().Select(i => i.Str("code")).OrderBy(x => x, StringComparer.Ordinal));
        var notATeam = await Api.Act(head, id, "assign", new { team = "ZJJ" });
        Assert.Contains("team", (await Api.Problem(notATeam, HttpStatusCode.UnprocessableEntity)).GetProperty("errors").ToString());
        var both = await Api.Act(head, id, "assign", new { team = "SZGLC", assignee = "dept-cgj" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, both.StatusCode);
        var neither = await Api.Act(head, id, "assign", new { opinion = "请处理" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, neither.StatusCode);

        var assigned = await Api.ActOk(head, id, "assign", new { team = "SZGLC", opinion = "请市政管理处处理" });
        Assert.Equal("SZGLC", assigned.GetProperty("flags").Str("assignedTeam"));
        var number = assigned.Str("number");
        Assert.Contains(await Inbox("handler"), b => b.Contains(number) && b.Contains("分派"));
        var assign = (await Events(id)).Single(e => e.Str("action") == "assign");
        Assert.Equal("SZGLC", assign.GetProperty("payload").Str("team"));

        // The team sees the case in its list and works it; another team does not.
        var list = await Api.Get(await app.As("handler"), "/api/v1/cases?state=handling&pageSize=100");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), i => i.Str("number") == number);
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.As("dept-hwc")).GetAsync($"/api/v1/cases/{id}")).StatusCode);
        var teamReturn = await Api.Act(await app.As("handler"), id, "return", new { reason = "不归我们" });
        Assert.Equal(HttpStatusCode.Forbidden, teamReturn.StatusCode);
        var headReturn = await Api.Act(head, id, "return", new { reason = "不属于本单位" });
        Assert.Contains("internal assignment", (await Api.Problem(headReturn, HttpStatusCode.Conflict)).Str("detail"));

        // Taken back, the team no longer holds it; given again, the team finishes it.
        var back = await Api.ActOk(head, id, "take-back");
        Assert.Equal(JsonValueKind.Null, back.GetProperty("flags").GetProperty("assignedTeam").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.As("handler")).GetAsync($"/api/v1/cases/{id}")).StatusCode);
        await Api.ActOk(head, id, "assign", new { team = "SZGLC" });
        var finished = await Api.ActOk(await app.As("handler"), id, "finish", new { result = "市政管理处已修复" });
        Assert.Equal("pending-check", finished.State());
    }

    [Fact]
    public async Task AssistingDepartment_ReportsItsPart_WhichTheLeadSeesOnTheCase()
    {
        app.Clock.Set(At(3, 13, 9));
        var c = await Api.CreateCase(await app.As("agent"));
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { "HWC" } });
        Assert.Contains(await Inbox("dept-hwc"), b => b.Contains(c.Str("number")));
        await Api.ActOk(await app.As("dept-hwc"), c.Id(), "assist-report", new { result = "已清运周边垃圾" });
        var report = (await Events(c.Id())).Single(e => e.Str("action") == "assist-report");
        Assert.Equal("HWC", report.Str("department"));
        Assert.True(report.GetProperty("payload").GetProperty("onTime").GetBoolean());
        Assert.Contains("assist-report", (await Api.Get(await app.As("handler"), $"/api/v1/cases/{c.Id()}/events")).ToString());
    }

    [Fact]
    public async Task Urge_ByTheDispatcher_IsRecordedAndReachesTheDepartment()
    {
        var id = await Handling(At(3, 16, 9));
        await Api.ActOk(await app.As("dispatcher"), id, "urge", new { opinion = "市民再次来电，请加快处理" });
        var number = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).Str("number");
        Assert.Contains(await Inbox("handler"), b => b.Contains(number) && b.Contains("催办"));
        Assert.Contains(await Events(id), e => e.Str("action") == "urge" && e.Str("opinion") == "市民再次来电，请加快处理");
    }

    [Fact]
    public async Task DisputedReturn_GoesToArbitration_AndTheShiftLeaderDecides()
    {
        var id = await Handling(At(3, 17, 9));
        await Api.ActOk(await app.As("handler"), id, "return", new { reason = "属公路局养护路段" });
        await Api.ActOk(await app.As("dispatcher"), id, "refer-arbitration", new { reason = "职责不清" });
        Assert.Contains(await Inbox("leader"), b => b.Contains("待仲裁"));
        var missing = await Api.Act(await app.As("leader"), id, "arbitrate", new { upheld = false });
        await Api.Problem(missing, HttpStatusCode.UnprocessableEntity);
        var decided = await Api.ActOk(await app.As("leader"), id, "arbitrate", new { upheld = false, reason = "属本单位职责清单第3项" });
        Assert.Equal("handling", decided.State());
    }

    [Fact]
    public async Task Merge_LeavesAnEventOnTheTarget_AndTheMergedCaseIsNotCancelled()
    {
        var target = await Reported(At(3, 18, 9));
        var duplicate = await Reported(At(3, 18, 9, 5));
        var targetNumber = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{target}")).Str("number");
        var merged = await Api.ActOk(await app.As("intake"), duplicate, "merge", new { targetCase = targetNumber });
        Assert.Equal("merged", merged.State());
        var onTarget = (await Events(target)).Single(e => e.Str("action") == "merged-in");
        Assert.Equal(merged.Str("number"), onTarget.GetProperty("payload").Str("caseNumber"));
        Assert.Equal("受理员（演示）", onTarget.Str("actorName"));
        Assert.Equal(1, (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{target}")).GetProperty("flags").GetProperty("mergedInCount").GetInt32());
    }

    [Fact]
    public async Task Reopen_ByTheShiftLeader_ForAStatedReason()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(3, 19, 9));
        await FollowThroughSteps.Closed(app, id);
        var reopened = await Api.ActOk(await app.As("leader"), id, "reopen", new { reason = "媒体曝光问题仍在" });
        Assert.Equal("handling", reopened.State());
        Assert.Contains(await Inbox("handler"), b => b.Contains("重新办理"));
    }

    [Fact]
    public async Task FeedbackReview_WhereConfigured_TheDispatcherAcceptsOrSendsBack()
    {
        await using var reviewing = app.NewFactory(new Dictionary<string, string> { ["Workflow:ReviewFeedback"] = "true" });
        var id = await Handling(At(3, 20, 9));
        var handler = await app.As("handler", reviewing);
        var dispatcher = await app.As("dispatcher", reviewing);
        var finished = await Api.ActOk(handler, id, "finish", new { result = "已处理" });
        Assert.Equal("feedback-review", finished.State());
        Assert.Equal("review", finished.GetProperty("deadlines").Str("currentPhase"));
        await Api.ActOk(dispatcher, id, "reject-feedback", new { reason = "缺少处置后照片" });
        await Api.ActOk(handler, id, "finish", new { result = "已处理，补充照片" });
        var accepted = await Api.ActOk(dispatcher, id, "accept-feedback");
        Assert.Equal("pending-check", accepted.State());
    }

    [Fact]
    public async Task Supervision_ByTheShiftLeader_OnlyWhereConfigured()
    {
        var id = await Handling(At(3, 23, 9));
        var body = new { caseIds = new[] { id }, level = "general", dueAt = At(3, 30, 9), requirement = "请尽快处理" };
        var refused = await (await app.As("leader")).PostAsJsonAsync("/api/v1/supervision-orders", body);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await using var allowing = app.NewFactory(new Dictionary<string, string> { ["Workflow:ShiftLeaderSupervises"] = "true" });
        var issued = await (await app.As("leader", allowing)).PostAsJsonAsync("/api/v1/supervision-orders", body);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
    }

    [Fact]
    public async Task EveryEventAndDerivedRow_CarriesThePlatform_AndNoPayloadCarriesTheCaller()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(3, 24, 9), Api.Report(description: "新建路路灯不亮", phone: "13912345678"));
        await FollowThroughSteps.Closed(app, id);
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == id).ToListAsync();
        Assert.All(events, e => Assert.Equal("451202", e.PlatformCode));
        Assert.DoesNotContain(events, e => (e.Payload ?? "").Contains("13912345678") || (e.Payload ?? "").Contains("张先生") || (e.Clock ?? "").Contains("1391234"));
        Assert.All(await db.Set<CasePhaseTime>().Where(p => p.CaseId == id).ToListAsync(), p => Assert.Equal("451202", p.PlatformCode));
        Assert.All(await db.Set<FollowUpTask>().Where(p => p.CaseId == id).ToListAsync(), p => Assert.Equal("451202", p.PlatformCode));
    }

    /// <summary>Everything the projections keep, in a comparable form.</summary>
    static async Task<string> Snapshot(CityLoopDb db)
    {
        var phases = (await db.Set<CasePhaseTime>().AsNoTracking().ToListAsync())
            .Select(p => $"{p.CaseId}|{p.EndedBySeq}|{p.Phase}|{p.StartedAt.UtcTicks}|{p.EndedAt.UtcTicks}|{p.DueAt?.UtcTicks}|{p.LimitType}|{p.WallSeconds}|{p.BusinessSeconds}|{p.PausedSeconds}|{p.OnTime}|{p.DepartmentCode}|{p.UserId}|{p.PlatformCode}")
            .Order(StringComparer.Ordinal);
        var tasks = (await db.Set<FollowUpTask>().AsNoTracking().ToListAsync())
            .Select(t => $"{t.Id}|{t.CaseId}|{t.Method}|{t.Status}|{t.Outcome}|{t.TokenHash}|{t.CreatedAt.UtcTicks}|{t.DueAt?.UtcTicks}|{t.CompletedAt?.UtcTicks}|{t.CompletedBy}|{t.Resolved}|{t.Satisfaction}|{t.Comment}|{t.DepartmentCode}|{t.PlatformCode}")
            .Order(StringComparer.Ordinal);
        var reminders = (await db.Set<Reminder>().AsNoTracking().ToListAsync())
            .Select(r => $"{r.CaseId}|{r.Phase}|{r.Kind}|{r.Level}|{r.DueAt.UtcTicks}|{r.SentAt.UtcTicks}|{r.Recipients}|{r.PlatformCode}")
            .Order(StringComparer.Ordinal);
        var clocks = (await db.Cases.AsNoTracking().ToListAsync())
            .Select(c => $"{c.Id}|{c.ClockPhase}|{c.ClockStartedAt?.UtcTicks}|{c.ClockDueAt?.UtcTicks}|{c.ClockWarnAt?.UtcTicks}|{c.ClockPausedSeconds}")
            .Order(StringComparer.Ordinal);
        return string.Join("\n", phases) + "\n--\n" + string.Join("\n", tasks) + "\n--\n" + string.Join("\n", reminders) + "\n--\n" + string.Join("\n", clocks);
    }

    [Fact]
    public async Task Rebuild_FromTheEventsAlone_AfterAVariedHistory_IsIdenticalToTheIncrementalProjections()
    {
        // Rework twice, a dissatisfied self-rating and a reopening, a return approved and redispatched, an extension,
        // a suspension and resume, a merge, a transfer, reminders and escalations from the sweep.
        var reworked = await Handling(At(4, 13, 9));
        var handler = await app.As("handler");
        var intake = await app.As("intake");
        await Api.ActOk(handler, reworked, "finish", new { result = "已处理" });
        await Api.ActOk(intake, reworked, "check-fail", new { reason = "未处理到位" });
        await Api.ActOk(handler, reworked, "finish", new { result = "已返工" });
        await Api.ActOk(intake, reworked, "check-fail", new { reason = "仍未到位" });
        await Api.ActOk(handler, reworked, "finish", new { result = "已二次返工" });
        await Api.ActOk(intake, reworked, "check-pass", new { opinion = "通过" });
        await Api.ActOk(await app.As("leader"), reworked, "close", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("agent"), reworked, "follow-up", new { contacted = true, resolved = false, satisfaction = "dissatisfied" });
        await Api.ActOk(await app.As("leader"), reworked, "reopen", new { reason = "市民不满意" });

        var returned = await Handling(At(4, 13, 10));
        await Api.ActOk(await app.As("handler"), returned, "return", new { reason = "不属于本单位" });
        await Api.ActOk(await app.As("dispatcher"), returned, "approve-return");
        await Api.ActOk(await app.As("dispatcher"), returned, "dispatch", new { leadDepartment = "HWC" });

        var extended = await Handling(At(4, 13, 11));
        var due = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{extended}")).GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        await Api.ActOk(await app.As("handler"), extended, "request-extension", new { dueAt = due.AddDays(5), reason = "等待材料" });
        await Api.ActOk(await app.As("dispatcher"), extended, "approve-extension");

        var suspended = await Handling(At(4, 13, 12));
        await Api.ActOk(await app.As("depthead"), suspended, "request-suspension", new { reason = "资金未到位" });
        await Api.ActOk(await app.As("leader"), suspended, "approve-suspension");
        app.Clock.Set(At(4, 20, 10));
        await Api.ActOk(await app.As("leader"), suspended, "resume");
        await Api.ActOk(await app.As("handler"), suspended, "finish", new { result = "已处理" });

        var mergedInto = await Reported(At(4, 21, 9));
        var duplicate = await Reported(At(4, 21, 9, 1));
        await Api.ActOk(await app.As("intake"), duplicate, "merge",
            new { targetCase = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{mergedInto}")).Str("number") });
        var transferred = await Reported(At(4, 21, 9, 2));
        await Api.ActOk(await app.As("intake"), transferred, "transfer", new { target = "河池市12345热线", reason = "属市级事权" });

        // Late: reminders, overdue flags and escalations from the sweep.
        app.Clock.Set(At(5, 11, 9));
        await FollowThroughSteps.Sweep(app);

        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.NotEmpty(await db.Set<Reminder>().ToListAsync());
        Assert.NotEmpty(await db.Set<FollowUpTask>().Where(t => t.Outcome != null).ToListAsync());
        var incremental = await Snapshot(db);

        // An interrupted rebuild resumes from its checkpoint.
        var rebuilder = scope.ServiceProvider.GetRequiredService<ProjectionRebuilder>();
        var batches = 0;
        await Assert.ThrowsAsync<OperationCanceledException>(() => rebuilder.RebuildAsync(3, restart: true,
            progress: p => { if (++batches == 2) throw new OperationCanceledException("stopped"); }));
        Assert.NotNull(await db.Set<ProjectionCheckpoint>().AsNoTracking().SingleOrDefaultAsync());
        var result = await rebuilder.RebuildAsync(3);
        Assert.True(result.Finished);
        Assert.Empty(await db.Set<ProjectionCheckpoint>().AsNoTracking().ToListAsync());

        db.ChangeTracker.Clear();
        var rebuilt = await Snapshot(db);
        Assert.Equal(incremental, rebuilt);

        // And from scratch, with the derived tables emptied first.
        await db.Set<CasePhaseTime>().ExecuteDeleteAsync();
        await db.Set<FollowUpTask>().ExecuteDeleteAsync();
        await db.Set<Reminder>().ExecuteDeleteAsync();
        await rebuilder.RebuildAsync(50, restart: true);
        db.ChangeTracker.Clear();
        Assert.Equal(incremental, await Snapshot(db));
    }
}

[Collection("sqlite")]
public sealed class LoopTests_Sqlite(SqliteApp app) : LoopTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class LoopTests_Postgres(PostgresApp app) : LoopTests<PostgresApp>(app), IClassFixture<PostgresApp>;

/// <summary>Calendars: the holiday warning from 1 November and the close-of-business rule on a department's calendar.</summary>
public abstract class CalendarRuleTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset At(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.FromHours(8));

    [Fact]
    public async Task NextYearsHolidays_MissingFromNovemberFirst_AreReportedToTheAdministrator()
    {
        app.Clock.Set(At(2026, 10, 31, 23, 59));
        var admin = await app.As("admin");
        Assert.Empty((await Api.Get(admin, "/api/v1/admin/calendars/holiday-status")).GetProperty("missingYears").EnumerateArray());
        app.Clock.Set(At(2026, 11, 1, 0, 0));
        admin = await app.As("admin");
        Assert.Equal([2027], (await Api.Get(admin, "/api/v1/admin/calendars/holiday-status")).GetProperty("missingYears").EnumerateArray().Select(y => y.GetInt32()));
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("dispatcher")).GetAsync("/api/v1/admin/calendars/holiday-status")).StatusCode);

        // Importing them clears the warning.
        var holidays = new { exceptions = new[] { new { date = "2027-01-01", kind = "holiday", name = "元旦" } } };
        (await admin.PutAsJsonAsync("/api/v1/admin/calendars/platform", holidays)).EnsureSuccessStatusCode();
        Assert.Empty((await Api.Get(admin, "/api/v1/admin/calendars/holiday-status")).GetProperty("missingYears").EnumerateArray());
    }

    [Fact]
    public async Task CloseOfBusinessRule_OnADepartmentsCalendar_EndsTheHandlingDayLimitAtItsClose()
    {
        var admin = await app.As("admin");
        (await admin.PutAsJsonAsync("/api/v1/admin/calendars/GSGS", new { dayRule = "close-of-business" })).EnsureSuccessStatusCode();
        Assert.Equal("close-of-business", (await Api.Get(admin, "/api/v1/calendars/GSGS")).Str("dayRule"));
        var bad = await admin.PutAsJsonAsync("/api/v1/admin/calendars/GSGS", new { dayRule = "whenever" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        try
        {
            // Friday 6 March 2026 10:00, "井盖松动" (C0101-03) has 2 working days: the close of Tuesday 10 March.
            var id = await FollowThroughSteps.DispatchedAt(app, At(2026, 3, 6, 10), lead: "GSGS", standardItem: "C0101-03");
            var handling = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
            Assert.Equal(At(2026, 3, 10, 17, 30), handling);
        }
        finally
        {
            (await admin.PutAsJsonAsync("/api/v1/admin/calendars/GSGS", new { dayRule = "same-time" })).EnsureSuccessStatusCode();
        }
    }
}

[Collection("sqlite")]
public sealed class CalendarRuleTests_Sqlite(SqliteApp app) : CalendarRuleTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CalendarRuleTests_Postgres(PostgresApp app) : CalendarRuleTests<PostgresApp>(app), IClassFixture<PostgresApp>;
