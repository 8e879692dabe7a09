using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>
/// Every code an action carries is checked against reference data at the action, each refusal naming its field;
/// the picker API offers exactly what the check accepts; routing warns about the department that just returned the case.
/// </summary>
public abstract class ActionReferenceTests<TApp>(TApp app) where TApp : AppFixture
{
    async Task<Guid> NewCase(string? category = "C0101", string requestType = "complaint") =>
        (await Api.CreateCase(await app.As("agent"), Api.Report(requestType: requestType, category: category))).Id();

    static async Task<JsonElement> Refused(HttpResponseMessage response, string field)
    {
        var problem = await Api.Problem(response, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}': {problem}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        return problem;
    }

    async Task AssertNothingHappened(Guid id) => Assert.Equal(["create"], await Api.Actions(await app.As("supervisor"), id));

    [Fact]
    public async Task File_WithAMadeUpStandardItem_IsRefusedNamingTheField_AndNoDeadlineIsSet()
    {
        var id = await NewCase();
        var leader = await app.As("leader");
        await Refused(await Api.Act(leader, id, "file", new { standardItem = "C0101-99" }), "standardItem");
        await Refused(await Api.Act(leader, id, "file", new { standardItem = "anything" }), "standardItem");
        await AssertNothingHappened(id);
        var filed = await Api.ActOk(leader, id, "file", new { standardItem = "c0101-02" });
        Assert.Equal("C0101-02", filed.Str("filingStandardItem"));
    }

    [Fact]
    public async Task File_WithAnItemOfAnotherCategory_IsRefused_UnlessThatCategoryIsChosenInTheSameAction()
    {
        var id = await NewCase("C0101");
        var leader = await app.As("leader");
        var problem = await Refused(await Api.Act(leader, id, "file", new { standardItem = "C0203-01" }), "standardItem");
        Assert.False(problem.GetProperty("errors").TryGetProperty("categoryCode", out _));
        await AssertNothingHappened(id);
        var filed = await Api.ActOk(leader, id, "file", new { categoryCode = "C0203", standardItem = "C0203-01" });
        Assert.Equal("C0203", filed.Str("categoryCode"));
    }

    [Fact]
    public async Task File_WithAnUnknownCategoryOrAGroup_IsRefusedNamingTheCategory()
    {
        var id = await NewCase();
        var leader = await app.As("leader");
        await Refused(await Api.Act(leader, id, "file", new { categoryCode = "C9999", standardItem = "C0101-01" }), "categoryCode");
        await Refused(await Api.Act(leader, id, "file", new { categoryCode = "C01", standardItem = "C0101-01" }), "categoryCode");
        await Refused(await Api.Act(await app.As("intake"), id, "register", new { categoryCode = "E9999" }), "categoryCode");
        await AssertNothingHappened(id);
    }

