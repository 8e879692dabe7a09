using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference.Formats;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace CityLoop.Domain.Tests.Geo;

public class SyntheticGridTests
{
    internal static readonly DivisionCatalog Catalog = DivisionCsv.LoadDemo();
    internal static readonly SyntheticGridSet Demo = SyntheticGridGenerator.Generate(Catalog, "451202");

    [Fact]
    public void Every_community_gets_a_block_of_valid_codes()
    {
        Assert.Equal(145, Demo.Communities.Count);
        Assert.Equal(12, Demo.Streets.Count);
        Assert.All(Demo.Grids, g =>
        {
            Assert.True(GridCode.IsValid(g.Code), g.Code);
            Assert.Equal(g.CommunityCode, GridCode.CommunityCode(g.Code));
            Assert.Equal(DivisionLevel.Community, Catalog.Find(g.CommunityCode)!.Level);
            Assert.Equal(GeoFactory.Wgs84Srid, g.Polygon.SRID);
        });
        Assert.Equal(Demo.Grids.Count, Demo.Grids.Select(g => g.Code).Distinct().Count());
        Assert.All(Demo.Grids.GroupBy(g => g.CommunityCode), g => Assert.InRange(g.Count(), 20, 60));
        Assert.Contains(Demo.Grids, g => g.Name == "永兴村001号网格");
    }

    [Fact]
    public void Cells_are_about_one_hectare_around_the_centre()
    {
        var areas = Demo.Grids.Select(g => GeoFactory.ApproxAreaSquareMetres(g.Polygon)).ToList();
        Assert.InRange(areas.Average(), 9_500, 10_500);
        Assert.All(areas, a => Assert.InRange(a, 5_000, 16_000)); // vertex jitter 0.15 moves corners up to 15 m
        var centre = Demo.District!.Geometry.EnvelopeInternal.Centre;
        Assert.InRange(centre.Y, 24.68, 24.70);
        Assert.InRange(centre.X, 108.05, 108.07);
    }

    [Fact]
    public void Generation_is_deterministic_per_seed()
    {
        var again = SyntheticGridGenerator.Generate(Catalog, "451202", new SyntheticGridOptions { IncludeAreas = false });
        Assert.Equal(Demo.Grids.Select(g => g.Code), again.Grids.Select(g => g.Code));
        Assert.True(Demo.Grids.Zip(again.Grids).All(p => p.First.Polygon.EqualsExact(p.Second.Polygon)));

        var other = SyntheticGridGenerator.Generate(Catalog, "451202", new SyntheticGridOptions { Seed = 7, IncludeAreas = false });
        Assert.NotEqual(Demo.Grids.Select(g => g.Code), other.Grids.Select(g => g.Code));
    }

    [Fact]
    public void Cells_tile_without_overlap_and_areas_are_contiguous()
    {
        var sum = Demo.Grids.Sum(g => g.Polygon.Area);
        var union = CascadedPolygonUnion.Union(Demo.Grids.Select(g => (Geometry)g.Polygon).ToList());
        Assert.Equal(sum, union.Area, sum * 1e-9);
        Assert.Equal(sum, Demo.District!.Geometry.Area, sum * 1e-9);
        // One piece each: a community or street is a run of consecutive, edge-sharing Hilbert cells.
        Assert.All(Demo.Communities, c => Assert.IsType<Polygon>(c.Geometry));
        Assert.All(Demo.Streets, s => Assert.IsType<Polygon>(s.Geometry));
        Assert.All(Demo.Grids, g => Assert.True(g.Polygon.IsValid));
    }

    [Fact]
    public void Total_cells_and_cell_size_are_configurable()
    {
        var set = SyntheticGridGenerator.Generate(Catalog, "451202",
            new SyntheticGridOptions { TotalCells = 1000, CellSizeMetres = 50, VertexJitter = 0, IncludeAreas = false });
        Assert.Equal(1000, set.Grids.Count);
        Assert.All(set.Grids, g => Assert.InRange(GeoFactory.ApproxAreaSquareMetres(g.Polygon), 2_490, 2_510));
        Assert.Equal(145, set.Grids.Select(g => g.CommunityCode).Distinct().Count());
    }

    [Fact]
    public void Hilbert_steps_are_edge_neighbours()
    {
        for (var k = 1; k < 64 * 64; k++)
        {
            var (x0, y0) = SyntheticGridGenerator.HilbertPoint(64, k - 1);
            var (x1, y1) = SyntheticGridGenerator.HilbertPoint(64, k);
            Assert.Equal(1, Math.Abs(x1 - x0) + Math.Abs(y1 - y0));
        }
    }
}
