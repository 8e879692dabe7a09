using CityLoop.Domain.Geo;
using CsCheck;
using NetTopologySuite.Geometries;

namespace CityLoop.Domain.Tests.Geo;

public class GridIndexTests
{
    private static readonly GridIndex Index = new(SyntheticGridTests.Demo.Grids, SyntheticGridTests.Catalog);

    [Fact]
    public void Locates_the_grid_of_each_cell_centre()
    {
        Assert.All(SyntheticGridTests.Demo.Grids, grid =>
        {
            var p = grid.Polygon.InteriorPoint.Coordinate;
            Assert.Equal(grid.Code, Index.Locate(p.Y, p.X)?.Code);
        });
    }

    [Fact]
    public void Points_near_cell_corners_fall_in_exactly_the_containing_cell()
    {
        var envelope = SyntheticGridTests.Demo.District!.Geometry.EnvelopeInternal;
        Gen.Select(Gen.Double[envelope.MinX, envelope.MaxX], Gen.Double[envelope.MinY, envelope.MaxY]).Sample((lon, lat) =>
        {
            var located = Index.Locate(lat, lon);
            var point = GeoFactory.Wgs84.CreatePoint(new Coordinate(lon, lat));
            var expected = SyntheticGridTests.Demo.Grids.Where(g => g.Polygon.Covers(point)).Select(g => g.Code).Order(StringComparer.Ordinal).FirstOrDefault();
            Assert.Equal(expected, located?.Code);
        }, iter: 2_000);
    }

    [Fact]
    public void Far_away_points_are_not_located()
    {
        Assert.Null(Index.Locate(39.9, 116.4));
        Assert.Null(Index.Resolve(0, 0));
        Assert.Null(new GridIndex([]).Locate(24.69, 108.06));
    }

    [Fact]
    public void Resolve_returns_the_area_chain()
    {
        var grid = SyntheticGridTests.Demo.Grids.First(g => g.CommunityCode == "451202101201");
        var p = grid.Polygon.InteriorPoint.Coordinate;

        var location = Index.Resolve(p.Y, p.X);

        Assert.NotNull(location);
        Assert.Equal(grid.Code, location.Grid.Code);
        Assert.Equal(["永兴村民委员会", "东江镇", "金城江区", "河池市", "广西壮族自治区"], location.AreaChain.Select(d => d.Name));
        Assert.Same(grid, Index.Find(grid.Code));
    }
}

public class GridIndexShapeTests
{
    [Fact]
    public void Detailed_polygons_and_holes_are_handled()
    {
        // A 129-vertex ring takes the indexed (prepared) locator path; the donut has a hole with its own grid inside.
        var f = GeoFactory.Wgs84;
        var centre = new Coordinate(108.06, 24.69);
        var outer = (Polygon)f.CreatePoint(centre).Buffer(0.01, 32);
        var inner = (Polygon)f.CreatePoint(centre).Buffer(0.004, 32);
        var donut = f.CreatePolygon((LinearRing)outer.ExteriorRing, [(LinearRing)inner.ExteriorRing]);
        var index = new GridIndex([
            new UnitGrid("451202001001001", "451202001001", "外环", donut),
            new UnitGrid("451202001001002", "451202001001", "内圆", inner),
        ]);

        Assert.Equal("451202001001002", index.Locate(24.69, 108.06)?.Code);
        Assert.Equal("451202001001001", index.Locate(24.69, 108.067)?.Code);
        Assert.Null(index.Locate(24.69, 108.0715));
    }

    [Fact]
    public void Concurrent_lookups_agree_with_sequential_ones()
    {
        var grids = SyntheticGridTests.Demo.Grids;
        var index = new GridIndex(grids);
        var results = new string?[grids.Count];
        Parallel.For(0, grids.Count, i =>
        {
            var p = grids[i].Polygon.InteriorPoint.Coordinate;
            results[i] = index.Locate(p.Y, p.X)?.Code;
        });
        Assert.Equal(grids.Select(g => g.Code), results);
    }
}