    [Fact]
    public async Task Intake_WithAnUnknownCode_IsRefusedNamingTheField_AndNoCaseIsMade()
    {
        var agent = await app.As("agent");
        var supervisor = await app.As("supervisor");
        async Task<int> Count() => (await (await supervisor.GetAsync("/api/v1/cases?pageSize=1")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("total").GetInt32();
        var before = await Count();
        Task<HttpResponseMessage> Post(object body) => agent.PostAsJsonAsync("/api/v1/cases", body);
        object With(string field, object? value)
        {
            var body = JsonSerializer.SerializeToNode(Api.Report())!.AsObject();
            body[field] = JsonSerializer.SerializeToNode(value);
            return body;
        }
        // A made-up category, a group instead of a leaf, a made-up component, and codes of closed lists that are not on them.
        var unknown = await Refused(await Post(With("categoryCode", "C9999")), "categoryCode");
        Assert.Contains("C9999", unknown.GetProperty("errors").GetProperty("categoryCode")[0].GetString());
        await Refused(await Post(With("categoryCode", "C01")), "categoryCode");
        await Refused(await Post(With("categoryCode", "H999999")), "categoryCode");
        await Refused(await Post(With("componentId", "4512020101999999")), "componentId");
        await Refused(await Post(With("requestType", "gossip")), "requestType");
        await Refused(await Post(With("source", "carrier-pigeon")), "source");
        await Refused(await Post(With("urgency", "yesterday")), "urgency");
        Assert.Equal(before, await Count());
        // A known code in another letter case is taken, as the catalogue's key.
        var created = await Api.CreateCase(agent, With("categoryCode", "c0101"));
        Assert.Equal("C0101", created.Str("categoryCode"));
    }

    [Fact]
    public async Task HotlineCase_IsFiledUnderItsRequestTypesLimit_AndNoOther()
    {
        var id = await NewCase("H150103", "complaint");
        var leader = await app.As("leader");
        await Refused(await Api.Act(leader, id, "file", new { standardItem = "H-enquiry" }), "standardItem");
        await Refused(await Api.Act(leader, id, "file", new { standardItem = "C0101-01" }), "standardItem");
        await Api.ActOk(leader, id, "file", new { standardItem = "H-complaint" });
    }

    [Fact]
    public async Task Reject_AndClose_CheckTheirStandards()
    {
        var leader = await app.As("leader");
        var rejected = await NewCase();
        await Refused(await Api.Act(leader, rejected, "reject", new { reason = "不属实", standardItem = "X-1" }), "standardItem");
        await Api.ActOk(leader, rejected, "reject", new { reason = "不属实", standardItem = "C0101-03" });

        var id = await ClosableCase();
        await Refused(await Api.Act(leader, id, "close", new { standardItem = "C0203-01" }), "standardItem");
        await Refused(await Api.Act(leader, id, "close", new { standardItem = "H-complaint" }), "standardItem");
        Assert.Equal("closed", (await Api.ActOk(leader, id, "close", new { standardItem = "C0101-01" })).State());
    }

    async Task<Guid> ClosableCase(string lead = "SZGLC")
    {
        var id = await NewCase();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = lead });
        var handler = await app.As("handler");
        await Api.ActOk(handler, id, "sign-for");
        await Api.ActOk(handler, id, "finish", new { result = "已补装井盖" });
        await Api.ActOk(await app.As("inspector"), id, "check-pass");
        return id;
    }

