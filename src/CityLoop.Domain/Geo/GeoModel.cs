using NetTopologySuite.Geometries;

namespace CityLoop.Domain.Geo;

/// <summary>A WGS 84 point. Latitude first, as people say it; NTS coordinates are (x = lon, y = lat).</summary>
public readonly record struct GeoPoint(double Lat, double Lon)
{
    public Coordinate ToCoordinate() => new(Lon, Lat);

    public static GeoPoint From(Coordinate c) => new(c.Y, c.X);
}

/// <summary>单元网格: the smallest management cell, about 10,000 m². Polygon in lon/lat, SRID 4326.</summary>
public sealed record UnitGrid(string Code, string CommunityCode, string Name, Polygon Polygon);

/// <summary>The outline of a division (community, street, district); may be a MultiPolygon.</summary>
public sealed record DivisionArea(string Code, string Name, DivisionLevel Level, Geometry Geometry);

public static class GeoFactory
{
    public const int Wgs84Srid = 4326;

    /// <summary>Shared factory for lon/lat geometries with floating precision and SRID 4326.</summary>
    public static GeometryFactory Wgs84 { get; } = new(new PrecisionModel(), Wgs84Srid);

    private const double MetresPerDegreeLat = 110_574.0;
    private const double MetresPerDegreeLonAtEquator = 111_320.0;

    /// <summary>Approximate area in m² of a lon/lat geometry (local equirectangular; fine for district-sized areas).</summary>
    public static double ApproxAreaSquareMetres(Geometry geometry)
    {
        if (geometry.IsEmpty) return 0;
        var lat = geometry.EnvelopeInternal.Centre.Y;
        return geometry.Area * MetresPerDegreeLat * MetresPerDegreeLonAtEquator * Math.Cos(lat * Math.PI / 180);
    }

    /// <summary>Offsets in metres east/north of <paramref name="origin"/> to lon/lat (equirectangular).</summary>
    public static Coordinate Offset(GeoPoint origin, double eastMetres, double northMetres) => new(
        origin.Lon + eastMetres / (MetresPerDegreeLonAtEquator * Math.Cos(origin.Lat * Math.PI / 180)),
        origin.Lat + northMetres / MetresPerDegreeLat);
}
