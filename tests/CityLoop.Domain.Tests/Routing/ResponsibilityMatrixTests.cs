using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Routing;

namespace CityLoop.Domain.Tests.Routing;

public class ResponsibilityMatrixTests
{
    private const string Grid = "451202001001003";
    private const string Street = "451202001";
    private const string District = "451202";
    private const string Component = "4512020101000001";

    private static readonly Dictionary<string, string> Names = new()
    {
        ["SZ"] = "市政管理处", ["HW"] = "环卫处", ["ZF"] = "城管执法大队", ["GS"] = "供水公司", ["JD"] = "金城江街道办事处",
    };

    private static ResponsibilityMatrix Matrix(params ResponsibilityRule[] rules) =>
        new(rules, code => Names.GetValueOrDefault(code));

    private static RoutingQuery CoverQuery(string? componentId = null, string? maintainer = null) =>
        new("C0101", "上水井盖", componentId, maintainer, Grid, Street, District);

    // One rule per scope kind, all for the same 小类, each with a different lead so the winner is visible.
    private static readonly ResponsibilityRule[] AllScopes =
    [
        new("R-C", null, RuleScopeKind.ComponentOwner, Component, "GS"),
        new("R-G", "C0101", RuleScopeKind.Grid, Grid, "SZ"),
        new("R-S", "C0101", RuleScopeKind.Street, Street, "JD"),
        new("R-D", "C0101", RuleScopeKind.District, District, "ZF"),
        new("R-0", "C0101", RuleScopeKind.CategoryDefault, null, "HW"),
    ];

    [Theory]
    [InlineData(0, "R-C")]
    [InlineData(1, "R-G")]
    [InlineData(2, "R-S")]
    [InlineData(3, "R-D")]
    [InlineData(4, "R-0")]
    public void Stronger_scope_wins(int skip, string expected)
    {
        var matrix = Matrix(AllScopes.Skip(skip).ToArray());

        var s = matrix.Suggest(CoverQuery(Component));

        Assert.Equal(expected, s.RuleId);
        Assert.Equal(SuggestionBasis.Rule, s.Basis);
    }

    [Fact]
    public void Component_register_beats_grid_rule_but_not_a_component_rule()
    {
        var areaOnly = Matrix(AllScopes.Skip(1).ToArray());
        var fromRegister = areaOnly.Suggest(CoverQuery(Component, maintainer: "GS"));
        Assert.Equal("GS", fromRegister.LeadDepartment);
        Assert.Equal(SuggestionBasis.ComponentRegister, fromRegister.Basis);
        Assert.Null(fromRegister.RuleId);
        Assert.Equal($"上水井盖 部件 {Component} → 供水公司，依据部件台账的养护单位", fromRegister.Explanation);
        Assert.Equal($"上水井盖 component {Component} → 供水公司, the maintainer in the component register", fromRegister.ExplanationEn);

        var withRule = Matrix(AllScopes).Suggest(CoverQuery(Component, maintainer: "SZ"));
        Assert.Equal("R-C", withRule.RuleId);
    }

    [Fact]
    public void Component_rule_applies_only_to_its_component()
    {
        var s = Matrix(AllScopes).Suggest(CoverQuery("4512020101000002"));
        Assert.Equal("R-G", s.RuleId);
    }

    [Fact]
    public void Within_a_scope_minor_beats_major_beats_any()
    {
        var any = new ResponsibilityRule("R-any", null, RuleScopeKind.Street, Street, "JD");
        var major = new ResponsibilityRule("R-major", "C01", RuleScopeKind.Street, Street, "SZ");
        var minor = new ResponsibilityRule("R-minor", "C0101", RuleScopeKind.Street, Street, "GS");

        Assert.Equal("R-minor", Matrix(any, major, minor).Suggest(CoverQuery()).RuleId);
        Assert.Equal("R-major", Matrix(minor with { CategoryCode = "C0102", Id = "R-other" }, any, major)
            .Suggest(CoverQuery()).RuleId);
        Assert.Equal("R-any", Matrix(any).Suggest(CoverQuery()).RuleId);
    }

    [Fact]
    public void Scope_outranks_category_specificity()
    {
        // An any-category street rule still beats a 小类-specific category default.
        var matrix = Matrix(
            new ResponsibilityRule("R-any", null, RuleScopeKind.Street, Street, "JD"),
            new ResponsibilityRule("R-0", "C0101", RuleScopeKind.CategoryDefault, null, "GS"));
        Assert.Equal("R-any", matrix.Suggest(CoverQuery()).RuleId);
    }

    [Fact]
    public void Major_prefix_does_not_cover_other_kinds_or_other_majors()
    {
        var matrix = Matrix(new ResponsibilityRule("R-1", "C01", RuleScopeKind.CategoryDefault, null, "SZ"));
        Assert.True(matrix.Suggest(new RoutingQuery("C0118", "路灯")).Found);
        Assert.False(matrix.Suggest(new RoutingQuery("E0101", "私搭乱建")).Found);
        Assert.False(matrix.Suggest(new RoutingQuery("C0201", "停车场")).Found);
    }