    [Fact]
    public async Task Dispatch_RefusesUnknownDuplicateOrLeadAsAssistingDepartments()
    {
        var id = await NewCase();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        var dispatcher = await app.As("dispatcher");
        await Refused(await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = "NOPE" }), "leadDepartment");
        await Refused(await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { "HWC", "NOPE" } }), "assistingDepartments");
        await Refused(await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { "SZGLC" } }), "assistingDepartments");
        await Refused(await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { "HWC", "HWC" } }), "assistingDepartments");
        await Refused(await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { " " } }), "assistingDepartments");
        var ok = await Api.ActOk(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC", assistingDepartments = new[] { "HWC" } });
        Assert.Equal("SZGLC", ok.Str("leadDepartment"));
    }

    [Fact]
    public async Task RequestVerification_TakesOnlyAnEnabledInspector_AndKeepsTheirId()
    {
        var id = await NewCase();
        var intake = await app.As("intake");
        await Refused(await Api.Act(intake, id, "request-verification", new { inspector = "dispatcher" }), "inspector");
        await Refused(await Api.Act(intake, id, "request-verification", new { inspector = "nobody" }), "inspector");
        await Api.ActOk(intake, id, "request-verification", new { inspector = "inspector" });
        var events = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}/events");
        var assigned = events.EnumerateArray().Single(e => e.Str("action") == "request-verification").GetProperty("payload").GetProperty("inspector").GetString();
        Assert.True(Guid.TryParse(assigned, out _), assigned);
    }

    [Fact]
    public async Task Merge_IntoItselfAnUnknownOrAClosedCase_IsRefused()
    {
        var intake = await app.As("intake");
        var id = await NewCase();
        var number = (await Api.Get(intake, $"/api/v1/cases/{id}")).Str("number");
        await Refused(await Api.Act(intake, id, "merge", new { targetCase = number }), "targetCase");
        await Refused(await Api.Act(intake, id, "merge", new { targetCase = "451202-19990101-000001" }), "targetCase");
        var closed = await ClosableCase();
        await Api.ActOk(await app.As("leader"), closed, "close", new { standardItem = "C0101-01" });
        var closedNumber = (await Api.Get(intake, $"/api/v1/cases/{closed}")).Str("number");
        await Refused(await Api.Act(intake, id, "merge", new { targetCase = closedNumber }), "targetCase");
        await AssertNothingHappened(id);
        var open = await NewCase();
        var openNumber = (await Api.Get(intake, $"/api/v1/cases/{open}")).Str("number");
        Assert.Equal("merged", (await Api.ActOk(intake, id, "merge", new { targetCase = openNumber })).State());
    }

    [Fact]
    public async Task Refusals_SpeakTheRequestedLanguage()
    {
        var id = await NewCase();
        var leader = await app.As("leader");
        var zh = await Refused(await Api.Act(leader, id, "file", new { standardItem = "C0101-99" }), "standardItem");
        Assert.Contains("立案标准", zh.GetProperty("errors").GetProperty("standardItem")[0].GetString());
        var response = await leader.PostAsJsonAsync($"/api/v1/cases/{id}/actions/file?culture=en", new { standardItem = "C0101-99" });
        var en = await Refused(response, "standardItem");
        Assert.Contains("filing standard", en.GetProperty("errors").GetProperty("standardItem")[0].GetString());
    }

    [Fact]
    public async Task Routing_WarnsAboutTheDepartmentThatJustReturnedTheCase()
    {
        var id = await NewCase();
        var dispatcher = await app.As("dispatcher");
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        var before = await Api.Get(dispatcher, $"/api/v1/cases/{id}/routing");
        var suggested = before.Str("leadDepartment");
        Assert.Equal(JsonValueKind.Null, before.GetProperty("warning").ValueKind);

        await Api.ActOk(dispatcher, id, "dispatch", new { leadDepartment = suggested });
        await Api.ActOk(await app.As("dept-" + suggested.ToLowerInvariant()), id, "return", new { reason = "不属于本单位职责" });
        await Api.ActOk(dispatcher, id, "approve-return");

        var after = await Api.Get(dispatcher, $"/api/v1/cases/{id}/routing");
        Assert.Equal(suggested, after.Str("leadDepartment"));
        Assert.Equal(suggested, after.Str("returnedBy"));
        Assert.Contains("不属于本单位职责", after.Str("warning"));
        var options = await Api.Get(dispatcher, $"/api/v1/pickers/department?caseId={id}&action=dispatch");
        var returned = options.GetProperty("items").EnumerateArray().Single(o => o.Str("code") == suggested);
        Assert.False(string.IsNullOrWhiteSpace(returned.GetProperty("warning").GetString()));
        Assert.All(options.GetProperty("items").EnumerateArray().Where(o => o.Str("code") != suggested),
            o => Assert.Equal(JsonValueKind.Null, o.GetProperty("warning").ValueKind));
    }

    [Fact]
    public async Task CategoryPicker_FindsLeavesByCodeNameOrKeyword()
    {
        var intake = await app.As("intake");
        var byCode = await Api.Get(intake, "/api/v1/pickers/category?q=C0101");
        Assert.Equal("C0101", byCode.GetProperty("items")[0].Str("code"));
        var byName = await Api.Get(intake, "/api/v1/pickers/category?q=" + Uri.EscapeDataString("井盖"));
        Assert.Contains("C0101", Codes(byName));
        Assert.All(Codes(byName), code => Assert.True(code.Length >= 5, code));
        // 松动 is in a filing condition of C0101 (井盖松动或有响动), not in any category name.
        Assert.Contains("C0101", Codes(await Api.Get(intake, "/api/v1/pickers/category?q=" + Uri.EscapeDataString("响动"))));
        Assert.Contains("H150103", Codes(await Api.Get(intake, "/api/v1/pickers/category?q=H150103")));
        var page = await Api.Get(intake, "/api/v1/pickers/category?take=5");
        Assert.Equal(5, page.GetProperty("items").GetArrayLength());
        Assert.True(page.GetProperty("total").GetInt32() > 500);
        Assert.Equal(100, (await Api.Get(intake, "/api/v1/pickers/category?take=5000")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task StandardItemPicker_OffersTheCasesFilingOrClosingStandard()
    {
        var id = await NewCase("C0101");
        var leader = await app.As("leader");
        var filing = await Api.Get(leader, $"/api/v1/pickers/standard-item?caseId={id}&action=file");
        Assert.Equal(["C0101-01", "C0101-02", "C0101-03"], Codes(filing));
        Assert.Contains("缺失", filing.GetProperty("items")[0].Str("name"));
        Assert.All(Codes(await Api.Get(leader, $"/api/v1/pickers/standard-item?caseId={id}&action=file&category=C0203")), c => Assert.StartsWith("C0203-", c));
        await Api.Problem(await leader.GetAsync("/api/v1/pickers/standard-item"), HttpStatusCode.UnprocessableEntity);

        var closable = await ClosableCase();
        var closing = await Api.Get(leader, $"/api/v1/pickers/standard-item?caseId={closable}&action=close");
        Assert.Equal("C0101-01", closing.GetProperty("items")[0].Str("code"));
        Assert.Contains("补齐井盖", closing.GetProperty("items")[0].Str("name"));

        var hotline = await NewCase("H150103", "complaint");
        Assert.Equal(["H-complaint"], Codes(await Api.Get(leader, $"/api/v1/pickers/standard-item?caseId={hotline}&action=file")));
    }

    [Fact]
    public async Task UserAndCasePickers_OfferOnlyWhatTheCheckAccepts()
    {
        var intake = await app.As("intake");
        var inspectors = await Api.Get(intake, "/api/v1/pickers/user?field=inspector");
        Assert.Equal(["inspector"], Codes(inspectors));

        var self = await NewCase();
        var other = await NewCase();
        var rejected = await NewCase();
        await Api.ActOk(await app.As("leader"), rejected, "reject", new { reason = "不属实" });
        var number = async (Guid id) => (await Api.Get(intake, $"/api/v1/cases/{id}")).Str("number");
        var targets = Codes(await Api.Get(intake, $"/api/v1/pickers/case-number?caseId={self}&take=100&q={await number(other)}"));
        Assert.Equal([await number(other)], targets);
        var all = Codes(await Api.Get(intake, $"/api/v1/pickers/case-number?caseId={self}&take=100"));
        Assert.DoesNotContain(await number(self), all);
        Assert.DoesNotContain(await number(rejected), all);
    }

    [Fact]
    public async Task Pickers_AreForCaseStaffAndKnownKinds()
    {
        await Api.Problem(await (await app.As("admin")).GetAsync("/api/v1/pickers/category"), HttpStatusCode.Forbidden);
        await Api.Problem(await (await app.As("intake")).GetAsync("/api/v1/pickers/text"), HttpStatusCode.NotFound);
        await Api.Problem(await (await app.As("intake")).GetAsync("/api/v1/pickers/teleport"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/v1/pickers/category")).StatusCode);
        var id = await NewCase();
        // A department handler does not see a case that is not its department's: nor its options.
        await Api.Problem(await (await app.As("handler")).GetAsync($"/api/v1/pickers/department?caseId={id}"), HttpStatusCode.NotFound);
    }

    static List<string> Codes(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(o => o.Str("code")).ToList();
}

[Collection("sqlite")]
public sealed class ActionReferenceTests_Sqlite(SqliteApp app) : ActionReferenceTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ActionReferenceTests_Postgres(PostgresApp app) : ActionReferenceTests<PostgresApp>(app), IClassFixture<PostgresApp>;
