using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Routing;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>
/// Import/export of departments.csv (code,name,parentCode,kind) and responsibility-rules.csv
/// (id,categoryCode,scopeKind,scopeValue,lead,assisting; assisting codes separated by ';').
/// Row-level checks only; cross-rule checks are <see cref="ResponsibilityMatrix.Validate"/>.
/// </summary>
public static class RoutingCsv
{
    public static readonly IReadOnlyList<string> DepartmentColumns = ["code", "name", "parentCode", "kind"];
    public static readonly IReadOnlyList<string> RuleColumns = ["id", "categoryCode", "scopeKind", "scopeValue", "lead", "assisting"];

    /// <param name="knownCodes">Departments already stored, which rows may name as parent without repeating them.</param>
    public static CsvParseResult<Department> ParseDepartments(string csv, IReadOnlySet<string>? knownCodes = null)
    {
        var errors = new List<CsvRowError>();
        var table = CsvTable.Parse(csv, DepartmentColumns, errors);
        if (table is null) return new([], errors);
        var rows = new List<Department>();
        var rowNumbers = new List<int>();
        foreach (var r in table.Records)
        {
            int before = errors.Count;
            var code = table.Get(r, "code");
            var name = table.Get(r, "name");
            if (code.Length == 0) errors.Add(new(r.Row, "code", "department code is required"));
            else if (rows.Any(d => d.Code == code)) errors.Add(new(r.Row, "code", $"duplicate department {code}"));
            if (name.Length == 0) errors.Add(new(r.Row, "name", "name is required"));
            var kindText = table.Get(r, "kind");
            DepartmentKind? kind = kindText switch
            {
                "bureau" => DepartmentKind.Bureau,
                "team" => DepartmentKind.Team,
                "street-office" => DepartmentKind.StreetOffice,
                _ => null,
            };
            if (kind is null) errors.Add(new(r.Row, "kind", $"unknown kind '{kindText}' (bureau, team, street-office)"));
            if (errors.Count == before)
            {
                rows.Add(new Department(code, name, table.GetOrNull(r, "parentCode"), kind!.Value));
                rowNumbers.Add(r.Row);
            }
        }
        // Parents may be listed after their children, so check them once every row is read.
        var codes = rows.Select(d => d.Code).ToHashSet(StringComparer.Ordinal);
        var kept = new List<Department>();
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].ParentCode is { } parent && !codes.Contains(parent) && knownCodes?.Contains(parent) != true)
                errors.Add(new(rowNumbers[i], "parentCode", $"parent department {parent} not found"));
            else
                kept.Add(rows[i]);
        }
        return new(kept, errors.OrderBy(e => e.Row).ToList());
    }

    public static CsvParseResult<ResponsibilityRule> ParseRules(string csv)
    {
        var errors = new List<CsvRowError>();
        var table = CsvTable.Parse(csv, RuleColumns, errors);
        if (table is null) return new([], errors);
        var rows = new List<ResponsibilityRule>();
        foreach (var r in table.Records)
        {
            int before = errors.Count;
            var id = table.Get(r, "id");
            if (id.Length == 0) errors.Add(new(r.Row, "id", "rule id is required"));
            var category = table.GetOrNull(r, "categoryCode");
            if (category is not null && !CategoryKey.IsValid(category))
                errors.Add(new(r.Row, "categoryCode", $"'{category}' is not a category key such as C0101 or E01"));
            var kindText = table.Get(r, "scopeKind");
            var kind = ParseScopeKind(kindText);
            if (kind is null)
                errors.Add(new(r.Row, "scopeKind", $"unknown scope kind '{kindText}' (component, grid, street, district, default)"));
            var lead = table.Get(r, "lead");
            if (lead.Length == 0) errors.Add(new(r.Row, "lead", "lead department is required"));
            var assisting = table.Get(r, "assisting")
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (errors.Count == before)
                rows.Add(new ResponsibilityRule(id, category, kind!.Value, table.GetOrNull(r, "scopeValue"), lead, assisting));
        }
        return new(rows, errors);
    }

    public static string WriteRules(IEnumerable<ResponsibilityRule> rules) =>
        Csv.Write(RuleColumns, rules.Select(r => new[]
        {
            r.Id, r.CategoryCode, ResponsibilityMatrix.ScopeWord(r.ScopeKind), r.ScopeValue, r.LeadDepartment,
            string.Join(';', r.AssistingDepartments),
        }));

    public static string WriteDepartments(IEnumerable<Department> departments) =>
        Csv.Write(DepartmentColumns, departments.Select(d => new[]
        {
            d.Code, d.Name, d.ParentCode,
            d.Kind switch { DepartmentKind.Bureau => "bureau", DepartmentKind.Team => "team", _ => "street-office" },
        }));

    private static RuleScopeKind? ParseScopeKind(string text) => text.ToLowerInvariant() switch
    {
        "component" => RuleScopeKind.ComponentOwner,
        "grid" => RuleScopeKind.Grid,
        "street" => RuleScopeKind.Street,
        "district" => RuleScopeKind.District,
        "default" => RuleScopeKind.CategoryDefault,
        _ => null,
    };
}
