using CityLoop.Domain.Routing;

namespace CityLoop.Domain.Tests.Routing;

public class RuleValidationTests
{
    private static ResponsibilityRule Rule(string id = "R-1", string? category = "E0102",
        RuleScopeKind kind = RuleScopeKind.CategoryDefault, string? value = null, string lead = "HW",
        params string[] assisting) => new(id, category, kind, value, lead, assisting);

    private static RuleValidationError Single(params ResponsibilityRule[] rules) =>
        Assert.Single(ResponsibilityMatrix.Validate(rules, Options));

    private static readonly RuleValidationOptions Options = new()
    {
        KnownDepartments = new HashSet<string> { "HW", "ZF", "JD" },
        KnownCategoryCodes = new HashSet<string> { "E01", "E0101", "E0102" },
        KnownAreaCodes = new HashSet<string> { "451202", "451202001" },
    };

    [Fact]
    public void Valid_rules_have_no_errors()
    {
        Assert.Empty(ResponsibilityMatrix.Validate(
        [
            Rule(),
            Rule("R-2", "E01", RuleScopeKind.Street, "451202001", "JD", "HW"),
            Rule("R-3", null, RuleScopeKind.Grid, "451202001001003", "ZF"),
            Rule("R-4", "E0101", RuleScopeKind.District, "451202", "ZF"),
        ], Options));
    }

    [Fact]
    public void Duplicate_ids_are_reported()
    {
        var e = Single(Rule(), Rule(category: "E0101"));
        Assert.Equal(("R-1", "id", "duplicate rule id R-1"), (e.RuleId, e.Field, e.Message));
    }

    [Fact]
    public void Lead_listed_as_assisting_is_reported()
    {
        var e = Single(Rule(assisting: ["ZF", "HW"]));
        Assert.Equal("rule R-1, assisting: HW is the lead department and cannot also be assisting", e.ToString());
    }

    [Theory]
    [InlineData(RuleScopeKind.Street, "45120200", "street code '45120200' must be 9 digits")]
    [InlineData(RuleScopeKind.Street, "451202999", "unknown street code 451202999")]
    [InlineData(RuleScopeKind.District, "45120A", "district code '45120A' must be 6 digits")]
    [InlineData(RuleScopeKind.District, "451203", "unknown district code 451203")]
    [InlineData(RuleScopeKind.Grid, "4512020010010", "grid code '4512020010010' must be 15 digits")]
    [InlineData(RuleScopeKind.Grid, "451202999001001", "grid code '451202999001001' is in unknown street 451202999")]
    [InlineData(RuleScopeKind.ComponentOwner, "45120201010001", "component id '45120201010001' must be 16 digits (area 6 + 大类 2 + 小类 2 + serial 6)")]
    [InlineData(RuleScopeKind.Street, null, "a street rule needs a scope value")]
    [InlineData(RuleScopeKind.CategoryDefault, "451202", "a category default rule has no scope value")]
    public void Bad_scope_values_are_reported(RuleScopeKind kind, string? value, string message)
    {
        var e = Single(Rule(kind: kind, value: value));
        Assert.Equal(("scopeValue", message), (e.Field, e.Message));
    }

    [Fact]
    public void Grid_lengths_come_from_configuration()
    {
        var options = new RuleValidationOptions { GridCodeLengths = [14, 15] };
        Assert.Empty(ResponsibilityMatrix.Validate([Rule(kind: RuleScopeKind.Grid, value: "45120200100100")], options));
    }

    [Theory]
    [InlineData("0102", "categoryCode", "'0102' is not a category key (kind letter C/E/H + 2, 4 or 6 digits, e.g. C0101 or C01)")]
    [InlineData("E0199", "categoryCode", "unknown category E0199")]
    public void Bad_category_codes_are_reported(string category, string field, string message)
    {
        var e = Single(Rule(category: category));
        Assert.Equal((field, message), (e.Field, e.Message));
    }

    [Fact]
    public void Unknown_departments_and_missing_fields_are_reported()
    {
        var errors = ResponsibilityMatrix.Validate([Rule(lead: "XX", assisting: "YY"), Rule(" ", "E0101", lead: "")], Options);
        Assert.Equal(
        [
            "rule R-1, lead: unknown department XX",
            "rule R-1, assisting: unknown department YY",
            "rule (no id), id: rule id is required",
            "rule (no id), lead: lead department is required",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Two_rules_for_the_same_category_and_area_are_reported()
    {
        var e = Single(Rule(), Rule("R-2"));
        Assert.Equal("rule R-2, scope: rules R-1 and R-2 both cover category E0102 at category default: keep one", e.ToString());
    }

    [Fact]
    public void Matrix_refuses_invalid_rules()
    {
        var ex = Assert.Throws<RuleValidationException>(() => new ResponsibilityMatrix([Rule(), Rule()]));
        Assert.Contains(ex.Errors, e => e.Message == "duplicate rule id R-1");
    }
}