    [Fact]
    public void Street_and_district_are_derived_from_the_grid_code()
    {
        var matrix = Matrix(new ResponsibilityRule("R-S", null, RuleScopeKind.Street, Street, "JD"),
            new ResponsibilityRule("R-D", null, RuleScopeKind.District, District, "ZF"));
        Assert.Equal("R-S", matrix.Suggest(new RoutingQuery("E0102", "暴露垃圾", GridCode: Grid)).RuleId);
        Assert.Equal("R-D", matrix.Suggest(new RoutingQuery("E0102", "暴露垃圾", GridCode: "451202101001001")).RuleId);
    }

    [Fact]
    public void Explanation_names_category_area_departments_and_rule()
    {
        var matrix = Matrix(new ResponsibilityRule("R-17", "C01", RuleScopeKind.Grid, Grid, "SZ"),
            new ResponsibilityRule("R-3", "E0103", RuleScopeKind.CategoryDefault, null, "HW", "ZF", "XX"));

        var grid = matrix.Suggest(new RoutingQuery("C0101", "井盖", GridCode: Grid));
        Assert.Equal("井盖 位于网格 451202001001003 → 市政管理处，依据规则 R-17", grid.Explanation);
        Assert.Equal(RuleScopeKind.Grid, grid.Scope);

        var fallback = matrix.Suggest(new RoutingQuery("E0103", "积存垃圾渣土", GridCode: Grid));
        Assert.Equal("积存垃圾渣土（类别默认） → 环卫处（协办：城管执法大队、XX），依据规则 R-3", fallback.Explanation);
        Assert.Equal(["ZF", "XX"], fallback.AssistingDepartments);
    }

    [Fact]
    public void Explanation_in_English_says_the_same_in_words_of_its_own()
    {
        var matrix = Matrix(new ResponsibilityRule("R-17", "C01", RuleScopeKind.Grid, Grid, "SZ"),
            new ResponsibilityRule("R-3", "E0103", RuleScopeKind.CategoryDefault, null, "HW", "ZF", "XX"));

        Assert.Equal("井盖 in grid 451202001001003 → 市政管理处, by rule R-17", matrix.Suggest(new RoutingQuery("C0101", "井盖", GridCode: Grid)).ExplanationEn);
        Assert.Equal("积存垃圾渣土 (category default) → 环卫处 (assisting: 城管执法大队, XX), by rule R-3",
            matrix.Suggest(new RoutingQuery("E0103", "积存垃圾渣土", GridCode: Grid)).ExplanationEn);
        var none = Matrix(AllScopes).Suggest(new RoutingQuery("E0411", "火灾", StreetCode: "451202101"));
        Assert.Equal("No responsibility rule applies to 火灾 (E0411, street 451202101): choose the department", none.ExplanationEn);
        Assert.DoesNotContain("依据", none.ExplanationEn);
    }

    [Fact]
    public void No_rule_gives_an_empty_suggestion_with_a_reason()
    {
        var s = Matrix(AllScopes).Suggest(new RoutingQuery("E0411", "火灾", StreetCode: "451202101"));

        Assert.False(s.Found);
        Assert.Equal(SuggestionBasis.None, s.Basis);
        Assert.Null(s.RuleId);
        Assert.Empty(s.AssistingDepartments);
        Assert.Equal("火灾（E0411，街道 451202101）没有适用的责任规则，请人工派遣", s.Explanation);
    }

    [Fact]
    public void FindGaps_reports_each_uncovered_leaf_and_area()
    {
        var matrix = Matrix(
            new ResponsibilityRule("R-1", "E0102", RuleScopeKind.CategoryDefault, null, "HW"),
            new ResponsibilityRule("R-2", "E01", RuleScopeKind.Street, Street, "JD"));
        var categories = new[]
        {
            new Category(CategoryKind.Event, "01", CategoryLevel.Major, null, "市容环境"),
            new Category(CategoryKind.Event, "0101", CategoryLevel.Minor, "01", "私搭乱建"),
            new Category(CategoryKind.Event, "0102", CategoryLevel.Minor, "01", "暴露垃圾"),
        };
        var inStreet = new RoutingArea(District, Street);
        var elsewhere = new RoutingArea(District, "451202101");

        var gaps = matrix.FindGaps(categories, [inStreet, elsewhere]);

        var gap = Assert.Single(gaps);
        Assert.Equal(("E0101", "私搭乱建", elsewhere), (gap.CategoryCode, gap.CategoryName, gap.Area));
        Assert.Equal("私搭乱建 (E0101) in 451202101: no responsible department", gap.ToString());
    }
}
