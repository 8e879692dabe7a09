using CityLoop.Domain.Cases;
namespace CityLoop.Domain.Catalogue;

/// <summary>
/// An immutable snapshot of the category catalogue. Cases store <see cref="Version"/> (and the condition code)
/// so that they keep the time limit and closing standard they were filed under after the catalogue changes.
/// </summary>
public sealed class CatalogueVersion
{
    private readonly Dictionary<string, Category> _byKey;
    private readonly Dictionary<string, FilingCondition> _conditions;

    public CatalogueVersion(
        int version,
        DateTimeOffset effectiveFrom,
        IEnumerable<Category> categories,
        IEnumerable<HotlineTimeLimit>? hotlineTimeLimits = null,
        string? note = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        Version = version;
        EffectiveFrom = effectiveFrom;
        Note = note;
        Categories = categories.ToList();
        HotlineTimeLimits = (hotlineTimeLimits ?? []).ToList();
        _byKey = new Dictionary<string, Category>(StringComparer.Ordinal);
        _conditions = new Dictionary<string, FilingCondition>(StringComparer.Ordinal);
        foreach (var c in Categories)
        {
            if (!_byKey.TryAdd(c.Key, c))
                throw new ArgumentException($"duplicate category key {c.Key}", nameof(categories));
            foreach (var f in c.Conditions)
                if (!_conditions.TryAdd(f.Code, f))
                    throw new ArgumentException($"duplicate filing condition code {f.Code}", nameof(categories));
        }
    }

    public int Version { get; }
    public DateTimeOffset EffectiveFrom { get; }
    public string? Note { get; }
    public IReadOnlyList<Category> Categories { get; }
    public IReadOnlyList<HotlineTimeLimit> HotlineTimeLimits { get; }

    public IEnumerable<Category> Leaves => Categories.Where(c => c.IsLeaf);

    public Category? Find(string key) => _byKey.GetValueOrDefault(key);

    public Category? Find(CategoryKind kind, string code) => Find(CategoryKey.Of(kind, code));

    public FilingCondition? FindCondition(string conditionCode) => _conditions.GetValueOrDefault(conditionCode);

    public IEnumerable<Category> Children(string parentKey) => Categories.Where(c => c.ParentKey == parentKey);

    public HotlineTimeLimit? TimeLimitFor(RequestType type) =>
        HotlineTimeLimits.FirstOrDefault(t => t.RequestType == type);
}
