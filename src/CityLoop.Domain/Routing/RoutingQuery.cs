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
