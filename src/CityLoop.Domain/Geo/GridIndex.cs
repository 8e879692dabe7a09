using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace CityLoop.Domain.Geo;

/// <summary>A located point: the grid containing it and the area chain community → street → district → city → province.</summary>
public sealed record GridLocation(UnitGrid Grid, IReadOnlyList<AdminDivision> AreaChain);

/// <summary>
/// Point-in-grid geocoder. A uniform bucket grid over the extent lists the polygons whose envelope touches each
/// bucket; a lookup scans one bucket and runs a point-in-polygon test on the few candidates. Unit grids have
/// similar sizes, which is the case where buckets beat an R-tree. Immutable and safe for concurrent lookups.
/// </summary>
public sealed class GridIndex
{
    private readonly UnitGrid[] _grids;
    private readonly IPointOnGeometryLocator[] _locators;
    private readonly double[] _envelopes; // minX, minY, maxX, maxY per grid, for a cheap rejection before the locator
    private readonly Dictionary<string, UnitGrid> _byCode = new(StringComparer.Ordinal);
    private readonly DivisionCatalog? _catalog;

    private readonly double _minX, _minY, _bucketsPerX, _bucketsPerY;
    private readonly int _columns, _rows;
    private readonly int[] _bucketStart; // CSR layout: bucket b holds _bucketItems[_bucketStart[b] .. _bucketStart[b + 1])
    private readonly int[] _bucketItems;

    public GridIndex(IEnumerable<UnitGrid> grids, DivisionCatalog? catalog = null)
    {
        _grids = grids.ToArray();
        _catalog = catalog;
        _locators = new IPointOnGeometryLocator[_grids.Length];
        _envelopes = new double[_grids.Length * 4];
        var extent = new Envelope();
        double sumWidth = 0, sumHeight = 0;
        for (var i = 0; i < _grids.Length; i++)
        {
            var grid = _grids[i];
            if (!_byCode.TryAdd(grid.Code, grid)) throw new ArgumentException($"duplicate grid code {grid.Code}", nameof(grids));
            _locators[i] = CreateLocator(grid.Polygon);
            var e = grid.Polygon.EnvelopeInternal;
            (_envelopes[4 * i], _envelopes[4 * i + 1], _envelopes[4 * i + 2], _envelopes[4 * i + 3]) = (e.MinX, e.MinY, e.MaxX, e.MaxY);
            extent.ExpandToInclude(e);
            sumWidth += e.Width;
            sumHeight += e.Height;
        }

        if (_grids.Length == 0)
        {
            (_columns, _rows, _bucketStart, _bucketItems) = (0, 0, [0], []);
            return;
        }
        // Buckets about the size of an average grid, capped at ~4 per grid so a few huge polygons cannot blow up memory.
        var maxBuckets = 4.0 * _grids.Length + 16;
        var bucketWidth = Math.Max(sumWidth / _grids.Length, extent.Width / maxBuckets);
        var bucketHeight = Math.Max(sumHeight / _grids.Length, extent.Height / maxBuckets);
        _columns = Math.Max(1, (int)Math.Ceiling(extent.Width / Math.Max(bucketWidth, 1e-12)));
        _rows = Math.Max(1, (int)Math.Ceiling(extent.Height / Math.Max(bucketHeight, 1e-12)));
        while ((double)_columns * _rows > maxBuckets)
        {
            _columns = Math.Max(1, _columns / 2 + 1);
            _rows = Math.Max(1, _rows / 2 + 1);
        }
        (_minX, _minY) = (extent.MinX, extent.MinY);
        _bucketsPerX = _columns / Math.Max(extent.Width, 1e-12);
        _bucketsPerY = _rows / Math.Max(extent.Height, 1e-12);

        // Two passes (count, then fill) give one flat array instead of thousands of small lists.
        var counts = new int[_columns * _rows + 1];
        ForEachBucket((_, b) => counts[b + 1]++);
        for (var b = 1; b < counts.Length; b++) counts[b] += counts[b - 1];
        _bucketStart = counts;
        _bucketItems = new int[counts[^1]];
        var fill = (int[])counts.Clone();
        ForEachBucket((i, b) => _bucketItems[fill[b]++] = i);
    }

