namespace CityLoop.Domain.Geo;

/// <summary>An immutable set of divisions with parent/child navigation.</summary>
public sealed class DivisionCatalog
{
    private readonly Dictionary<string, AdminDivision> _byCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<AdminDivision>> _children = new(StringComparer.Ordinal);
    private readonly List<AdminDivision> _all = [];

    public DivisionCatalog(IEnumerable<AdminDivision> divisions)
    {
        foreach (var d in divisions)
        {
            if (!_byCode.TryAdd(d.Code, d))
                throw new ArgumentException($"duplicate division code {d.Code}", nameof(divisions));
            _all.Add(d);
            if (d.ParentCode is { } parent)
            {
                if (!_children.TryGetValue(parent, out var list)) _children[parent] = list = [];
                list.Add(d);
            }
        }
    }

    public IReadOnlyList<AdminDivision> All => _all;

    public int Count => _all.Count;

    public AdminDivision? Find(string code) => _byCode.GetValueOrDefault(code);

    public IReadOnlyList<AdminDivision> ChildrenOf(string code) =>
        _children.TryGetValue(code, out var list) ? list : [];

    public IEnumerable<AdminDivision> OfLevel(DivisionLevel level) => _all.Where(d => d.Level == level);

    /// <summary>The division and its ancestors, nearest first: community → street → district → city → province.</summary>
    public IReadOnlyList<AdminDivision> Chain(string code)
    {
        var chain = new List<AdminDivision>(5);
        for (var d = Find(code); d is not null; d = d.ParentCode is null ? null : Find(d.ParentCode))
        {
            chain.Add(d);
            if (chain.Count > 8) break; // defensive: a malformed file could contain a parent cycle
        }
        return chain;
    }
}
