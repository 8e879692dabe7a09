namespace CityLoop.Domain.Routing;

/// <summary>
/// What to route. <see cref="CategoryCode"/> is the catalogue key (C0101, E0102, H010101).
/// Street and district may be omitted when a grid code is given: they are its first 9 and 6 digits.
/// </summary>
public sealed record RoutingQuery(
    string CategoryCode,
    string CategoryName,
    string? ComponentId = null,
    string? ComponentMaintainingDepartment = null,
    string? GridCode = null,
    string? StreetCode = null,
    string? DistrictCode = null)
{
    public string? EffectiveStreetCode =>
        StreetCode ?? (GridCode is { Length: >= 9 } g ? g[..9] : null);

    public string? EffectiveDistrictCode =>
        DistrictCode ?? (EffectiveStreetCode is { Length: >= 6 } s ? s[..6] : GridCode is { Length: >= 6 } g ? g[..6] : null);
}

/// <summary>Why a suggestion was made.</summary>
public enum SuggestionBasis
{
    /// <summary>A rule of the matrix matched (<see cref="RoutingSuggestion.RuleId"/> is set).</summary>
    Rule,

    /// <summary>No component rule, but the component register names a maintaining department (养护部门).</summary>
    ComponentRegister,

    /// <summary>Nothing matched: the dispatcher must choose.</summary>
    None,
}

/// <summary>Suggested dispatch: lead and assisting department codes, the deciding rule and a Chinese explanation.</summary>
public sealed record RoutingSuggestion(
    string? LeadDepartment,
    IReadOnlyList<string> AssistingDepartments,
    string? RuleId,
    RuleScopeKind? Scope,
    SuggestionBasis Basis,
    string Explanation)
{
    public bool Found => LeadDepartment is not null;
}

/// <summary>An area to check for gaps: a district, optionally narrowed to a street and a grid.</summary>
public sealed record RoutingArea(string DistrictCode, string? StreetCode = null, string? GridCode = null)
{
    public override string ToString() => GridCode ?? StreetCode ?? DistrictCode;
}

/// <summary>A leaf category that nobody is responsible for in an area.</summary>
public sealed record RoutingGap(string CategoryCode, string CategoryName, RoutingArea Area)
{
    public override string ToString() => $"{CategoryName} ({CategoryCode}) in {Area}: no responsible department";
}
