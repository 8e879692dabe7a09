namespace CityLoop.Domain.Routing;

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
