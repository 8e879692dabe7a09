using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Figures;

/// <summary>
/// The people's assessments (REFERENCE §6: 监督员, 受理员, 值班长, 派遣员) and the collection company over its inspectors,
/// on both databases, over three September cases whose every figure is counted by hand below.
/// </summary>
public abstract class PeopleAssessmentTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset Sep(int day, int hour, int minute = 0) => new(2026, 9, day, hour, minute, 0, TimeSpan.FromHours(8));
    const string Period = "period=2026-09&platform=451202";
    const string Days = "from=2026-09-01&to=2026-09-30&platform=451202";
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    static readonly SemaphoreSlim Once = new(1, 1);
    static readonly HashSet<string> Built = [];

    async Task<string> UserIdAsync(string userName)
    {
        using var scope = app.Factory.Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Users.AsNoTracking().SingleAsync(u => u.UserName == userName)).Id.ToString();
    }

    /// <summary>
    /// P: the inspector's own patrol report, filed, dispatched, handled, the check sent by intake to the inspector, checked
    /// and closed. H: a citizen's report in the inspector's grid while the inspector is on duty (a 漏报), sent by intake
    /// to the inspector's verification, confirmed, filed, dispatched, returned by the department, the return approved and
    /// dispatched again. X: a citizen's report outside every grid, filed, then withdrawn by intake. The inspector belongs
    /// to 采集甲公司, with a second inspector of the company who did nothing this month.
    /// </summary>
    async Task SeptemberAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (!Built.Add(app.Provider + app.ConnectionString)) return;
            using (var scope = app.Factory.Services.CreateScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
                var inspectorUser = await db.Users.SingleAsync(u => u.UserName == "inspector");
                inspectorUser.Organisation = "采集甲公司";
                db.Users.Add(new User
                {
                    UserName = "inspector-b", DisplayName = "监督员乙（测试）", Roles = "inspector", Organisation = "采集甲公司", PasswordHash = "x",
                    CreatedAt = app.Clock.GetUtcNow(), PasswordChangedAt = app.Clock.GetUtcNow(),
                });
                await db.SaveChangesAsync();
            }
            var inspectorId = await UserIdAsync("inspector");
            var grid = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids[5];
            var point = grid.Polygon.InteriorPoint;
            var (lat, lon) = (Math.Round(point.Y, 6), Math.Round(point.X, 6));

            app.Clock.Set(Sep(7, 9));
            var inspector = await app.As("inspector");
            Assert.True((await inspector.PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = true })).IsSuccessStatusCode);
            app.Clock.Set(Sep(7, 9, 5));
            Guid p;
            using (var form = new MultipartFormDataContent
            {
                { new StringContent("C0101"), "categoryCode" }, { new StringContent("巡查发现井盖缺失"), "description" },
                { new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat" },
                { new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon" },
            })
            {
                form.Add(new ByteArrayContent(Png), "photos", "p.png");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrol/reports") { Content = form };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                var response = await inspector.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
                p = (await response.Content.ReadFromJsonAsync<JsonElement>()).Id();
            }
            app.Clock.Set(Sep(7, 9, 10));
            var h = (await Api.CreateCase(await app.As("agent"),
                new { source = "hotline", requestType = "complaint", description = "市民反映井盖缺失", categoryCode = "C0101", location = new { lat, lon } })).Id();
            app.Clock.Set(Sep(7, 9, 15));
            Assert.True((await (await app.As("inspector")).PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = false })).IsSuccessStatusCode);
            var x = (await Api.CreateCase(await app.As("agent"), new
            {
                source = "hotline", requestType = "complaint", description = "网格外的井盖问题", categoryCode = "C0101", location = new { lat = 30.0, lon = 120.0 },
            })).Id();

            // P through the whole loop.
            app.Clock.Set(Sep(7, 9, 20));
            await Api.ActOk(await app.As("leader"), p, "file", new { standardItem = "C0101-01" });
            await Api.ActOk(await app.As("dispatcher"), p, "dispatch", new { leadDepartment = "SZGLC" });
            await Api.ActOk(await app.As("handler"), p, "sign-for");
            await Api.ActOk(await app.As("handler"), p, "finish", new { result = "已处理" });
            await Api.ActOk(await app.As("intake"), p, "assign-check", new { inspector = inspectorId });
            await Api.ActOk(await app.As("inspector"), p, "check-pass", new { opinion = "现场已处理" });
            await Api.ActOk(await app.As("leader"), p, "close", new { standardItem = "C0101-01" });

            // H: verified by the inspector, dispatched, returned, dispatched again.
            await Api.ActOk(await app.As("intake"), h, "request-verification", new { inspector = inspectorId });
            await Api.ActOk(await app.As("inspector"), h, "verify", new { confirmed = true, opinion = "属实" });
            await Api.ActOk(await app.As("leader"), h, "file", new { standardItem = "C0101-01" });
            await Api.ActOk(await app.As("dispatcher"), h, "dispatch", new { leadDepartment = "SZGLC" });
            await Api.ActOk(await app.As("handler"), h, "return", new { reason = "非本单位职责" });
            await Api.ActOk(await app.As("dispatcher"), h, "approve-return", new { opinion = "同意" });
            await Api.ActOk(await app.As("dispatcher"), h, "dispatch", new { leadDepartment = "HWC" });

            // X: filed, then withdrawn by intake.
            await Api.ActOk(await app.As("leader"), x, "file", new { standardItem = "C0101-01" });
            await Api.ActOk(await app.As("intake"), x, "cancel", new { reason = "重复录入" });
            app.Clock.Set(Sep(8, 9));
        }
        finally { Once.Release(); }
    }

    static JsonElement Row(JsonElement a, string code) => a.GetProperty("rows").EnumerateArray().Single(r => r.Str("code") == code);

    static JsonElement Term(JsonElement row, string indicator) => row.GetProperty("terms").EnumerateArray().Single(t => t.Str("indicator") == indicator);

    static void Figure(JsonElement row, string indicator, long numerator, long? denominator, string? rate)
    {
        var t = Term(row, indicator);
        Assert.Equal(numerator, t.GetProperty("numerator").GetInt64());
        Assert.Equal(denominator, t.GetProperty("denominator").ValueKind == JsonValueKind.Null ? null : t.GetProperty("denominator").GetInt64());
        Assert.Equal(rate, t.GetProperty("rate").ValueKind == JsonValueKind.Null ? null : t.GetProperty("rate").GetDecimal().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
    }

    static string Score(JsonElement row) => row.GetProperty("score").GetDecimal().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The drill-down of a person's term lists exactly the cases its figure counts.</summary>
    async Task DrillDownAgrees(HttpClient client, JsonElement row, string indicator)
    {
        var t = Term(row, indicator);
        var numerator = await Api.Get(client, t.Str("cases"));
        Assert.Equal(t.GetProperty("numerator").GetInt64(), numerator.GetProperty("total").GetInt64());
        if (t.GetProperty("denominator").ValueKind != JsonValueKind.Null)
            Assert.Equal(t.GetProperty("denominator").GetInt64(), (await Api.Get(client, t.Str("cases") + "&part=denominator")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Inspectors_AreScoredOnValidReportsMissesVerificationsAndChecks_TheCompanyOverItsInspectors()
    {
        await SeptemberAsync();
        var supervisor = await app.As("supervisor");
        var a = await Api.Get(supervisor, $"/api/v1/assessments/inspectors?{Period}");
        Assert.Equal("inspector", a.Str("subject"));
        Assert.Contains("有效上报率 × 40", a.Str("howZh"));
        var me = Row(a, "inspector");
        Figure(me, "valid-report-rate", 1, 1, "100.00");        // P, filed
        Figure(me, "missed-report-rate", 1, 2, "50.00");        // H reported by a citizen in the grid while on duty; P the own report
        Figure(me, "verified-on-time-rate", 1, 1, "100.00");    // H
        Figure(me, "checked-on-time-rate", 1, 1, "100.00");     // P
        Assert.Equal("90.00", Score(me));                       // 40 + 20 × (1 − 50 %) + 20 + 20
        Assert.Equal(("A", 1), (me.Str("grade"), me.GetProperty("rank").GetInt32()));
        Assert.Equal(JsonValueKind.Null, me.GetProperty("previousScore").ValueKind);   // nothing in August
        var idle = Row(a, "inspector-b");
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("rank").ValueKind);
        await DrillDownAgrees(supervisor, me, "valid-report-rate");
        await DrillDownAgrees(supervisor, me, "verified-on-time-rate");
        var missed = await Api.Get(supervisor, Term(me, "missed-report-rate").Str("cases"));
        Assert.Equal((1, 1), (missed.GetProperty("missed").GetInt32(), missed.GetProperty("ownReports").GetInt32()));

        var companies = await Api.Get(supervisor, $"/api/v1/assessments/companies?{Period}");
        var company = Row(companies, "采集甲公司");
        Figure(company, "valid-report-rate", 1, 1, "100.00");
        Figure(company, "missed-report-rate", 1, 2, "50.00");
        Assert.Equal(("90.00", "A"), (Score(company), company.Str("grade")));
        await DrillDownAgrees(supervisor, company, "valid-report-rate");
        var companyMissed = await Api.Get(supervisor, Term(company, "missed-report-rate").Str("cases"));
        Assert.Equal((1, 1, 2), (companyMissed.GetProperty("missed").GetInt32(), companyMissed.GetProperty("ownReports").GetInt32(),
            companyMissed.GetProperty("inspectors").GetArrayLength()));
    }

    [Fact]
    public async Task IntakeShiftLeadersAndDispatchers_AreScoredByTheirOwnSteps_WithDrillDownsThatAgree()
    {
        await SeptemberAsync();
        var supervisor = await app.As("supervisor");

        var intake = Row(await Api.Get(supervisor, $"/api/v1/assessments/intake?{Period}"), "intake");
        Figure(intake, "intake-accepted", 3, null, "3.00");                    // H, X, P: each first handled by this operator
        Assert.Equal(60m, Term(intake, "intake-accepted").GetProperty("volumeScore").GetDecimal());   // ≥ 1 → 60 of the default steps
        Figure(intake, "verification-sent-on-time-rate", 1, 1, "100.00");     // H
        Figure(intake, "check-sent-on-time-rate", 1, 1, "100.00");            // P
        Assert.Equal(("90.00", "A"), (Score(intake), intake.Str("grade"))); // 25 × 60 % + 40 + 35
        await DrillDownAgrees(supervisor, intake, "intake-accepted");

        var leader = Row(await Api.Get(supervisor, $"/api/v1/assessments/shift-leaders?{Period}"), "leader");
        Figure(leader, "filed-on-time-rate", 3, 3, "100.00");                 // P, H, X
        Figure(leader, "accurate-filing-rate", 2, 3, "66.67");                // X withdrawn after filing
        Figure(leader, "closing-on-time-rate", 1, 1, "100.00");               // P
        Assert.Equal(("86.67", "B"), (Score(leader), leader.Str("grade"))); // 25 + 40 × 66.67 % + 35
        await DrillDownAgrees(supervisor, leader, "accurate-filing-rate");
        var numerator = await Api.Get(supervisor, $"/api/v1/indicators/accurate-filing-rate/cases?person=leader&{Days}");
        Assert.Equal(2, numerator.GetProperty("items").GetArrayLength());

        var dispatcher = Row(await Api.Get(supervisor, $"/api/v1/assessments/dispatchers?{Period}"), "dispatcher");
        Figure(dispatcher, "dispatched", 2, null, "2.00");                   // P, H (H's second dispatch is not another case)
        Figure(dispatcher, "dispatched-on-time-rate", 2, 2, "100.00");
        Figure(dispatcher, "accurate-dispatch-rate", 1, 2, "50.00");           // H's return stood
        Assert.Equal(("72.00", "C"), (Score(dispatcher), dispatcher.Str("grade"))); // 20 × 60 % + 40 + 40 × 50 %
        await DrillDownAgrees(supervisor, dispatcher, "accurate-dispatch-rate");

        // The same figure through the indicator API, for one person.
        var value = await Api.Get(supervisor, $"/api/v1/indicators/accurate-dispatch-rate?person=dispatcher&{Days}");
        Assert.Equal(50.00m, value.GetProperty("value").GetDecimal());
        await Api.Problem(await supervisor.GetAsync($"/api/v1/indicators/completion-rate?person=dispatcher&{Days}"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.GetAsync($"/api/v1/indicators/dispatched?person=nobody&{Days}"), HttpStatusCode.NotFound);
        await Api.Problem(await (await app.As("handler")).GetAsync($"/api/v1/assessments/dispatchers?{Period}"), HttpStatusCode.Forbidden);

        // The rankings page shows each subject, a figure links to its cases.
        var page = await (await supervisor.GetAsync("/figures/rankings?view=assessment&by=shift-leader&kind=month&period=2026-09")).Content.ReadAsStringAsync();
        Assert.Contains("值班长考核", page);
        Assert.Contains("86.67", page);
        var drill = await (await supervisor.GetAsync("/figures/rankings?view=cases&by=shift-leader&kind=month&period=2026-09&indicator=accurate-filing-rate&person=leader")).Content.ReadAsStringAsync();
        Assert.Contains("66.67%", drill);
    }

    [Fact]
    public async Task TheInspectorsAndDispatchersDashboards_ShowTheirOwnScoreAndFigures()
    {
        await SeptemberAsync();
        var inspector = await Api.Get(await app.As("inspector"), "/api/v1/dashboard/inspector");
        Assert.Equal(("inspector", "2026-09", 90.00m, "A"), (inspector.Str("user"), inspector.Str("period"), inspector.GetProperty("score").GetDecimal(), inspector.Str("grade")));
        var reports = inspector.GetProperty("figures").EnumerateArray().Single(f => f.Str("indicator") == "reported");
        Assert.Equal(1, reports.GetProperty("numerator").GetInt64());   // P
        var missed = inspector.GetProperty("figures").EnumerateArray().Single(f => f.Str("indicator") == "missed-report-rate");
        Assert.Equal(50.00m, missed.GetProperty("value").GetDecimal());
        var page = await (await (await app.As("inspector")).GetAsync("/inspector/dashboard")).Content.ReadAsStringAsync();
        Assert.Contains("90.00", page);
        Assert.Contains("有效上报率", page);

        var dispatcher = await Api.Get(await app.As("dispatcher"), "/api/v1/dashboard/dispatcher");
        Assert.Equal((72.00m, "C"), (dispatcher.GetProperty("score").GetDecimal(), dispatcher.Str("grade")));
        var platform = dispatcher.GetProperty("platform").EnumerateArray().ToDictionary(f => f.Str("indicator"));
        Assert.Equal((1, 2), (platform["accurate-dispatch-rate"].GetProperty("numerator").GetInt64(), platform["accurate-dispatch-rate"].GetProperty("denominator").GetInt64()));
        Assert.Equal(1, platform["returns"].GetProperty("numerator").GetInt64());
        Assert.Contains(dispatcher.GetProperty("queue").EnumerateArray(), q => q.Str("key") == "red");
        await Api.Problem(await (await app.As("inspector")).GetAsync("/api/v1/dashboard/dispatcher"), HttpStatusCode.Forbidden);
        await Api.Problem(await (await app.As("dispatcher")).GetAsync("/api/v1/dashboard/inspector"), HttpStatusCode.Forbidden);
    }
}

[Collection("sqlite")]
public sealed class PeopleAssessmentTests_Sqlite(SqliteApp app) : PeopleAssessmentTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class PeopleAssessmentTests_Postgres(PostgresApp app) : PeopleAssessmentTests<PostgresApp>(app), IClassFixture<PostgresApp>;
