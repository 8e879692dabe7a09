using System.Text.RegularExpressions;

namespace CityLoop.Domain.Catalogue;

/// <summary>Where a filing condition comes from: a cited local standard, this seed's own default, or a city edit.</summary>
public enum ConditionSource
{
    Default,
    Reference,
    Local,
}

/// <summary>
/// 立案条件: when a problem of a category is filed, the time allowed to handle it and what counts as closed.
/// <see cref="TimeLimit"/> stays a compact string ("2h-urgent", "4h-work", "3d-work", "15d-cal"): the time
/// limit parser and the working-time calendar live elsewhere; here it is only format-checked.
/// </summary>
public sealed record FilingCondition(
    string Code,
    string Description,
    string TimeLimit,
    string ClosingStandard,
    string? LegalBasis = null,
    string? Notes = null,
    ConditionSource Source = ConditionSource.Default);

/// <summary>Format check for compact time limits: value + h|d + "-" + urgent|work|cal.</summary>
public static partial class TimeLimitFormat
{
    public const string Description =
        "expected <value><h|d>-<urgent|work|cal>, e.g. 2h-urgent, 4h-work, 3d-work, 15d-cal";

    public static bool IsValid(string? limit) => limit is not null && Pattern().IsMatch(limit);

    [GeneratedRegex("^[1-9][0-9]{0,3}[hd]-(?:urgent|work|cal)$")]
    private static partial Regex Pattern();
}
