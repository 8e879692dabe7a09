using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Domain.Identity;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>
/// What else keeps to a sub-centre (decision 026, addendum): the clock's reminders and escalations and the supervision
/// notices go to the case's own centre; inspectors' tasks, checks and 漏报 keep to their platform; knowledge editors,
/// routing rules and suggestions, and the departments' CSV are scoped to the platform; the timeline names the centres.
/// A has its own supervisor, B has none (its escalations go up to the city's).
/// </summary>
public abstract class SubCentreScopeTests<TApp>(TApp app) where TApp : AppFixture
{
    const string Root = "451202";
    const string A = "451203";
    const string B = "451224";
    const string NameA = "甲区分中心";
    static readonly SemaphoreSlim Setup = new(1, 1);

    static DateTimeOffset At(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.FromHours(8));

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
            foreach (var (code, name) in new[] { (A, NameA), (B, "乙县分中心") })
            {
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/platforms", new { code, name })).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/departments",
                    new { code = "SZ" + code, name = name + "市政所", kind = "bureau", platform = code })).StatusCode);
            }
            using var s = app.Factory.Services.CreateScope();
            var db = s.ServiceProvider.GetRequiredService<CityLoopDb>();
            foreach (var code in new[] { A, B })
            {
                Add(db, "agent-" + code, Role.HotlineAgent, null, code);
                Add(db, "intake-" + code, Role.IntakeOperator, null, code);
                Add(db, "leader-" + code, Role.ShiftLeader, null, code);
                Add(db, "dispatcher-" + code, Role.Dispatcher, null, code);
                Add(db, "handler-" + code, Role.DepartmentHandler, "SZ" + code, code);
                Add(db, "admin-" + code, Role.SystemAdmin, null, code);
                Add(db, "inspector-" + code, Role.Inspector, null, code);
                Add(db, "knowledge-" + code, Role.KnowledgeEditor, null, code);
                Add(db, "security-" + code, Role.SecurityAdmin, null, code);
                Add(db, "audit-" + code, Role.AuditAdmin, null, code);
            }
            Add(db, "supervisor-" + A, Role.Supervisor, null, A);
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

    async Task<Guid> FiledOn(string platform, string text)
    {
        var c = await Api.CreateCase(await app.As(platform == Root ? "agent" : "agent-" + platform), Api.Report(text));
        await Api.ActOk(await app.As(platform == Root ? "leader" : "leader-" + platform), c.Id(), "file", new { standardItem = "C0101-01" });
        return c.Id();
    }

    /// <summary>Who was messaged about a case with templates starting so: their user names.</summary>
    async Task<List<string>> MessagedAsync(Guid caseId, string templatePrefix)
    {
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var ids = await db.Set<OutboundMessage>().AsNoTracking().Where(m => m.CaseId == caseId && m.UserId != null && m.Template.StartsWith(templatePrefix))
            .Select(m => m.UserId!.Value).Distinct().ToListAsync();
        return await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => u.UserName).ToListAsync();
    }

    static async Task<JsonElement> Upload(HttpClient client, string kind, string csv)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", kind + ".csv" } };
        var response = await client.PostAsync($"/api/v1/admin/imports/{kind}", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    static List<(int Row, string Field, string Reason)> Errors(JsonElement report) =>
        report.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("row").GetInt32(), e.Str("field"), e.Str("reason"))).ToList();

    [Fact]
    public async Task ClockRemindersEscalationsAndSupervisionNotices_GoToTheCasesOwnCentre_NeverAnotherSubCentre()
    {
        await SubCentresAsync();
        // Monday 11 May 2026, 09:00: sign-for runs two working hours from dispatch.
        app.Clock.Set(At(5, 11, 9));
        var a = await FiledOn(A, "甲区时限提醒测试");
        var b = await FiledOn(B, "乙县时限提醒测试");
        var waiting = await FiledOn(A, "甲区待派遣提醒测试");
        await Api.ActOk(await app.As("dispatcher-" + A), a, "dispatch", new { leadDepartment = "SZ" + A });
        await Api.ActOk(await app.As("dispatcher-" + B), b, "dispatch", new { leadDepartment = "SZ" + B });

        // Three days later every checkpoint has come: the breach and the three escalation levels.
        app.Clock.Set(At(5, 14, 12));
        await FollowThroughSteps.Sweep(app);

        var toA = await MessagedAsync(a, "clock-");
        Assert.Contains("handler-" + A, toA);
        Assert.Contains("leader-" + A, toA);        // escalation level 2: the shift leader of A
        Assert.Contains("supervisor-" + A, toA);    // level 3: A's own supervisor
        Assert.All(toA, u => Assert.EndsWith("-" + A, u));

        var toB = await MessagedAsync(b, "clock-");
        Assert.Contains("leader-" + B, toB);
        // B has no supervisor of its own: the city's is told (it supervises), never A's.
        Assert.Contains("supervisor", toB);
        Assert.DoesNotContain(toB, u => u.EndsWith("-" + A, StringComparison.Ordinal));
        Assert.DoesNotContain("leader", toB);

        // The dispatch phase's breach reminds A's dispatchers, not the city's or B's.
        var dispatchers = await MessagedAsync(waiting, "clock-");
        Assert.Equal(["dispatcher-" + A], dispatchers);

        // A supervision order on A's case: its department hears of it, nobody else's.
        var issued = await (await app.As("supervisor")).PostAsJsonAsync("/api/v1/supervision-orders",
            new { caseIds = new[] { a }, level = "general", dueAt = At(5, 20, 17), requirement = "请尽快签收办理" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        Assert.Equal(["handler-" + A], await MessagedAsync(a, "supervision-"));
    }

    [Fact]
    public async Task InspectorsTasksChecksAndMissedCases_KeepToTheirPlatform()
    {
        await SubCentresAsync();
        app.Clock.Set(At(6, 1, 9));
        var inspector = await app.As("inspector");
        Assert.Equal(HttpStatusCode.OK, (await inspector.PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = true })).StatusCode);
        var from = app.Clock.GetUtcNow();
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var aCase = await Api.CreateCase(await app.As("agent-" + A), Api.Report("甲区网格内井盖缺失"));
        var rootCase = await Api.CreateCase(await app.As("agent"), Api.Report("市区网格内井盖缺失"));
        // Both lie in a grid the city's inspector patrols.
        var grid = aCase.GetProperty("location").GetProperty("gridCode").GetString();
        Assert.False(string.IsNullOrEmpty(grid));
        Assert.Equal(grid, rootCase.GetProperty("location").GetProperty("gridCode").GetString());
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await inspector.PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = false })).StatusCode);
        var to = app.Clock.GetUtcNow().AddSeconds(1);

        // 漏报: the city's inspector missed the city's case, not the sub-centre's in the same grid.
        var period = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";
        var missed = (await Api.Get(await app.As("supervisor"), $"/api/v1/inspectors/inspector/missed?{period}")).GetProperty("cases").EnumerateArray()
            .Select(c => c.Str("number")).ToList();
        Assert.Contains(rootCase.Str("number"), missed);
        Assert.DoesNotContain(aCase.Str("number"), missed);
        // A sub-centre's supervisor reads their own inspectors' tracks only.
        await Api.Problem(await (await app.As("supervisor-" + A)).GetAsync($"/api/v1/inspectors/inspector/track?{period}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("supervisor-" + A)).GetAsync($"/api/v1/inspectors/inspector-{A}/track?{period}")).StatusCode);

        // Verifications nobody is assigned to yet: each platform's inspectors are offered their own.
        await Api.ActOk(await app.As("intake-" + A), aCase.Id(), "request-verification", new { opinion = "请核实" });
        await Api.ActOk(await app.As("intake"), rootCase.Id(), "request-verification", new { opinion = "请核实" });
        var cityTasks = (await Api.Get(inspector, "/api/v1/patrol/tasks")).EnumerateArray().Select(t => t.Id()).ToList();
        Assert.Contains(rootCase.Id(), cityTasks);
        Assert.DoesNotContain(aCase.Id(), cityTasks);
        var inspectorA = await app.As("inspector-" + A);
        var tasksA = (await Api.Get(inspectorA, "/api/v1/patrol/tasks")).EnumerateArray().Select(t => t.Id()).ToList();
        Assert.Contains(aCase.Id(), tasksA);
        Assert.DoesNotContain(rootCase.Id(), tasksA);
        Assert.Equal(HttpStatusCode.NotFound, (await inspector.GetAsync($"/inspector/tasks/{aCase.Id()}")).StatusCode);

        // The check of A's result is not given to the city's inspector of the grid.
        var handled = await FiledOn(A, "甲区核查人测试");
        await Api.ActOk(await app.As("dispatcher-" + A), handled, "dispatch", new { leadDepartment = "SZ" + A });
        var handler = await app.As("handler-" + A);
        await Api.ActOk(handler, handled, "sign-for");
        var finished = await Api.ActOk(handler, handled, "finish", new { result = "已补齐井盖" });
        Assert.Equal("pending-check", finished.State());
        var flags = finished.GetProperty("flags");
        Assert.True(!flags.TryGetProperty("assignedInspector", out var assigned) || assigned.ValueKind == JsonValueKind.Null, flags.ToString());
        Assert.DoesNotContain(handled, (await Api.Get(await app.As("inspector"), "/api/v1/patrol/tasks")).EnumerateArray().Select(t => t.Id()));
    }

    /// <summary>A sub-centre's administrator gives the grids of its own area to its own inspectors only (decision 054).</summary>
    [Fact]
    public async Task ASubCentresAdministrator_AssignsOnlyItsOwnGrids_ToItsOwnInspectors()
    {
        await SubCentresAsync();
        var adminA = await app.As("admin-" + A);
        var cityGrid = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids[5].Code;
        Assert.StartsWith(Root, cityGrid);
        // The city's grid is not in A's area; the city's inspector is not A's.
        await Api.Problem(await adminA.PutAsJsonAsync("/api/v1/admin/grids/inspector", new { grids = new[] { cityGrid }, inspector = "inspector-" + A }), HttpStatusCode.Forbidden);
        var problem = await Api.Problem(await adminA.PutAsJsonAsync("/api/v1/admin/grids/inspector", new { grids = new[] { cityGrid }, inspector = "inspector" }), HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty("inspector", out _), problem.ToString());
        await Api.Problem(await adminA.GetAsync($"/api/v1/admin/grids/{cityGrid}/tenures"), HttpStatusCode.Forbidden);
        // A lists the grids of its own area only: the demo city has none there.
        Assert.Equal(0, (await Api.Get(adminA, "/api/v1/admin/grids")).GetProperty("total").GetInt32());
        Assert.True((await Api.Get(await app.As("admin"), "/api/v1/admin/grids")).GetProperty("total").GetInt32() > 0);
        // Nothing changed: the city's grid keeps the city's inspector.
        var tenures = (await Api.Get(await app.As("admin"), $"/api/v1/admin/grids/{cityGrid}/tenures")).EnumerateArray().ToList();
        Assert.Equal("inspector", tenures[0].GetProperty("inspector").GetString());
        Assert.Equal(JsonValueKind.Null, tenures[0].GetProperty("to").ValueKind);
    }

    [Fact]
    public async Task ASubCentresKnowledgeEditor_OwnsArticlesByTheirOwnDepartments_TheCitysByAny()
    {
        await SubCentresAsync();
        var editorA = await app.As("knowledge-" + A);
        object Article(string owner, string title) => new { title, answer = "请拨打 12345 反映。", ownerDepartment = owner, validFrom = "2026-01-01" };
        var refused = await Api.Problem(await editorA.PostAsJsonAsync("/api/v1/knowledge", Article(DemoSeeder.DemoDepartment, "甲区不能写市里的")),
            HttpStatusCode.UnprocessableEntity);
        Assert.True(refused.GetProperty("errors").TryGetProperty("ownerDepartment", out _), refused.ToString());
        var own = await editorA.PostAsJsonAsync("/api/v1/knowledge", Article("SZ" + A, "甲区井盖报修"));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        var city = await app.As("knowledge");
        Assert.Equal(HttpStatusCode.Created, (await city.PostAsJsonAsync("/api/v1/knowledge", Article("SZ" + B, "乙县井盖报修（市级编写）"))).StatusCode);
        var cityArticle = await (await city.PostAsJsonAsync("/api/v1/knowledge", Article(DemoSeeder.DemoDepartment, "市区井盖报修"))).Content.ReadFromJsonAsync<JsonElement>();
        // The city's article is read by A's editor, not changed.
        await Api.Problem(await editorA.PutAsJsonAsync($"/api/v1/knowledge/{cityArticle.Id()}",
            new { title = "改写", answer = "改写", ownerDepartment = "SZ" + A, validFrom = "2026-01-01", version = cityArticle.GetProperty("version").GetInt32() }),
            HttpStatusCode.Forbidden);

        // The editor's form offers their platform's departments; the city's editor every platform's.
        var formA = await editorA.GetStringAsync("/Knowledge/Edit");
        Assert.Contains($"value=\"SZ{A}\"", formA);
        Assert.DoesNotContain($"value=\"SZ{B}\"", formA);
        Assert.DoesNotContain($"value=\"{DemoSeeder.DemoDepartment}\"", formA);
        var formCity = await city.GetStringAsync("/Knowledge/Edit");
        Assert.Contains($"value=\"SZ{A}\"", formCity);
        Assert.Contains($"value=\"{DemoSeeder.DemoDepartment}\"", formCity);
    }

    [Fact]
    public async Task RoutingRules_ArePerPlatform_SuggestionsNameTheCasesOwnDepartments_AndScopedAdminsImportTheirOwn()
    {
        await SubCentresAsync();
        var adminA = await app.As("admin-" + A);
        var report = await Upload(adminA, "rules", string.Join('\n',
            "id,categoryCode,scopeKind,scopeValue,lead,assisting",
            $"a-c0101,C0101,default,,SZ{A},",
            $"a-city,C0102,default,,{DemoSeeder.DemoDepartment},",
            $"a-mixed,C0103,default,,SZ{A},SZ{B}") + "\n");
        Assert.Equal(1, report.GetProperty("inserted").GetInt32());
        var errors = Errors(report);
        Assert.Contains(errors, e => e.Row == 3 && e.Field == "lead" && e.Reason.Contains("belongs to platform " + Root));
        Assert.Contains(errors, e => e.Row == 4 && e.Field == "assisting" && e.Reason.Contains("SZ" + B));
        // A's default for C0101 stands beside the city's own rule for it; the city's admin cannot take A's rule id by accident…
        var exportA = await adminA.GetStringAsync("/api/v1/admin/exports/rules");
        Assert.Contains("a-c0101", exportA);
        Assert.DoesNotContain(DemoSeeder.DemoDepartment, exportA);
        // …while a sub-centre's administrator cannot take over a rule of the city's.
        var cityRules = await (await app.As("admin")).GetStringAsync("/api/v1/admin/exports/rules");
        Assert.Contains("a-c0101", cityRules);
        var cityRuleId = cityRules.Split('\n')[1].Split(',')[0];
        var takeOver = await Upload(adminA, "rules", $"id,categoryCode,scopeKind,scopeValue,lead,assisting\n{cityRuleId},C0199,default,,SZ{A},\n");
        Assert.Contains(Errors(takeOver), e => e.Field == "id" && e.Reason.Contains("platform " + Root));

        // Suggestions by the case's platform's rules: A's case gets A's department, the city's the city's, B (no rules) none.
        var a = await FiledOn(A, "甲区派遣建议测试");
        var root = await FiledOn(Root, "市区派遣建议测试");
        var b = await FiledOn(B, "乙县派遣建议测试");
        Assert.Equal("SZ" + A, (await Api.Get(await app.As("dispatcher-" + A), $"/api/v1/cases/{a}/routing")).Str("leadDepartment"));
        var forRoot = (await Api.Get(await app.As("dispatcher"), $"/api/v1/cases/{root}/routing")).GetProperty("leadDepartment").GetString();
        Assert.NotNull(forRoot);
        Assert.NotEqual("SZ" + A, forRoot);
        var forB = await Api.Get(await app.As("dispatcher"), $"/api/v1/cases/{b}/routing");
        Assert.Equal(JsonValueKind.Null, forB.GetProperty("leadDepartment").ValueKind);
        Assert.Equal("none", forB.Str("basis"));
        // The suggestion is one the dispatch check accepts.
        await Api.ActOk(await app.As("dispatcher-" + A), a, "dispatch", new { leadDepartment = "SZ" + A });

        // Gaps by the administrator's platform's rules; shared reference data stays the city's to import.
        var gapsA = (await Api.Get(adminA, "/api/v1/admin/routing/gaps?area=451202001")).EnumerateArray().Select(g => g.Str("categoryCode")).ToList();
        var gapsCity = (await Api.Get(await app.As("admin"), "/api/v1/admin/routing/gaps?area=451202001")).EnumerateArray().Select(g => g.Str("categoryCode")).ToList();
        Assert.DoesNotContain("C0101", gapsA);
        Assert.Contains("C0102", gapsA);
        Assert.DoesNotContain("C0102", gapsCity);
        using var grids = new MultipartFormDataContent { { new ByteArrayContent("{}"u8.ToArray()), "file", "grids.geojson" } };
        await Api.Problem(await adminA.PostAsync("/api/v1/admin/imports/grids", grids), HttpStatusCode.Forbidden);
        await Api.Problem(await adminA.GetAsync("/api/v1/admin/exports/grids"), HttpStatusCode.Forbidden);
        var page = await adminA.GetStringAsync("/admin/reference/imports");
        Assert.Contains("id=\"scoped-import\"", page);
        Assert.DoesNotContain("value=\"grids\"", page);
    }

    [Fact]
    public async Task DepartmentsCsv_CarriesThePlatform_AScopedAdminImportsIntoTheirOwnOnly_RowByRow()
    {
        await SubCentresAsync();
        var adminA = await app.As("admin-" + A);
        var report = await Upload(adminA, "departments", string.Join('\n',
            "code,name,parentCode,kind,platform",
            $"LH{A},甲区绿化所,,bureau,",
            $"LH{A}-1,甲区绿化所一班,LH{A},team,{A}",
            $"LH{B},乙县绿化所,,bureau,{B}",
            $"{DemoSeeder.DemoDepartment},改名的市政管理处,,bureau,",
            $"LH{A}-2,挂在乙县下的班组,SZ{B},team,",
            $"LH{A}-3,不存在的平台,,bureau,999999") + "\n");
        Assert.Equal(2, report.GetProperty("inserted").GetInt32());
        var errors = Errors(report);
        Assert.Equal([4, 5, 6, 7], errors.Select(e => e.Row).Order().ToList());
        Assert.Contains(errors, e => e.Row == 4 && e.Field == "platform" && e.Reason.Contains("own platform " + A));
        Assert.Contains(errors, e => e.Row == 5 && e.Field == "code" && e.Reason.Contains("belongs to platform " + Root));
        Assert.Contains(errors, e => e.Row == 6 && e.Field == "parentCode" && e.Reason.Contains("SZ" + B));
        Assert.Contains(errors, e => e.Row == 7 && e.Field == "platform");

        // Export: A's administrator gets A's departments with their platform; the city's every platform's.
        var exportA = await adminA.GetStringAsync("/api/v1/admin/exports/departments");
        var linesA = exportA.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("code,name,parentCode,kind,contact,workingHours,platform", linesA[0]);
        Assert.Contains($"LH{A}-1,甲区绿化所一班,LH{A},team,,,{A}", linesA);
        Assert.All(linesA.Skip(1), l => Assert.EndsWith("," + A, l));
        var city = await app.As("admin");
        var exportCity = await city.GetStringAsync("/api/v1/admin/exports/departments");
        Assert.Contains($"SZ{B},", exportCity);
        Assert.Contains($"{DemoSeeder.DemoDepartment},", exportCity);
        Assert.Contains("," + Root, exportCity);

        // The city's administrator places departments on any platform by the column; a round trip changes nothing.
        var placed = await Upload(city, "departments", $"code,name,parentCode,kind,platform\nLH{B},乙县绿化所,,bureau,{B}\n");
        Assert.Equal(1, placed.GetProperty("inserted").GetInt32());
        Assert.Contains($"LH{B}", (await Api.Get(await app.As("admin-" + B), "/api/v1/admin/departments")).EnumerateArray().Select(d => d.Str("code")));
        var again = await Upload(city, "departments", exportCity);
        Assert.Empty(Errors(again));
        Assert.Equal(0, again.GetProperty("inserted").GetInt32());
        var after = (await city.GetStringAsync("/api/v1/admin/exports/departments")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(exportCity.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), line => Assert.Contains(line, after));
    }

    [Fact]
    public async Task TheTimelinesHandOver_NamesTheCentres_InChineseAndEnglish()
    {
        await SubCentresAsync();
        var id = await FiledOn(Root, "移交时间线测试");
        var city = await app.As("dispatcher");
        await Api.ActOk(city, id, "hand-over", new { platform = A, opinion = "属甲区" });
        var zh = await city.GetStringAsync($"/Cases/{id}");
        var entry = zh[zh.IndexOf("data-action=\"hand-over\"", StringComparison.Ordinal)..];
        entry = entry[..entry.IndexOf("</li>", StringComparison.Ordinal)];
        Assert.Contains("移交至：</span>" + NameA, entry);
        Assert.Contains("移出平台：</span>金城江区城市综合管理服务平台", entry);
        Assert.DoesNotContain(A, entry);
        var en = await city.GetStringAsync($"/Cases/{id}?culture=en");
        var enEntry = en[en.IndexOf("data-action=\"hand-over\"", StringComparison.Ordinal)..];
        enEntry = enEntry[..enEntry.IndexOf("</li>", StringComparison.Ordinal)];
        Assert.Contains("Handed over to: </span>" + NameA, enEntry);
        // The sub-centre's dispatcher reads the same entry on the case, now theirs.
        Assert.Contains("移交至：</span>" + NameA, await (await app.As("dispatcher-" + A)).GetStringAsync($"/Cases/{id}"));
    }

    // ---- addendum 2: shared reference data, the header and the screen, the knowledge base, keys, links, trail, calls ----

    [Fact]
    public async Task TheCatalogueIsTheCitys_ASubCentresAdminKeepsTheirOwnAreasPlaces_AndImportsCasesOntoTheirOwnPlatform()
    {
        await SubCentresAsync();
        var adminA = await app.As("admin-" + A);
        var adminB = await app.As("admin-" + B);
        var city = await app.As("admin");

        // The category catalogue: read, never edited, by a sub-centre's administrator; the page hides the forms.
        await Api.Problem(await adminA.PutAsJsonAsync("/api/v1/admin/categories/conditions/C0101-01", new { timeLimit = "1d-work", closingStandard = "改" }),
            HttpStatusCode.Forbidden);
        var categories = await adminA.GetStringAsync("/admin/reference/categories?kind=component");
        Assert.Contains("id=\"catalogue-read-only\"", categories);
        Assert.Contains("C0101-01", categories);
        Assert.DoesNotContain("name=\"timeLimit\"", categories);
        Assert.Contains("name=\"timeLimit\"", await city.GetStringAsync("/admin/reference/categories?kind=component"));

        // Places: the city's (a point in the root's grids) are not A's to add, change or delete.
        var cityPlace = await city.PostAsJsonAsync("/api/v1/admin/places", new { name = "市区共享地名" + Guid.NewGuid().ToString("N")[..4], lat = 24.695, lon = 108.062 });
        Assert.Equal(HttpStatusCode.Created, cityPlace.StatusCode);
        var cityPlaceId = (await cityPlace.Content.ReadFromJsonAsync<JsonElement>()).Id();
        await Api.Problem(await adminA.PutAsJsonAsync($"/api/v1/admin/places/{cityPlaceId}", new { name = "改名", lat = 24.695, lon = 108.062 }), HttpStatusCode.Forbidden);
        await Api.Problem(await adminA.DeleteAsync($"/api/v1/admin/places/{cityPlaceId}"), HttpStatusCode.Forbidden);
        await Api.Problem(await adminA.PostAsJsonAsync("/api/v1/admin/places", new { name = "甲区越界地名", lat = 24.695, lon = 108.062 }), HttpStatusCode.Forbidden);
        // A place in A's own area (its community; no grid of the deployment covers the point) is A's.
        var ownName = "甲区自有地名" + Guid.NewGuid().ToString("N")[..4];
        var own = await adminA.PostAsJsonAsync("/api/v1/admin/places", new { name = ownName, lat = 24.49, lon = 108.64, parentCode = A + "100001" });
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        var ownId = (await own.Content.ReadFromJsonAsync<JsonElement>()).Id();
        var listA = (await Api.Get(adminA, "/api/v1/admin/places?pageSize=500")).GetProperty("items").EnumerateArray().Select(p => p.Id()).ToList();
        Assert.Contains(ownId, listA);
        Assert.DoesNotContain(cityPlaceId, listA);
        Assert.Contains("id=\"place-area\"", await adminA.GetStringAsync("/admin/reference/places"));
        Assert.Equal(HttpStatusCode.OK, (await adminA.PutAsJsonAsync($"/api/v1/admin/places/{ownId}", new { name = ownName, lat = 24.491, lon = 108.641, aliases = new[] { "甲区别名" } })).StatusCode);
        await Api.Problem(await adminB.PutAsJsonAsync($"/api/v1/admin/places/{ownId}", new { name = "乙县改名", lat = 24.49, lon = 108.64 }), HttpStatusCode.Forbidden);
        // Their CSV: a row of their own place is kept, a row naming the city's place or a point in the city's grids is refused.
        var cityName = (await Api.Get(city, "/api/v1/admin/places?pageSize=500")).GetProperty("items").EnumerateArray().First(p => p.Id() == cityPlaceId).Str("name");
        using (var csv = new StringContent($"name,aliases,lat,lon\n{ownName},甲区别名,24.492,108.642\n{cityName},,24.49,108.64\n甲区新地名,,24.695,108.062\n", Encoding.UTF8, "text/csv"))
        {
            var report = await (await adminA.PostAsync("/api/v1/admin/places/import", csv)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, report.GetProperty("updated").GetInt32());
            Assert.Equal(0, report.GetProperty("inserted").GetInt32());
            Assert.Equal([(3, "name"), (4, "location")], Errors(report).Select(e => (e.Row, e.Field)).ToList());
        }
        // The city keeps every power: it edits A's place.
        Assert.Equal(HttpStatusCode.OK, (await city.PutAsJsonAsync($"/api/v1/admin/places/{ownId}", new { name = ownName, lat = 24.49, lon = 108.64 })).StatusCode);

        // Case imports: A's administrator's land on A (A's numbers), seen by A and the city, not by B; a re-run adds
        // nothing; B importing the same file and origin gets B's own cases.
        var origin = "subc-" + Guid.NewGuid().ToString("N")[..8];
        MultipartFormDataContent ImportForm()
        {
            var here = AppContext.BaseDirectory;
            var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(Path.Combine(here, "Imports/Data/tipdm2020-c-fj4-extract.csv"))), "file", "extract.csv" } };
            var mapping = File.ReadAllText(Path.Combine(here, "Imports/Mappings/tipdm2020-c-attachment4.json")).Replace("\"tipdm2020-c-fj4\"", $"\"{origin}\"");
            form.Add(new StringContent(mapping, Encoding.UTF8, "application/json"), "mapping", "mapping.json");
            return form;
        }
        async Task<JsonElement> ImportAs(HttpClient client)
        {
            var response = await client.PostAsync("/api/v1/admin/case-imports", ImportForm());
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
        Assert.Equal(12, (await ImportAs(adminA)).GetProperty("created").GetInt32());
        Assert.Equal(0, (await ImportAs(adminA)).GetProperty("created").GetInt32());
        Assert.Equal(12, (await ImportAs(adminB)).GetProperty("created").GetInt32());
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            // Recognised per platform: the stored origin of a sub-centre's import names it.
            string[] origins = [origin + "@" + A, origin + "@" + B];
            var ids = await db.Set<Features.Imports.CaseImportRow>().AsNoTracking().Where(r => origins.Contains(r.Origin)).Select(r => r.CaseId).ToListAsync();
            Assert.False(await db.Set<Features.Imports.CaseImportRow>().AnyAsync(r => r.Origin == origin));
            var imported = await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.PlatformCode, c.Number }).ToListAsync();
            Assert.Equal(24, imported.Count);
            Assert.Equal(12, imported.Count(c => c.PlatformCode == A && c.Number.StartsWith(A + "-")));
            Assert.Equal(12, imported.Count(c => c.PlatformCode == B && c.Number.StartsWith(B + "-")));
            var oneOfA = imported.First(c => c.PlatformCode == A).Id;
            Assert.Equal(HttpStatusCode.NotFound, (await (await app.As("dispatcher-" + B)).GetAsync($"/api/v1/cases/{oneOfA}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await (await app.As("dispatcher-" + A)).GetAsync($"/api/v1/cases/{oneOfA}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await (await app.As("supervisor")).GetAsync($"/api/v1/cases/{oneOfA}")).StatusCode);
        }
        // The command line imports onto a sub-centre with --platform: the same file and origin onto A is recognised as
        // A's (nothing added), a new origin onto B lands on B with B's numbers, an unknown platform is refused (exit 2).
        string[] cli = [$"--Database:Provider={app.Provider}", $"--Database:ConnectionString={app.ConnectionString}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"];
        var mappingFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(mappingFile, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Imports/Mappings/tipdm2020-c-attachment4.json")).Replace("\"tipdm2020-c-fj4\"", $"\"{origin}\""));
        var extract = Path.Combine(AppContext.BaseDirectory, "Imports/Data/tipdm2020-c-fj4-extract.csv");
        Assert.Equal(0, await Verbs.RunAsync(["import-cases", "--file", extract, "--mapping", mappingFile, "--platform", A, .. cli]));
        var origin2 = origin + "-cli";
        await File.WriteAllTextAsync(mappingFile, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Imports/Mappings/tipdm2020-c-attachment4.json")).Replace("\"tipdm2020-c-fj4\"", $"\"{origin2}\""));
        Assert.Equal(2, await Verbs.RunAsync(["import-cases", "--file", extract, "--mapping", mappingFile, "--platform", "999999", .. cli]));
        Assert.Equal(0, await Verbs.RunAsync(["import-cases", "--file", extract, "--mapping", mappingFile, "--platform", B, .. cli]));
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            Assert.Equal(12, await db.Set<Features.Imports.CaseImportRow>().CountAsync(r => r.Origin == origin + "@" + A));
            var ids = await db.Set<Features.Imports.CaseImportRow>().AsNoTracking().Where(r => r.Origin == origin2 + "@" + B).Select(r => r.CaseId).ToListAsync();
            Assert.Equal(12, ids.Count);
            Assert.True(await db.Cases.Where(c => ids.Contains(c.Id)).AllAsync(c => c.PlatformCode == B && c.Number.StartsWith(B + "-")));
            Assert.False(await db.Set<Features.Imports.CaseImportRow>().AnyAsync(r => r.Origin == origin2));
        }
        Assert.Contains("id=\"case-import-platform\"", await adminA.GetStringAsync("/admin/reference/case-imports"));
        Assert.DoesNotContain("id=\"case-import-platform\"", await city.GetStringAsync("/admin/reference/case-imports"));
    }

    [Fact]
    public async Task TheHeaderTheWallScreenAndTheOverview_NameTheViewersOwnPlatform()
    {
        await SubCentresAsync();
        const string RootName = "金城江区城市综合管理服务平台";
        var leaderA = await app.As("leader-" + A);
        var cases = await leaderA.GetStringAsync("/Cases");
        Assert.Contains($"<span id=\"platform-name\">{NameA}</span>", cases);
        Assert.Contains($"· {NameA}</title>", cases);
        Assert.DoesNotContain(RootName, cases);
        var screen = await leaderA.GetStringAsync("/screen");
        Assert.Contains($"{NameA} · 分中心指挥大屏", screen);
        Assert.DoesNotContain(RootName, screen);
        Assert.Contains($"CityLoop sub-centre · {NameA} · sub-centre command centre", await leaderA.GetStringAsync("/screen?culture=en"));
        // The sub-centre's report names it (its figures were already its own).
        var report = await Api.Get(leaderA, "/api/v1/reports/monthly?period=2026-01");
        Assert.Equal(A, report.Str("platform"));
        Assert.Equal(NameA, report.Str("platformName"));
        Assert.Contains($"{NameA} · 城市管理运行月报（2026-01）", await leaderA.GetStringAsync("/reports?kind=monthly&period=2026-01"));
        Assert.Equal("金城江区城市综合管理服务平台", (await Api.Get(await app.As("leader"), "/api/v1/reports/monthly?period=2026-01")).Str("platformName"));
        var overview = await leaderA.GetStringAsync("/dashboard");
        Assert.Contains($"{NameA} · 本分中心概览", overview);
        Assert.DoesNotContain("全市概览", overview);

        // The city's staff see the city platform's name and the whole city.
        var leader = await app.As("leader");
        Assert.Contains($"<span id=\"platform-name\">{RootName}</span>", await leader.GetStringAsync("/Cases"));
        Assert.Contains($"{RootName} · 全市指挥大屏", await leader.GetStringAsync("/screen"));
        Assert.Contains("全市概览", await leader.GetStringAsync("/dashboard"));
    }

    [Fact]
    public async Task KnowledgeArticles_TheCitysAreShared_ASubCentresAreItsOwn_InSearchSuggestionsReadingAndAnswers()
    {
        await SubCentresAsync();
        var tag = "窨井" + Guid.NewGuid().ToString("N")[..4];
        object Article(string owner, string title) => new { title, answer = "请拨打 12345 反映。", keywords = tag, ownerDepartment = owner, validFrom = "2026-01-01" };
        async Task<Guid> Write(string editor, string owner, string title)
        {
            var response = await (await app.As(editor)).PostAsJsonAsync("/api/v1/knowledge", Article(owner, title));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).Id();
        }
        var shared = await Write("knowledge", DemoSeeder.DemoDepartment, "市级共享答复" + tag);
        var ofA = await Write("knowledge-" + A, "SZ" + A, "甲区专属答复" + tag);
        var ofB = await Write("knowledge-" + B, "SZ" + B, "乙县专属答复" + tag);

        async Task<List<Guid>> Found(string user, string url) =>
            (await Api.Get(await app.As(user), url)).EnumerateArray().Select(a => a.Id()).ToList();
        var q = Uri.EscapeDataString(tag);
        foreach (var (user, sees, never) in new[] { ("agent-" + A, new[] { shared, ofA }, ofB), ("agent-" + B, new[] { shared, ofB }, ofA) })
        {
            var search = await Found(user, $"/api/v1/knowledge?q={q}");
            var suggest = await Found(user, $"/api/v1/knowledge/suggest?text={Uri.EscapeDataString("关于" + tag + "的来电")}");
            foreach (var found in new[] { search, suggest })
            {
                Assert.All(sees, id => Assert.Contains(id, found));
                Assert.DoesNotContain(never, found);
            }
            Assert.Equal(HttpStatusCode.NotFound, (await (await app.As(user)).GetAsync($"/api/v1/knowledge/{never}")).StatusCode);
            Assert.DoesNotContain(never.ToString(), await (await app.As(user)).GetStringAsync($"/Knowledge?q={q}"));
        }
        // The city reads every platform's.
        var cityFound = await Found("agent", $"/api/v1/knowledge?q={q}");
        Assert.All(new[] { shared, ofA, ofB }, id => Assert.Contains(id, cityFound));

        // Another sub-centre's article does not answer a case (404); the city's shared one does.
        var agentA = await app.As("agent-" + A);
        var caseA = (await Api.CreateCase(agentA, new { source = "hotline", requestType = "enquiry", description = "甲区咨询" + tag, reporter = new { phone = "13800005353" } })).Id();
        await Api.Problem(await agentA.PostAsJsonAsync($"/api/v1/knowledge/{ofB}/answer", new { caseId = caseA }), HttpStatusCode.NotFound);
        var answered = await agentA.PostAsJsonAsync($"/api/v1/knowledge/{shared}/answer", new { caseId = caseA });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("closed", (await answered.Content.ReadFromJsonAsync<JsonElement>()).State());

        // A's editor reads the city's article without an edit button, and its edit form is refused.
        var editorA = await app.As("knowledge-" + A);
        Assert.DoesNotContain("id=\"article-edit\"", await editorA.GetStringAsync($"/Knowledge/{shared}"));
        Assert.Contains("id=\"article-edit\"", await editorA.GetStringAsync($"/Knowledge/{ofA}"));
        Assert.Equal(HttpStatusCode.Forbidden, (await editorA.GetAsync($"/Knowledge/Edit/{shared}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await editorA.GetAsync($"/api/v1/knowledge/{ofB}")).StatusCode);
    }

    [Fact]
    public async Task ApiKeysPeerLinksTheAuditTrailAndMissedCalls_KeepToThePlatform()
    {
        await SubCentresAsync();
        // API keys act for the whole deployment: a sub-centre's security administrator neither lists nor issues them.
        var securityA = await app.As("security-" + A);
        await Api.Problem(await securityA.GetAsync("/api/v1/admin/api-keys"), HttpStatusCode.Forbidden);
        await Api.Problem(await securityA.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "甲区读取", role = "telephony", scopes = new[] { "cases:read" } }),
            HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await securityA.GetAsync("/admin/api-keys")).StatusCode);
        Assert.DoesNotContain("admin-nav-keys", await securityA.GetStringAsync("/admin/users"));
        // Citizens' data requests span the deployment: the city's security administrators answer them.
        await Api.Problem(await securityA.PostAsJsonAsync("/api/v1/privacy/citizens/lookup", new { phone = "13800008080" }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await securityA.GetAsync("/privacy/citizens")).StatusCode);
        Assert.DoesNotContain("nav-citizen-requests", await securityA.GetStringAsync("/admin/users"));
        // The caller look-up finds the cases the person sees: the city's caller is not shown to a sub-centre's intake.
        var cityCase = await Api.CreateCase(await app.As("agent"), Api.Report("市区来电人查询", phone: "13800008080"));
        var byCity = await (await (await app.As("agent")).PostAsJsonAsync("/api/v1/callers/lookup", new { phone = "13800008080" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(byCity.GetProperty("cases").EnumerateArray(), c => c.Id() == cityCase.Id());
        var byA = await (await (await app.As("intake-" + A)).PostAsJsonAsync("/api/v1/callers/lookup", new { phone = "13800008080" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Empty(byA.GetProperty("cases").EnumerateArray());
        Assert.True(!byA.TryGetProperty("name", out var callerName) || callerName.ValueKind == JsonValueKind.Null, byA.ToString());
        // The peer links are the deployment's.
        var adminA = await app.As("admin-" + A);
        var adminB = await app.As("admin-" + B);
        await Api.Problem(await adminA.GetAsync("/api/v1/admin/exchange"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await adminA.GetAsync("/admin/exchange")).StatusCode);
        Assert.DoesNotContain("admin-nav-exchange", await adminA.GetStringAsync("/admin/users"));
        Assert.Contains("admin-nav-exchange", await (await app.As("admin")).GetStringAsync("/admin/users"));

        // The audit trail: a sub-centre's audit administrator reads what their platform's people did, nothing else.
        Assert.Equal(HttpStatusCode.Created, (await adminB.PostAsJsonAsync("/api/v1/admin/departments",
            new { code = "AUD" + B + Guid.NewGuid().ToString("N")[..4], name = "乙县审计用科室", kind = "bureau" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await adminA.PostAsJsonAsync("/api/v1/admin/departments",
            new { code = "AUD" + A + Guid.NewGuid().ToString("N")[..4], name = "甲区审计用科室", kind = "bureau" })).StatusCode);
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var idsOfA = (await db.Users.AsNoTracking().Where(u => u.PlatformCode == A).Select(u => u.Id).ToListAsync()).Select(id => id.ToString()).ToHashSet();
            var trailA = (await Api.Get(await app.As("audit-" + A), "/api/v1/admin/audit?pageSize=500")).GetProperty("items").EnumerateArray().ToList();
            Assert.Contains(trailA, e => e.Str("actorName") == "admin-" + A);
            Assert.All(trailA, e => Assert.Contains(e.Str("actorId"), idsOfA));
            var everyone = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?pageSize=500")).GetProperty("items").EnumerateArray().ToList();
            Assert.Contains(everyone, e => e.Str("actorName") == "admin-" + B);
        }

        // Missed calls of the city's 12345 line are the city's to call back: a sub-centre's staff neither list nor take them.
        var security = await app.As("security");
        var key = await (await security.PostAsJsonAsync("/api/v1/admin/api-keys",
            new { name = "cti-" + Guid.NewGuid().ToString("N")[..6], role = "telephony", scopes = new[] { "calls:write" } })).Content.ReadFromJsonAsync<JsonElement>();
        var cti = app.Anonymous();
        cti.DefaultRequestHeaders.Add("X-Api-Key", key.GetProperty("key").GetString());
        var callId = "subc-" + Guid.NewGuid().ToString("N")[..8];
        var now = app.Clock.GetUtcNow();
        Assert.True((await cti.PostAsJsonAsync("/api/v1/calls", new { callId, caller = "13800007070", calledLine = "12345", queuedAt = now.AddMinutes(-5), endedAt = now.AddMinutes(-4) })).IsSuccessStatusCode);
        var cityList = (await Api.Get(await app.As("leader"), "/api/v1/calls/callbacks")).EnumerateArray().ToList();
        var missed = cityList.Single(c => c.Str("callId") == callId);
        var listA = (await Api.Get(await app.As("leader-" + A), "/api/v1/calls/callbacks")).EnumerateArray().ToList();
        Assert.DoesNotContain(listA, c => c.Str("callId") == callId);
        await Api.Problem(await (await app.As("agent-" + A)).PostAsJsonAsync($"/api/v1/calls/{missed.Id()}/callback", new { reached = true }), HttpStatusCode.NotFound);
        Assert.DoesNotContain("13800007070", await (await app.As("agent-" + A)).GetStringAsync($"/Desk?call={missed.Id()}"));
    }
}

[Collection("sqlite")]
public sealed class SubCentreScopeTests_Sqlite(SqliteApp app) : SubCentreScopeTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class SubCentreScopeTests_Postgres(PostgresApp app) : SubCentreScopeTests<PostgresApp>(app), IClassFixture<PostgresApp>;
