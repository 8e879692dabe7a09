using CityLoop.Domain.Routing;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>
/// Demo departments and responsibility rules embedded from Data/Routing, for 金城江区 (451202). Fictional
/// organisation names only; a city replaces them with its own 派单目录.
/// </summary>
public static class RoutingSeed
{
    public const string DemoDistrictCode = "451202";
    public const string DepartmentsFile = "departments.csv";
    public const string RulesFile = "responsibility-rules.csv";

    public static IReadOnlyList<Department> LoadDepartments() =>
        EmbeddedData.Require(RoutingCsv.ParseDepartments(EmbeddedData.Read(DepartmentsFile)), DepartmentsFile);

    public static IReadOnlyList<ResponsibilityRule> LoadRules() =>
        EmbeddedData.Require(RoutingCsv.ParseRules(EmbeddedData.Read(RulesFile)), RulesFile);

    /// <summary>The demo matrix, rendering department names from departments.csv.</summary>
    public static ResponsibilityMatrix LoadMatrix()
    {
        var names = LoadDepartments().ToDictionary(d => d.Code, d => d.Name);
        return new ResponsibilityMatrix(LoadRules(), code => names.GetValueOrDefault(code));
    }
}
