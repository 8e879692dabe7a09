using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>
/// A city centre (the root platform, 451202) and two sub-centres in one deployment (decision 026): numbering per
/// platform, who sees what, hand-over between the centres as a workflow action, the city's ranking of its sub-centres,
/// scoped administrators, and a 市派 filed once.
/// </summary>
public abstract class SubCentreTests<TApp>(TApp app) where TApp : AppFixture
{
    const string Root = "451202";
    const string A = "451203";
    const string B = "451224";
    static readonly SemaphoreSlim Setup = new(1, 1);

    /// <summary>Two sub-centres registered by the city's administrator, each with a department and its own staff.</summary>
    async Task SubCentresAsync()
    {
        await Setup.WaitAsync();
        try
        {
            using (var scope = app.Factory.Services.CreateScope())
            {
                if (await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Set<PlatformRow>().AnyAsync(p => p.Code == A)) return;
            }
            var admin = await app.As("admin");
            foreach (var (code, name) in new[] { (A, "甲区分中心"), (B, "乙县分中心") })
            {
                var created = await admin.PostAsJsonAsync("/api/v1/admin/platforms", new { code, name });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var dept = await admin.PostAsJsonAsync("/api/v1/admin/departments", new { code = "SZ" + code, name = name + "市政所", kind = "bureau", platform = code });
                Assert.Equal(HttpStatusCode.Created, dept.StatusCode);
            }
            using var s = app.Factory.Services.CreateScope();
            var db = s.ServiceProvider.GetRequiredService<CityLoopDb>();
            foreach (var code in new[] { A, B })
            {
                Add(db, "agent-" + code, Role.HotlineAgent, null, code);
                Add(db, "intake-" + code, Role.IntakeOperator, null, code);
                Add(db, "leader-" + code, Role.ShiftLeader, null, code);
                Add(db, "dispatcher-" + code, Role.Dispatcher, null, code);
                Add(db, "supervisor-" + code, Role.Supervisor, null, code);
                Add(db, "handler-" + code, Role.DepartmentHandler, "SZ" + code, code);
                Add(db, "admin-" + code, Role.SystemAdmin, null, code);
            }
            await db.SaveChangesAsync();
        }
        finally
        {
            Setup.Release();
        }
    }

    static void Add(CityLoopDb db, string name, Role role, string? dept, string platform)
    {
        var now = DateTimeOffset.UtcNow;
        var user = new User
        {
            UserName = name, DisplayName = name, Roles = User.FormatRoles([role]), DepartmentCode = dept, PlatformCode = platform,
            CreatedAt = now, PasswordChangedAt = now,
        };
        if (Roles.Administrators.Contains(role))
        {
            user.TotpSecret = TwoFactor.DemoSecret;
            user.TotpEnabled = true;
        }
        user.PasswordHash = Accounts.Hash(user, DemoSeeder.DemoPassword);
        db.Users.Add(user);
    }

