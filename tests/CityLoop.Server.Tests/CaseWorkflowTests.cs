using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>Every path of the workflow over HTTP, with the event log checked after each.</summary>
public abstract class CaseWorkflowTests<TApp>(TApp app) where TApp : AppFixture
{
    const string Dept = "SZGLC";

    async Task<Guid> Dispatched(string lead = Dept)
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01", opinion = "立案" });
        await Api.ActOk(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = lead, assistingDepartments = new[] { "HWC" } });
        return c.Id();
    }

    [Fact]
    public async Task Intake_WithTheMinimumFields_CreatesANumberedCaseAndItsFirstEvent()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, new { source = "hotline", requestType = "enquiry", description = "办理居住证需要什么材料？", address = "金城江区" });
        Assert.Equal("reported", c.State());
        Assert.Matches(@"^451202-\d{8}-\d{6}$", c.Str("number"));
        Assert.Matches(@"^\d{6}$", c.Str("queryCode"));
        Assert.Equal(["create"], await Api.Actions(agent, c.Id()));
    }

    [Fact]
    public async Task FullLoop_WithVerificationReworkFollowUpAndReopen_IsLoggedCompletely()
    {
        var agent = await app.As("agent");
        var intake = await app.As("intake");
        var leader = await app.As("leader");
        var dispatcher = await app.As("dispatcher");
        var handler = await app.As("handler");
        var inspector = await app.As("inspector");
        var supervisor = await app.As("supervisor");
        var id = (await Api.CreateCase(agent)).Id();

        await Api.ActOk(intake, id, "request-verification", new { inspector = "inspector" });
        await Api.ActOk(inspector, id, "verify", new { confirmed = true, opinion = "属实" });
        await Api.ActOk(leader, id, "file", new { standardItem = "C0101-01" });
        var dispatched = await Api.ActOk(dispatcher, id, "dispatch", new { leadDepartment = Dept });
        Assert.Equal("pending-sign-for", dispatched.State());
        Assert.NotEqual(JsonValueKind.Null, dispatched.GetProperty("deadlines").GetProperty("handling").ValueKind);
        await Api.ActOk(handler, id, "sign-for");
        await Api.ActOk(handler, id, "finish", new { result = "已补装井盖" });
        var rework = await Api.ActOk(inspector, id, "check-fail", new { reason = "井盖不平整" });
        Assert.Equal("handling", rework.State());
        Assert.Equal(1, rework.GetProperty("flags").GetProperty("reworkCount").GetInt32());
        await Api.ActOk(handler, id, "finish", new { result = "已重新安装" });
        await Api.ActOk(inspector, id, "check-pass");
        var closed = await Api.ActOk(leader, id, "close", new { standardItem = "C0101-01" });
        Assert.Equal("closed", closed.State());
        await Api.ActOk(agent, id, "follow-up", new { contacted = true, resolved = false, satisfaction = "dissatisfied", comment = "还是响" });
        var reopened = await Api.ActOk(supervisor, id, "reopen", new { reason = "市民不满意" });
        Assert.Equal("handling", reopened.State());
        Assert.Equal(1, reopened.GetProperty("flags").GetProperty("reopenedCount").GetInt32());
        await Api.ActOk(handler, id, "finish", new { result = "更换为防响井盖" });
        await Api.ActOk(inspector, id, "check-pass");
        await Api.ActOk(leader, id, "close", new { standardItem = "C0101-01" });

        Assert.Equal(
            ["create", "request-verification", "verify", "file", "dispatch", "sign-for", "finish", "check-fail", "finish", "check-pass", "close",
                "follow-up-scheduled", "follow-up", "follow-up-reviewed", "reopen", "finish", "check-pass", "close", "follow-up-scheduled"],
            await Api.Actions(agent, id));
        var events = await Api.Get(agent, $"/api/v1/cases/{id}/events");
        var seqs = events.EnumerateArray().Select(e => e.GetProperty("seq").GetInt32()).ToArray();
        Assert.Equal(Enumerable.Range(1, seqs.Length), seqs);
        var rework1 = events.EnumerateArray().First(e => e.GetProperty("action").GetString() == "check-fail");
        Assert.Equal("pending-check", rework1.GetProperty("from").GetString());
        Assert.Equal("handling", rework1.GetProperty("to").GetString());
        Assert.Equal("inspector", rework1.GetProperty("role").GetString());
        Assert.Equal("井盖不平整", rework1.GetProperty("opinion").GetString());
    }

    [Fact]
    public async Task ReturnPath_DeniedThenApproved_ThenRedispatched()
    {
        var id = await Dispatched();
        var handler = await app.As("handler");
        var dispatcher = await app.As("dispatcher");
        await Api.ActOk(handler, id, "return", new { reason = "不属于本单位" });
        var denied = await Api.ActOk(dispatcher, id, "deny-return", new { reason = "属于市政设施" });
        Assert.Equal("pending-sign-for", denied.State());
        await Api.ActOk(handler, id, "sign-for");
        await Api.ActOk(handler, id, "return", new { reason = "属供水公司" });
        var approved = await Api.ActOk(dispatcher, id, "approve-return");
        Assert.Equal("pending-dispatch", approved.State());
        Assert.Equal(JsonValueKind.Null, approved.GetProperty("leadDepartment").ValueKind);
        await Api.ActOk(dispatcher, id, "dispatch", new { leadDepartment = "GSGS" });
        var redispatched = await Api.ActOk(dispatcher, id, "redispatch", new { leadDepartment = "HWC", reason = "改派" });
        Assert.Equal("HWC", redispatched.Str("leadDepartment"));
        Assert.Equal(["create", "file", "dispatch", "return", "deny-return", "sign-for", "return", "approve-return", "dispatch", "redispatch"],
            await Api.Actions(dispatcher, id));
    }

    [Fact]
    public async Task Extension_DeniedThenApproved_MovesTheHandlingDeadline()
    {
        var id = await Dispatched();
        var handler = await app.As("handler");
        var leader = await app.As("leader");
        var c = await Api.ActOk(handler, id, "sign-for");
        var due = c.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        await Api.ActOk(handler, id, "request-extension", new { reason = "配件缺货", dueAt = due.AddDays(2) });
        var denied = await Api.ActOk(leader, id, "deny-extension", new { reason = "不予延期" });
        Assert.Equal(due, denied.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset());
        await Api.ActOk(handler, id, "request-extension", new { reason = "配件缺货", dueAt = due.AddDays(2) });
        var approved = await Api.ActOk(await app.As("dispatcher"), id, "approve-extension");
        Assert.Equal("handling", approved.State());
        Assert.Equal(due.AddDays(2), approved.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset());
    }

    [Fact]
    public async Task Suspension_DeniedThenApprovedThenResumed_PausesTheClock()
    {
        var id = await Dispatched();
        var head = await app.As("depthead");
        var leader = await app.As("leader");
        var c = await Api.ActOk(head, id, "sign-for");
        var due = c.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        await Api.ActOk(head, id, "request-suspension", new { reason = "需纳入改造计划" });
        await Api.ActOk(leader, id, "deny-suspension", new { reason = "可先临时处置" });
        await Api.ActOk(head, id, "request-suspension", new { reason = "资金未到位" });
        var suspended = await Api.ActOk(leader, id, "approve-suspension");
        Assert.Equal("suspended", suspended.State());
        Assert.Equal("paused", suspended.Str("light"));
        app.Clock.Advance(TimeSpan.FromDays(2));
        var resumed = await Api.ActOk(await app.As("leader"), id, "resume");
        Assert.Equal("handling", resumed.State());
        Assert.True(resumed.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset() > due);
    }

    [Fact]
    public async Task Enquiry_AnsweredDirectly_IsClosedAtIntakeAndFollowedUp()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, Api.Report("公交卡在哪里办理？", "enquiry", category: null));
        var closed = await Api.ActOk(agent, c.Id(), "answer-directly", new { answer = "可到金城中路服务网点办理。" });
        Assert.Equal("closed", closed.State());
        Assert.True(closed.GetProperty("flags").GetProperty("closedAtIntake").GetBoolean());
        var followed = await Api.ActOk(agent, c.Id(), "follow-up", new { contacted = true, resolved = true, satisfaction = "very-satisfied" });
        Assert.Equal("very-satisfied", followed.GetProperty("followUp").GetProperty("satisfaction").GetString());
    }

    [Fact]
    public async Task Merge_Cancel_Transfer_Reject_AndSupervise_EndWhereTheyShould()
    {
        var agent = await app.As("agent");
        var intake = await app.As("intake");
        var leader = await app.As("leader");
        var first = await Api.CreateCase(agent);
        var duplicate = await Api.CreateCase(agent);
        var merged = await Api.ActOk(intake, duplicate.Id(), "merge", new { targetCase = first.Str("number") });
        Assert.Equal("merged", merged.State());
        Assert.Equal(first.Str("number"), merged.GetProperty("flags").GetProperty("mergedInto").GetString());
        var bogus = await Api.Act(intake, (await Api.CreateCase(agent)).Id(), "merge", new { targetCase = "451202-19990101-000001" });
        await Api.Problem(bogus, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("cancelled", (await Api.ActOk(leader, (await Api.CreateCase(agent)).Id(), "cancel", new { reason = "重复" })).State());
        Assert.Equal("transferred", (await Api.ActOk(intake, (await Api.CreateCase(agent)).Id(), "transfer", new { target = "市12345", reason = "市级事权" })).State());
        Assert.Equal("rejected", (await Api.ActOk(leader, (await Api.CreateCase(agent)).Id(), "reject", new { reason = "不属于城管范围" })).State());
        var supervised = await Api.ActOk(await app.As("supervisor"), first.Id(), "supervise", new { opinion = "请加快办理" });
        Assert.True(supervised.GetProperty("flags").GetProperty("supervised").GetBoolean());
        Assert.Equal("reported", supervised.State());
    }

    [Fact]
    public async Task IllegalTransitions_AreRefusedWithProblemDetails()
    {
        var agent = await app.As("agent");
        var handler = await app.As("handler");
        var c = await Api.CreateCase(agent);

        var wrongState = await Api.Problem(await Api.Act(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = Dept }), HttpStatusCode.Conflict);
        Assert.Equal("reported", wrongState.GetProperty("currentState").GetString());
        await Api.Problem(await Api.Act(agent, c.Id(), "close", new { standardItem = "x" }), HttpStatusCode.Forbidden);
        var missing = await Api.Problem(await Api.Act(await app.As("leader"), c.Id(), "file"), HttpStatusCode.UnprocessableEntity);
        Assert.True(missing.GetProperty("errors").TryGetProperty("standardItem", out _));
        await Api.Problem(await Api.Act(agent, c.Id(), "teleport"), HttpStatusCode.NotFound);
        await Api.Problem(await Api.Act(handler, c.Id(), "sign-for"), HttpStatusCode.NotFound);
        var badEnum = await agent.PostAsJsonAsync("/api/v1/cases", new { source = "carrier-pigeon", requestType = "help", description = "x", address = "y" });
        // An unknown code is a field error naming the field, like every other code intake checks.
        var enumProblem = await Api.Problem(badEnum, HttpStatusCode.UnprocessableEntity);
        Assert.True(enumProblem.GetProperty("errors").TryGetProperty("source", out _));
        var noPlace = await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "help", description = "x" });
        var p = await Api.Problem(noPlace, HttpStatusCode.UnprocessableEntity);
        Assert.True(p.GetProperty("errors").TryGetProperty("location", out _));

        var filed = await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        await Api.Problem(await Api.Act(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = "NOPE" }), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["create", "file"], await Api.Actions(agent, c.Id()));
        Assert.Equal(filed.GetProperty("version").GetInt32(), (await Api.Get(agent, $"/api/v1/cases/{c.Id()}")).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task AvailableActions_ListWhatTheUserMayDoNow_WithTheirFields()
    {
        var id = await Dispatched();
        var actions = await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}/actions");
        var names = actions.EnumerateArray().Select(a => a.GetProperty("action").GetString()!).ToArray();
        // An extension is asked only once the case is signed for.
        Assert.Equal(["sign-for", "return"], names);
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        actions = await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}/actions");
        Assert.Equal(["return", "request-extension", "finish"], actions.EnumerateArray().Select(a => a.GetProperty("action").GetString()!).ToArray());
        var extension = actions.EnumerateArray().Single(a => a.GetProperty("action").GetString() == "request-extension");
        Assert.Contains(extension.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "dueAt" && f.GetProperty("required").GetBoolean());
        Assert.Empty((await Api.Get(await app.As("agent"), $"/api/v1/cases/{id}/actions")).EnumerateArray());
    }
}

[Collection("sqlite")]
public sealed class CaseWorkflowTests_Sqlite(SqliteApp app) : CaseWorkflowTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CaseWorkflowTests_Postgres(PostgresApp app) : CaseWorkflowTests<PostgresApp>(app), IClassFixture<PostgresApp>;