    public int Count => _grids.Length;

    public IReadOnlyList<UnitGrid> Grids => _grids;

    public UnitGrid? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>
    /// The grid containing the point, or null outside every grid (callers flag such reports rather than reject them).
    /// A point on a shared edge goes to the grid with the smaller code, so answers are stable.
    /// </summary>
    public UnitGrid? Locate(double lat, double lon)
    {
        if (_grids.Length == 0 || !double.IsFinite(lat) || !double.IsFinite(lon)) return null;
        var column = (int)Math.Floor((lon - _minX) * _bucketsPerX);
        var row = (int)Math.Floor((lat - _minY) * _bucketsPerY);
        // The extent's max edge maps to index == count; clamp it back into the last bucket.
        if (column == _columns) column--;
        if (row == _rows) row--;
        if ((uint)column >= (uint)_columns || (uint)row >= (uint)_rows) return null;

        var bucket = row * _columns + column;
        Coordinate? point = null;
        var best = -1;
        for (var k = _bucketStart[bucket]; k < _bucketStart[bucket + 1]; k++)
        {
            var i = _bucketItems[k];
            var e = 4 * i;
            if (lon < _envelopes[e] || lat < _envelopes[e + 1] || lon > _envelopes[e + 2] || lat > _envelopes[e + 3]) continue;
            point ??= new Coordinate(lon, lat);
            switch (_locators[i].Locate(point))
            {
                case Location.Interior:
                    return _grids[i];
                case Location.Boundary when best < 0 || string.CompareOrdinal(_grids[i].Code, _grids[best].Code) < 0:
                    best = i;
                    break;
            }
        }
        return best < 0 ? null : _grids[best];
    }

    public UnitGrid? Locate(GeoPoint point) => Locate(point.Lat, point.Lon);

    /// <summary>Locate plus the area chain; null outside every grid.</summary>
    public GridLocation? Resolve(double lat, double lon) =>
        Locate(lat, lon) is { } grid ? new GridLocation(grid, AreaChain(grid)) : null;

    /// <summary>community → street → district → city → province; empty without a catalog or for unknown communities.</summary>
    public IReadOnlyList<AdminDivision> AreaChain(UnitGrid grid) => _catalog?.Chain(grid.CommunityCode) ?? [];

    private void ForEachBucket(Action<int, int> action)
    {
        for (var i = 0; i < _grids.Length; i++)
        {
            var e = 4 * i;
            var c0 = Math.Clamp((int)Math.Floor((_envelopes[e] - _minX) * _bucketsPerX), 0, _columns - 1);
            var r0 = Math.Clamp((int)Math.Floor((_envelopes[e + 1] - _minY) * _bucketsPerY), 0, _rows - 1);
            var c1 = Math.Clamp((int)Math.Floor((_envelopes[e + 2] - _minX) * _bucketsPerX), 0, _columns - 1);
            var r1 = Math.Clamp((int)Math.Floor((_envelopes[e + 3] - _minY) * _bucketsPerY), 0, _rows - 1);
            for (var r = r0; r <= r1; r++)
                for (var c = c0; c <= c1; c++)
                    action(i, r * _columns + c);
        }
    }

    /// <summary>
    /// Small polygons (a unit grid is usually a handful of vertices) are fastest with a plain ray-crossing test;
    /// traced real-world outlines with many vertices get an edge-indexed (prepared) locator.
    /// </summary>
    private static IPointOnGeometryLocator CreateLocator(Polygon polygon)
    {
        if (polygon.NumPoints <= 32) return new SimplePointInAreaLocator(polygon);
        var locator = new IndexedPointInAreaLocator(polygon);
        // The edge index is built lazily; build it now so concurrent readers never race on it.
        locator.Locate(polygon.ExteriorRing.CoordinateSequence.GetCoordinate(0));
        return locator;
    }
}
