namespace CityLoop.Domain.Routing;

/// <summary>Area scope of a rule, strongest first. The enum order is the precedence order.</summary>
public enum RuleScopeKind
{
    /// <summary>One component (16-digit component id).</summary>
    ComponentOwner,

    /// <summary>One unit grid (15-digit code by default).</summary>
    Grid,

    /// <summary>One street / town (9 digits: 6 area + 3 street).</summary>
    Street,

    /// <summary>One district / county (6-digit administrative code).</summary>
    District,

    /// <summary>No area: the category's default department anywhere.</summary>
    CategoryDefault,
}

/// <summary>
/// One line of the responsibility matrix (派单目录): category × area → lead (主办) and assisting (协办) departments.
/// <see cref="CategoryCode"/> is a catalogue key: a 小类 key (C0101), a 大类 key prefix covering its 小类 (C01),
/// or null for any category. Departments are referenced by code.
/// </summary>
public sealed record ResponsibilityRule(
    string Id,
    string? CategoryCode,
    RuleScopeKind ScopeKind,
    string? ScopeValue,
    string LeadDepartment,
    IReadOnlyList<string> AssistingDepartments)
{
    public ResponsibilityRule(string id, string? categoryCode, RuleScopeKind scopeKind, string? scopeValue, string lead,
        params string[] assisting)
        : this(id, categoryCode, scopeKind, scopeValue, lead, (IReadOnlyList<string>)assisting) { }

    /// <summary>Longer pattern = more specific: 小类 key (5 chars) beats 大类 key (3) beats any category (0).</summary>
    public int CategorySpecificity => CategoryCode?.Length ?? 0;

    public bool MatchesCategory(string categoryKey) =>
        CategoryCode is null || categoryKey.StartsWith(CategoryCode, StringComparison.Ordinal);
}
