using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.OverlayNG;

namespace CityLoop.Domain.Geo;

public sealed record SyntheticGridOptions
{
    /// <summary>Centre of the generated tiling; default is 金城江区 (24.69 N, 108.06 E).</summary>
    public GeoPoint Centre { get; init; } = new(24.69, 108.06);

    /// <summary>Edge of a cell in metres; 100 m gives the standard ≈ 10,000 m² unit grid.</summary>
    public double CellSizeMetres { get; init; } = 100;

    public int Seed { get; init; } = 451202;

    /// <summary>When set, exactly this many cells are spread over the communities; otherwise each gets Min..Max.</summary>
    public int? TotalCells { get; init; }

    public int MinCellsPerCommunity { get; init; } = 20;

    public int MaxCellsPerCommunity { get; init; } = 60;

    /// <summary>Random displacement of shared lattice vertices, as a fraction of the cell size (0 .. 0.25).</summary>
    public double VertexJitter { get; init; } = 0.15;

    public int GridCodeLength { get; init; } = GridCode.DefaultLength;

    /// <summary>Compute community/street/district outlines (a polygon union; skip it when only grids are needed).</summary>
    public bool IncludeAreas { get; init; } = true;
}

/// <summary>Fake unit grids for a district, with their community, street and district outlines.</summary>
public sealed record SyntheticGridSet(
    IReadOnlyList<UnitGrid> Grids,
    IReadOnlyList<DivisionArea> Communities,
    IReadOnlyList<DivisionArea> Streets,
    DivisionArea? District);

/// <summary>
/// Tiles a district with square-ish cells. Cells are laid along a Hilbert curve, and each community takes a run of
/// consecutive cells (communities ordered by street): consecutive Hilbert cells share an edge, so every community and
/// every street is contiguous, and Hilbert runs stay compact rather than thin strips.
/// </summary>
public static class SyntheticGridGenerator
{
    public static SyntheticGridSet Generate(DivisionCatalog catalog, string districtCode, SyntheticGridOptions? options = null)
    {
        options ??= new SyntheticGridOptions();
        if (options.CellSizeMetres <= 0) throw new ArgumentOutOfRangeException(nameof(options), "cell size must be positive");
        var district = catalog.Find(districtCode) ?? throw new ArgumentException($"district {districtCode} not in catalog", nameof(districtCode));

        var communities = catalog.ChildrenOf(district.Code)
            .Where(s => s.Level == DivisionLevel.Street).OrderBy(s => s.Code, StringComparer.Ordinal)
            .SelectMany(s => catalog.ChildrenOf(s.Code).Where(c => c.Level == DivisionLevel.Community).OrderBy(c => c.Code, StringComparer.Ordinal))
            .ToList();
        if (communities.Count == 0) throw new ArgumentException($"district {districtCode} has no communities", nameof(districtCode));

        var random = new Random(options.Seed); // seeded System.Random is stable across runs and platforms
        var counts = CellCounts(communities.Count, options, random);
        var maxSerial = GridCode.MaxSerial(options.GridCodeLength);
        if (counts.Max() > maxSerial)
            throw new ArgumentException($"a community would get {counts.Max()} cells; {options.GridCodeLength}-digit codes allow {maxSerial}");

        var total = counts.Sum();
        var side = 1;
        while ((long)side * side < total) side *= 2;
        var cells = new (int X, int Y)[total];
        int minX = int.MaxValue, minY = int.MaxValue, maxX = 0, maxY = 0;
        for (var k = 0; k < total; k++)
        {
            var (x, y) = HilbertPoint(side, k);
            cells[k] = (x, y);
            minX = Math.Min(minX, x); minY = Math.Min(minY, y);
            maxX = Math.Max(maxX, x); maxY = Math.Max(maxY, y);
        }

        var lattice = new Lattice(options, (minX + maxX + 1) / 2.0, (minY + maxY + 1) / 2.0);
        var grids = new List<UnitGrid>(total);
        var communityCells = new List<List<Polygon>>(communities.Count);
        var next = 0;
        for (var c = 0; c < communities.Count; c++)
        {
            var community = communities[c];
            var shortName = DivisionNames.Short(community.Name);
            var polygons = new List<Polygon>(counts[c]);
            for (var serial = 1; serial <= counts[c]; serial++)
            {
                var (x, y) = cells[next++];
                var polygon = lattice.Cell(x, y);
                var code = GridCode.Compose(community.Code, serial, options.GridCodeLength);
                grids.Add(new UnitGrid(code, community.Code, $"{shortName}{code[GridCode.CommunityCodeLength..]}号网格", polygon));
                polygons.Add(polygon);
            }
            communityCells.Add(polygons);
        }

        if (!options.IncludeAreas) return new SyntheticGridSet(grids, [], [], null);

        var communityAreas = communities
            .Select((community, i) => new DivisionArea(community.Code, community.Name, DivisionLevel.Community, Union(communityCells[i])))
            .ToList();
        var streetAreas = communityAreas
            .GroupBy(a => a.Code[..9])
            .Select(g => new DivisionArea(g.Key, catalog.Find(g.Key)!.Name, DivisionLevel.Street, Union(g.Select(a => a.Geometry))))
            .ToList();
        var districtArea = new DivisionArea(district.Code, district.Name, DivisionLevel.District, Union(streetAreas.Select(a => a.Geometry)));
        return new SyntheticGridSet(grids, communityAreas, streetAreas, districtArea);
    }

