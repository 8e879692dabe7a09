namespace CityLoop.Domain.Routing;

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

/// <summary>Suggested dispatch: lead and assisting department codes, the deciding rule and why, in Chinese and English.</summary>
public sealed record RoutingSuggestion(
    string? LeadDepartment,
    IReadOnlyList<string> AssistingDepartments,
    string? RuleId,
    RuleScopeKind? Scope,
    SuggestionBasis Basis,
    string Explanation)
{
    public bool Found => LeadDepartment is not null;

    /// <summary>The explanation in English (department and category names stay as the platform writes them).</summary>
    public string ExplanationEn { get; init; } = Explanation;
}
