namespace CityLoop.Domain.Routing;

/// <summary>A problem with one rule (or a pair of rules), for the admin screen.</summary>
public sealed record RuleValidationError(string? RuleId, string Field, string Message)
{
    public override string ToString() => $"rule {RuleId ?? "(no id)"}, {Field}: {Message}";
}

/// <summary>
/// Reference data to check rules against. Each set is optional: without it that check is skipped
/// (the matrix constructor runs only the structural checks).
/// </summary>
public sealed class RuleValidationOptions
{
    public IReadOnlySet<string>? KnownDepartments { get; init; }

    /// <summary>Catalogue keys (C01, C0101, …); a rule's category pattern must be one of them.</summary>
    public IReadOnlySet<string>? KnownCategoryCodes { get; init; }

    /// <summary>Known district (6-digit) and street (9-digit) codes.</summary>
    public IReadOnlySet<string>? KnownAreaCodes { get; init; }

    /// <summary>Grid codes are 15 digits by the standard, but some systems use 14 or 16 (REFERENCE §4).</summary>
    public IReadOnlyCollection<int> GridCodeLengths { get; init; } = [15];
}

public sealed class RuleValidationException(IReadOnlyList<RuleValidationError> errors)
    : Exception("invalid responsibility rules: " + string.Join("; ", errors))
{
    public IReadOnlyList<RuleValidationError> Errors { get; } = errors;
}