    private static int[] CellCounts(int communities, SyntheticGridOptions options, Random random)
    {
        var counts = new int[communities];
        if (options.TotalCells is { } total)
        {
            if (total < communities) throw new ArgumentException($"need at least one cell per community ({communities})");
            // Random weights in [0.5, 1.5) so communities differ in size; the rounding remainder goes round-robin.
            var weights = Enumerable.Range(0, communities).Select(_ => 0.5 + random.NextDouble()).ToArray();
            var sum = weights.Sum();
            var assigned = 0;
            for (var i = 0; i < communities; i++)
            {
                counts[i] = Math.Max(1, (int)(total * weights[i] / sum));
                assigned += counts[i];
            }
            for (var i = 0; assigned != total; i = (i + 1) % communities)
            {
                if (assigned < total) { counts[i]++; assigned++; }
                else if (counts[i] > 1) { counts[i]--; assigned--; }
            }
            return counts;
        }
        if (options.MinCellsPerCommunity < 1 || options.MaxCellsPerCommunity < options.MinCellsPerCommunity)
            throw new ArgumentException("need 1 <= MinCellsPerCommunity <= MaxCellsPerCommunity");
        for (var i = 0; i < communities; i++)
            counts[i] = random.Next(options.MinCellsPerCommunity, options.MaxCellsPerCommunity + 1);
        return counts;
    }

    private static Geometry Union(IEnumerable<Geometry> geometries)
    {
        // Cells share exact vertices and never overlap (a coverage), so the fast edge-cancelling coverage union applies.
        var polygons = geometries.SelectMany(g => Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN)).Cast<Polygon>().ToArray();
        var union = CoverageUnion.Union(GeoFactory.Wgs84.CreateMultiPolygon(polygons));
        union.SRID = GeoFactory.Wgs84Srid;
        return union;
    }

    /// <summary>Cell (x, y) of the k-th step on a Hilbert curve filling a side × side square (side a power of 2).</summary>
    public static (int X, int Y) HilbertPoint(int side, int k)
    {
        int x = 0, y = 0;
        for (var s = 1; s < side; s *= 2)
        {
            var rx = 1 & (k / 2);
            var ry = 1 & (k ^ rx);
            if (ry == 0)
            {
                if (rx == 1) { x = s - 1 - x; y = s - 1 - y; }
                (x, y) = (y, x);
            }
            x += s * rx;
            y += s * ry;
            k /= 4;
        }
        return (x, y);
    }

    /// <summary>Lattice vertices in lon/lat. Each vertex is computed from (i, j) alone, so neighbouring cells share exact coordinates.</summary>
    private sealed class Lattice(SyntheticGridOptions options, double centreX, double centreY)
    {
        private readonly double _jitter = Math.Clamp(options.VertexJitter, 0, 0.25) * options.CellSizeMetres;
        private readonly Dictionary<(int, int), Coordinate> _vertices = [];

        public Polygon Cell(int x, int y)
        {
            // Counter-clockwise exterior ring (east = +x, north = +y), as RFC 7946 recommends.
            var ring = new[] { Vertex(x, y), Vertex(x + 1, y), Vertex(x + 1, y + 1), Vertex(x, y + 1), Vertex(x, y) };
            return GeoFactory.Wgs84.CreatePolygon(ring.Select(c => c.Copy()).ToArray());
        }

        private Coordinate Vertex(int i, int j)
        {
            if (_vertices.TryGetValue((i, j), out var c)) return c;
            var east = (i - centreX) * options.CellSizeMetres + _jitter * Noise(i, j, 0);
            var north = (j - centreY) * options.CellSizeMetres + _jitter * Noise(i, j, 1);
            c = GeoFactory.Offset(options.Centre, east, north);
            _vertices[(i, j)] = c;
            return c;
        }

        /// <summary>Deterministic noise in [-1, 1) from SplitMix64; HashCode is randomised per process, so not usable here.</summary>
        private double Noise(int i, int j, int axis)
        {
            var z = (ulong)options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)i << 32 ^ (uint)j ^ (ulong)axis << 62;
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (2.0 / (1UL << 53)) - 1.0;
        }
    }
}
