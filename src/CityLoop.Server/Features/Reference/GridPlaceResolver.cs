using CityLoop.Domain.Cases;
using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Cases;

namespace CityLoop.Server.Features.Reference;

/// <summary>Point → grid → community → street → district from the cached grid index (an STR-tree).</summary>
public sealed class GridPlaceResolver(ReferenceCache cache) : IPlaceResolver
{
    public CasePlace? Resolve(double? latitude, double? longitude)
    {
        if (latitude is not { } lat || longitude is not { } lon) return null;
        var geo = cache.Geo;
        // Without any grid there is nothing to be outside of: leave the case unplaced rather than flag every report.
        if (geo.Grids.Count == 0) return null;
        if (geo.Grids.Resolve(lat, lon) is not { } found) return new CasePlace(null, null, null, null, OutsideGrid: true);
        string? Code(DivisionLevel level) => found.AreaChain.FirstOrDefault(d => d.Level == level)?.Code;
        return new CasePlace(found.Grid.Code, Code(DivisionLevel.Community) ?? found.Grid.CommunityCode,
            Code(DivisionLevel.Street) ?? GridCode.StreetCode(found.Grid.Code), Code(DivisionLevel.District) ?? GridCode.DistrictCode(found.Grid.Code), false);
    }
}
