using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index;
using NetTopologySuite.Index.Strtree;

namespace CityLoop.Domain.Geo;

/// <summary>A located point: the grid containing it and the area chain community → street → district → city → province.</summary>
public sealed record GridLocation(UnitGrid Grid, IReadOnlyList<AdminDivision> AreaChain);

/// <summary>
/// Point-in-grid geocoder: an STR-tree over grid envelopes, then an indexed point-in-polygon test on the few
/// candidates. Immutable after construction and safe for concurrent lookups.
/// </summary>
public sealed class GridIndex
{
    private readonly UnitGrid[] _grids;
    private readonly IndexedPointInAreaLocator[] _locators;
    private readonly STRtree<int> _tree;
    private readonly Dictionary<string, UnitGrid> _byCode = new(StringComparer.Ordinal);
    private readonly DivisionCatalog? _catalog;

    public GridIndex(IEnumerable<UnitGrid> grids, DivisionCatalog? catalog = null)
    {
        _grids = grids.ToArray();
        _catalog = catalog;
        _locators = new IndexedPointInAreaLocator[_grids.Length];
        _tree = new STRtree<int>(Math.Max(2, Math.Min(10, _grids.Length)));
        for (var i = 0; i < _grids.Length; i++)
        {
            var grid = _grids[i];
            if (!_byCode.TryAdd(grid.Code, grid)) throw new ArgumentException($"duplicate grid code {grid.Code}", nameof(grids));
            _locators[i] = new IndexedPointInAreaLocator(grid.Polygon);
            // The locator builds its edge index lazily; force it now so concurrent readers never race on it.
            _locators[i].Locate(grid.Polygon.ExteriorRing.CoordinateSequence.GetCoordinate(0));
            _tree.Insert(grid.Polygon.EnvelopeInternal, i);
        }
        _tree.Build();
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
        if (_grids.Length == 0 || double.IsNaN(lat) || double.IsNaN(lon)) return null;
        var visitor = new LocateVisitor(this, new Coordinate(lon, lat));
        _tree.Query(new Envelope(lon, lon, lat, lat), visitor);
        return visitor.Best < 0 ? null : _grids[visitor.Best];
    }

    public UnitGrid? Locate(GeoPoint point) => Locate(point.Lat, point.Lon);

    /// <summary>Locate plus the area chain; null outside every grid.</summary>
    public GridLocation? Resolve(double lat, double lon) =>
        Locate(lat, lon) is { } grid ? new GridLocation(grid, AreaChain(grid)) : null;

    /// <summary>community → street → district → city → province; empty without a catalog or for unknown communities.</summary>
    public IReadOnlyList<AdminDivision> AreaChain(UnitGrid grid) => _catalog?.Chain(grid.CommunityCode) ?? [];

    private sealed class LocateVisitor(GridIndex index, Coordinate point) : IItemVisitor<int>
    {
        private bool _inside;

        public int Best { get; private set; } = -1;

        public void VisitItem(int item)
        {
            if (_inside) return;
            switch (index._locators[item].Locate(point))
            {
                case Location.Interior:
                    Best = item;
                    _inside = true;
                    break;
                case Location.Boundary when Best < 0 || string.CompareOrdinal(index._grids[item].Code, index._grids[Best].Code) < 0:
                    Best = item;
                    break;
            }
        }
    }
}