    static (string Platform, string Day, int Seq) Parts(JsonElement c)
    {
        var parts = c.Str("number").Split('-');
        return (parts[0], parts[1], int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    async Task<Guid> FiledOn(string platform, string text)
    {
        var c = await Api.CreateCase(await app.As(platform == Root ? "agent" : "agent-" + platform), Api.Report(text));
        await Api.ActOk(await app.As(platform == Root ? "leader" : "leader-" + platform), c.Id(), "file", new { standardItem = "C0101-01" });
        return c.Id();
    }

    [Fact]
    public async Task Numbers_AreTheCasePlatformsOwn_AndCountPerPlatform()
    {
        await SubCentresAsync();
        var a1 = await Api.CreateCase(await app.As("agent-" + A), Api.Report("甲区井盖缺失一"));
        var b1 = await Api.CreateCase(await app.As("agent-" + B), Api.Report("乙县井盖缺失"));
        var r1 = await Api.CreateCase(await app.As("agent"), Api.Report("市区井盖缺失"));
        var a2 = await Api.CreateCase(await app.As("agent-" + A), Api.Report("甲区井盖缺失二"));
        Assert.Equal(A, Parts(a1).Platform);
        Assert.Equal(B, Parts(b1).Platform);
        Assert.Equal(Root, Parts(r1).Platform);
        Assert.Equal(A, a1.GetProperty("platform").GetString());
        // A's numbers follow each other whatever the other platforms take in between.
        Assert.Equal(Parts(a1).Seq + 1, Parts(a2).Seq);
        Assert.Equal(Parts(a1).Day, Parts(b1).Day);
    }

    [Fact]
    public async Task ASubCentresTextSearch_AsksTheSearchIndexForItsPlatformsMatches_WhereTheCitysNewestCasesHoldNone_AndFollowsAHandOver()
    {
        await SubCentresAsync();
        var agentA = await app.As("agent-" + A);
        var city = await app.As("agent");
        async Task<string> Report(HttpClient client, string text)
        {
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            return (await Api.CreateCase(client, Api.Report(text))).Str("number");
        }
        var own = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            own.Add(await Report(agentA, $"甲区蔷薇廊架倾斜第{i}处"));
            if (i == 0) await Report(agentA, "甲区噪音扰民");
        }
        own.Reverse();
        // The city's newest cases, after them, match the words too: a walk over the city's newest cases finds none of A's.
        var cityOnes = new List<string>();
        for (var i = 0; i < 6; i++) cityOnes.Add(await Report(city, $"市区蔷薇廊架倾斜第{i}处"));

        async Task<(string[] Numbers, int Total, bool Partial)> Page(HttpClient client, string query)
        {
            var page = await Api.Get(client, $"/api/v1/cases?q={Uri.EscapeDataString("蔷薇廊架")}{query}");
            return (page.GetProperty("items").EnumerateArray().Select(i => i.Str("number")).ToArray(), page.GetProperty("total").GetInt32(),
                page.GetProperty("partial").GetBoolean());
        }
        var all = await Page(agentA, "&pageSize=200");
        Assert.Equal(own, all.Numbers);
        Assert.Equal((3, false), (all.Total, all.Partial));
        Assert.Equal(Enumerable.Reverse(own), (await Page(agentA, "&pageSize=200&sort=oldest")).Numbers);
        Assert.Equal(9, (await Page(city, "&pageSize=200")).Total);

        // Walks of one row, and the city's nine matches more than are sorted here (three): A's own three are few enough,
        // since the search index is asked for the matches on A's platform (decision 045) — page and total exact. (With
        // A's cases walked and the city's matches sorted, decision 042, the page held two and said it was partial.)
        await using var tight = app.NewFactory(new Dictionary<string, string>
            { ["CaseList:TextWalkRows"] = "1", ["CaseList:TextMatchRows"] = "3", ["CaseList:TextDeepWalkRows"] = "1" });
        var page = await Page(await app.As("agent-" + A, tight), "&pageSize=3");
        Assert.Equal(own, page.Numbers);
        Assert.Equal((3, false), (page.Total, page.Partial));
        // A's dispatcher sees all of A too; A's handler only what its department holds — none of these.
        Assert.Equal(own, (await Page(await app.As("dispatcher-" + A, tight), "&pageSize=3")).Numbers);
        Assert.Empty((await Page(await app.As("handler-" + A, tight), "&pageSize=3")).Numbers);

        // The second page of A's matches, sorted from the index.
        await using (var few = app.NewFactory(new Dictionary<string, string>
            { ["CaseList:TextWalkRows"] = "1", ["CaseList:TextMatchRows"] = "100", ["CaseList:TextDeepWalkRows"] = "1" }))
        {
            var exact = await Page(await app.As("agent-" + A, few), "&pageSize=2&page=2");
            Assert.Equal(own[2..], exact.Numbers);
            Assert.Equal((3, false), (exact.Total, exact.Partial));
        }

        // A case the city hands over to A is A's from then on, in its search too (the platform's term follows the case);
        // B never sees it.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var handed = await FiledOn(Root, "市区蔷薇廊架倾斜待移交");
        var handedNumber = (await Api.Get(city, $"/api/v1/cases/{handed}")).Str("number");
        await Api.ActOk(await app.As("dispatcher"), handed, "hand-over", new { platform = A, opinion = "属甲区" });
        var after = await Page(agentA, "&pageSize=3");
        Assert.Equal([handedNumber, .. own[..2]], after.Numbers);
        Assert.Equal((4, false), (after.Total, after.Partial));
        Assert.Equal(10, (await Page(city, "&pageSize=200")).Total);
        Assert.Empty((await Page(await app.As("agent-" + B, tight), "&pageSize=3")).Numbers);
    }

    [Fact]
    public async Task SubCentreStaff_SeeAndActOnTheirOwnOnly_TheCitySeesAll()
    {
        await SubCentresAsync();
        var a = await FiledOn(A, "甲区路灯不亮");
        var b = await FiledOn(B, "乙县路灯不亮");
        var root = await FiledOn(Root, "市区路灯不亮");
        var dispatcherA = await app.As("dispatcher-" + A);

        Assert.Equal(HttpStatusCode.OK, (await dispatcherA.GetAsync($"/api/v1/cases/{a}")).StatusCode);
        await Api.Problem(await dispatcherA.GetAsync($"/api/v1/cases/{b}"), HttpStatusCode.NotFound);
        await Api.Problem(await dispatcherA.GetAsync($"/api/v1/cases/{root}"), HttpStatusCode.NotFound);
        await Api.Problem(await Api.Act(dispatcherA, b, "dispatch", new { leadDepartment = "SZ" + B }), HttpStatusCode.NotFound);
        var listed = (await Api.Get(dispatcherA, "/api/v1/cases?pageSize=200")).GetProperty("items").EnumerateArray().Select(c => c.Id()).ToList();
        Assert.Contains(a, listed);
        Assert.DoesNotContain(b, listed);
        Assert.DoesNotContain(root, listed);
        // Their pickers offer their own departments.
        var departments = (await Api.Get(dispatcherA, $"/api/v1/pickers/department?caseId={a}")).GetProperty("items").EnumerateArray()
            .Select(o => o.GetProperty("code").GetString()).ToList();
        Assert.Equal(["SZ" + A], departments);
        // …and cannot dispatch to the city's departments.
        await Api.Problem(await Api.Act(dispatcherA, a, "dispatch", new { leadDepartment = DemoSeeder.DemoDepartment }), HttpStatusCode.UnprocessableEntity);
        await Api.ActOk(dispatcherA, a, "dispatch", new { leadDepartment = "SZ" + A });
        await Api.ActOk(await app.As("handler-" + A), a, "sign-for");
        await Api.Problem(await (await app.As("handler-" + B)).GetAsync($"/api/v1/cases/{a}"), HttpStatusCode.NotFound);

        var city = await app.As("dispatcher");
        var cityList = (await Api.Get(city, "/api/v1/cases?pageSize=200")).GetProperty("items").EnumerateArray().Select(c => c.Id()).ToList();
        Assert.Contains(a, cityList);
        Assert.Contains(b, cityList);
        Assert.Contains(root, cityList);
        // The city acts on a sub-centre's case too (it supervises), within the sub-centre's own departments.
        await Api.ActOk(city, b, "dispatch", new { leadDepartment = "SZ" + B });
    }

    [Fact]
    public async Task TheCityHandsACaseToASubCentre_WhichDispatchesIt_OrHandsItBack()
    {
        await SubCentresAsync();
        var id = await FiledOn(Root, "市中心转分中心的案件");
        var city = await app.As("dispatcher");
        var number = (await Api.Get(city, $"/api/v1/cases/{id}")).Str("number");
        var targets = (await Api.Get(city, $"/api/v1/pickers/platform?caseId={id}")).GetProperty("items").EnumerateArray()
            .Select(o => o.GetProperty("code").GetString()).ToList();
        Assert.Equal([A, B], targets);
        Assert.Contains("hand-over", (await Api.Get(city, $"/api/v1/cases/{id}/actions")).EnumerateArray().Select(x => x.GetProperty("action").GetString()));

        var handed = await Api.ActOk(city, id, "hand-over", new { platform = A, opinion = "属甲区" });
        Assert.Equal(A, handed.GetProperty("platform").GetString());
        Assert.Equal(number, handed.Str("number"));
        Assert.Equal("pending-dispatch", handed.State());
        var handOver = (await Api.Get(city, $"/api/v1/cases/{id}/events")).EnumerateArray().Last();
        Assert.Equal("hand-over", handOver.GetProperty("action").GetString());
        Assert.Equal(A, handOver.GetProperty("payload").GetProperty("to").GetString());

        // The sub-centre's dispatcher finds it on their list and hands another one back up; B's does not see it.
        var dispatcherA = await app.As("dispatcher-" + A);
        var waiting = (await Api.Get(dispatcherA, "/api/v1/cases?state=pending-dispatch&pageSize=200")).GetProperty("items").EnumerateArray().Select(c => c.Id());
        Assert.Contains(id, waiting);
        await Api.Problem(await (await app.As("dispatcher-" + B)).GetAsync($"/api/v1/cases/{id}"), HttpStatusCode.NotFound);
        Assert.Equal([Root], (await Api.Get(dispatcherA, $"/api/v1/pickers/platform?caseId={id}")).GetProperty("items").EnumerateArray()
            .Select(o => o.GetProperty("code").GetString()).ToList());
        await Api.Problem(await Api.Act(dispatcherA, id, "hand-over", new { platform = B }), HttpStatusCode.UnprocessableEntity);
        var dispatched = await Api.ActOk(dispatcherA, id, "dispatch", new { leadDepartment = "SZ" + A });
        Assert.Equal("pending-sign-for", dispatched.State());

        var other = await FiledOn(Root, "再交回市中心的案件");
        await Api.ActOk(city, other, "hand-over", new { platform = A });
        var back = await Api.ActOk(dispatcherA, other, "hand-over", new { platform = Root, opinion = "不属本区" });
        Assert.Equal(Root, back.GetProperty("platform").GetString());
        await Api.Problem(await dispatcherA.GetAsync($"/api/v1/cases/{other}"), HttpStatusCode.NotFound);

        // The facts follow the case: the hand-over moves it to the sub-centre's figures.
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.Equal(A, await db.Set<Domain.Indicators.CaseFact>().Where(f => f.CaseId == id).Select(f => f.PlatformCode).SingleAsync());
        Assert.Equal(Root, await db.Set<Domain.Indicators.CaseFact>().Where(f => f.CaseId == other).Select(f => f.PlatformCode).SingleAsync());
    }

    [Fact]
    public async Task TheCityRanksItsSubCentres_ASubCentreSeesItsOwnFigures()
    {
        await SubCentresAsync();
        await FiledOn(A, "甲区排名用案件一");
        await FiledOn(A, "甲区排名用案件二");
        await FiledOn(B, "乙县排名用案件");
        var day = AppFixture.Start.ToString("yyyy-MM-dd");
        var url = $"/api/v1/indicators/reported?from={day}&to={day}&groupBy=platform";
        var city = await Api.Get(await app.As("supervisor"), url);
        var groups = city.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("key").GetString()!, g => g.GetProperty("numerator").GetInt64());
        Assert.True(groups[A] >= 2 && groups[B] >= 1, city.ToString());
        Assert.Equal(city.GetProperty("numerator").GetInt64(), groups.Values.Sum());

        var mine = await Api.Get(await app.As("supervisor-" + A), $"/api/v1/indicators/reported?from={day}&to={day}");
        Assert.Equal(groups[A], mine.GetProperty("numerator").GetInt64());
        await Api.Problem(await (await app.As("supervisor-" + A)).GetAsync($"/api/v1/indicators/reported?from={day}&to={day}&platform={B}"), HttpStatusCode.Forbidden);

        // The assessment of sub-centres: the departments' scheme, one row per platform of the deployment.
        var assessment = await Api.Get(await app.As("supervisor"), "/api/v1/assessments/platforms?kind=month&period=2026-03");
        var codes = assessment.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("code").GetString()).ToList();
        Assert.Contains(Root, codes);
        Assert.Contains(A, codes);
        Assert.Contains(B, codes);
        await Api.Problem(await (await app.As("supervisor-" + A)).GetAsync($"/api/v1/assessments/platforms?kind=month&period=2026-03&platform={B}"),
            HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ASubCentresAdministrator_ManagesTheirOwnPeopleDepartmentsAndCalendars_Only()
    {
        await SubCentresAsync();
        var adminA = await app.As("admin-" + A);
        var users = (await Api.Get(adminA, "/api/v1/admin/users")).EnumerateArray().ToList();
        Assert.NotEmpty(users);
        Assert.All(users, u => Assert.Equal(A, u.GetProperty("platform").GetString()));
        var city = await app.As("admin");
        var all = (await Api.Get(city, "/api/v1/admin/users")).EnumerateArray().ToList();
        var userB = all.First(u => u.GetProperty("userName").GetString() == "agent-" + B).Id();
        await Api.Problem(await adminA.PostAsync($"/api/v1/admin/users/{userB}/disable", null), HttpStatusCode.NotFound);

        var created = await adminA.PostAsJsonAsync("/api/v1/admin/users", new { userName = "new-a-" + app.Provider, password = "Sub-centre-2026!", displayName = "甲区新人" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(A, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("platform").GetString());
        await Api.Problem(await adminA.PostAsJsonAsync("/api/v1/admin/users",
            new { userName = "new-b-" + app.Provider, password = "Sub-centre-2026!", platform = B }), HttpStatusCode.Forbidden);

        // Departments: theirs listed, created and edited; another platform's neither.
        Assert.Equal(["SZ" + A], (await Api.Get(adminA, "/api/v1/admin/departments")).EnumerateArray().Select(d => d.GetProperty("code").GetString()).ToList());
        var team = await adminA.PostAsJsonAsync("/api/v1/admin/departments", new { code = "SZ" + A + "-1", name = "甲区市政所一班", kind = "team", parentCode = "SZ" + A });
        Assert.Equal(HttpStatusCode.Created, team.StatusCode);
        await Api.Problem(await adminA.PostAsJsonAsync("/api/v1/admin/departments", new { code = "X" + B, name = "乙县某所", platform = B }), HttpStatusCode.Forbidden);
        await Api.Problem(await adminA.PutAsJsonAsync($"/api/v1/admin/departments/SZ{B}", new { name = "改名" }), HttpStatusCode.NotFound);
        await Api.Problem(await adminA.PutAsJsonAsync($"/api/v1/admin/departments/{DemoSeeder.DemoDepartment}", new { name = "改名" }), HttpStatusCode.NotFound);
        await Api.Problem(await adminA.PostAsJsonAsync("/api/v1/admin/departments", new { code = "SZ" + A + "-2", name = "挂错的班组", parentCode = DemoSeeder.DemoDepartment }),
            HttpStatusCode.UnprocessableEntity);
        var disabled = await adminA.PutAsJsonAsync($"/api/v1/admin/departments/SZ{A}-1", new { disabled = true });
        Assert.True((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());

        // Calendars: a local holiday on A's calendar moves A's deadlines, not B's.
        var holiday = await adminA.PutAsJsonAsync($"/api/v1/admin/calendars/platform:{A}",
            new { exceptions = new[] { new { date = "2026-03-02", kind = "holiday", name = "甲区地方节日" } } });
        Assert.Equal(HttpStatusCode.OK, holiday.StatusCode);
        await Api.Problem(await adminA.PutAsJsonAsync($"/api/v1/admin/calendars/platform:{B}",
            new { exceptions = new[] { new { date = "2026-03-03", kind = "holiday", name = "不是我的" } } }), HttpStatusCode.NotFound);
        await Api.Problem(await adminA.PutAsJsonAsync("/api/v1/admin/calendars/platform", new { dayRule = "same-time" }), HttpStatusCode.NotFound);
        var calA = await Api.Get(adminA, $"/api/v1/calendars/SZ{A}?year=2026");
        Assert.Contains(calA.GetProperty("exceptions").EnumerateArray(), e => e.GetProperty("date").GetString() == "2026-03-02");
        var calB = await Api.Get(city, $"/api/v1/calendars/SZ{B}?year=2026");
        Assert.DoesNotContain(calB.GetProperty("exceptions").EnumerateArray(), e => e.GetProperty("date").GetString() == "2026-03-02");
        // Sign-for (a department phase, in working hours) on A's calendar skips its holiday: the same dispatch instant gives A a later deadline than B.
        var a = await FiledOn(A, "甲区期限测试");
        var b = await FiledOn(B, "乙县期限测试");
        var dueA = (await Api.ActOk(await app.As("dispatcher-" + A), a, "dispatch", new { leadDepartment = "SZ" + A })).GetProperty("deadlines").GetProperty("signFor").GetDateTimeOffset();
        var dueB = (await Api.ActOk(await app.As("dispatcher-" + B), b, "dispatch", new { leadDepartment = "SZ" + B })).GetProperty("deadlines").GetProperty("signFor").GetDateTimeOffset();
        Assert.True(dueA > dueB, $"{dueA} vs {dueB}");

        // Only the city's administrator registers sub-centres.
        await Api.Problem(await adminA.PostAsJsonAsync("/api/v1/admin/platforms", new { code = "451299", name = "越权分中心" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AShiPaiEnteredByHand_IsFiledOnce_WhoeverEntersItAgain()
    {
        await SubCentresAsync();
        var upper = "450000-20260302-" + (app.Provider == "sqlite" ? "000101" : "000102");
        object ShiPai(string text) => new
        {
            source = "upper-platform", requestType = "complaint", description = text, externalId = upper,
            location = new { lat = 24.69, lon = 108.06 }, address = "金城江区金城中路 12 号",
        };
        var first = await Api.CreateCase(await app.As("intake-" + A), ShiPai("市派：井盖缺失"));
        Assert.Equal(A, first.GetProperty("platform").GetString());
        var again = await Api.Problem(await (await app.As("intake-" + A)).PostAsJsonAsync("/api/v1/cases", ShiPai("市派：井盖缺失（重复录入）")), HttpStatusCode.Conflict);
        Assert.Contains(first.Str("number"), again.ToString());
        await Api.Problem(await (await app.As("intake")).PostAsJsonAsync("/api/v1/cases", ShiPai("市派：城区又录一次")), HttpStatusCode.Conflict);
        await Api.Problem(await (await app.As("intake-" + B)).PostAsJsonAsync("/api/v1/cases", ShiPai("市派：乙县又录一次")), HttpStatusCode.Conflict);
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.Equal(1, await db.Cases.CountAsync(c => c.ExternalId == upper));
    }
}

[Collection("sqlite")]
public sealed class SubCentreTests_Sqlite(SqliteApp app) : SubCentreTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class SubCentreTests_Postgres(PostgresApp app) : SubCentreTests<PostgresApp>(app), IClassFixture<PostgresApp>;
