using CityLoop.Domain.Cases;

namespace CityLoop.Server.Features.Cases;

/// <summary>Places a reported point in its grid and area chain; points outside every grid are flagged, not refused.</summary>
public interface IPlaceResolver
{
    CasePlace? Resolve(double? latitude, double? longitude);
}
