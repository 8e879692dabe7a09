using System.Globalization;
using System.Text;
using NetTopologySuite.Geometries;

namespace CityLoop.Domain.Geo;

public enum GazetteerKind
{
    Province,
    City,
    District,
    Street,
    Community,
    Grid,
    Place,
}

/// <summary>A named location. <see cref="ParentCode"/> links it into the division tree (for context scoring).</summary>
public sealed record GazetteerEntry(
    string Id,
    string Name,
    GazetteerKind Kind,
    GeoPoint? Location,
    IReadOnlyList<string> Aliases,
    string? Code,
    string? ParentCode);

/// <summary>A ranked match: score in [0, 1] and the entry name or alias that matched.</summary>
public sealed record GazetteerCandidate(GazetteerEntry Entry, double Score, string MatchedName);

/// <summary>
/// Address text → candidate locations. Matches names of divisions, grids and run-time places against normalised
/// text by containment, longest common substring and character-bigram overlap, then rewards entries whose parent
/// divisions are also named elsewhere in the text ("东江镇…永兴村" prefers the 永兴村 under 东江镇).
/// Thread-safe: places may be added while searches run.
/// </summary>
public sealed class Gazetteer
{
    private const double NameWeight = 0.7, ContextWeight = 0.2, SpecificityWeight = 0.1;
    private const int MaxScored = 400;

    private sealed record Variant(string Text, string Display, double Weight);

    private sealed record Indexed(GazetteerEntry Entry, Variant[] Variants, string[][] Ancestors);

    private readonly DivisionCatalog? _catalog;
    private readonly List<Indexed> _entries = [];
    private readonly Dictionary<string, List<int>> _bigrams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _ancestorNames = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim _lock = new();
    private int _placeCounter;

    public Gazetteer(DivisionCatalog? catalog = null) => _catalog = catalog;

    /// <summary>Streets and communities of the catalog (plus districts), located at a point inside their area when one is given.</summary>
    public static Gazetteer Build(DivisionCatalog catalog, IEnumerable<DivisionArea>? areas = null, IEnumerable<UnitGrid>? grids = null)
    {
        var gazetteer = new Gazetteer(catalog);
        gazetteer.AddDivisions(catalog.All.Where(d => d.Level >= DivisionLevel.District), areas);
        if (grids is not null) gazetteer.AddGrids(grids);
        return gazetteer;
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _entries.Count; } finally { _lock.ExitReadLock(); }
        }
    }

    public void AddDivisions(IEnumerable<AdminDivision> divisions, IEnumerable<DivisionArea>? areas = null)
    {
        var points = (areas ?? []).ToDictionary(a => a.Code, a => InsidePoint(a.Geometry), StringComparer.Ordinal);
        foreach (var d in divisions)
        {
            var aliases = DivisionNames.Variants(d.Name).Skip(1).ToList();
            Add(new GazetteerEntry(d.Code, d.Name, (GazetteerKind)(int)d.Level, points.TryGetValue(d.Code, out var p) ? p : null,
                aliases, d.Code, d.ParentCode), coreWeightFrom: DivisionNames.Core(d.Name));
        }
    }

    public void AddGrids(IEnumerable<UnitGrid> grids)
    {
        foreach (var g in grids)
            Add(new GazetteerEntry(g.Code, g.Name, GazetteerKind.Grid, InsidePoint(g.Polygon), [g.Code], g.Code, g.CommunityCode), null);
    }

    /// <summary>Adds a named place (POI, building, road section…) at run time.</summary>
    public GazetteerEntry AddPlace(string name, GeoPoint location, IEnumerable<string>? aliases = null, string? parentCode = null, string? id = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("place name is empty", nameof(name));
        id ??= "place:" + Interlocked.Increment(ref _placeCounter).ToString(CultureInfo.InvariantCulture);
        var entry = new GazetteerEntry(id, name, GazetteerKind.Place, location, (aliases ?? []).ToList(), null, parentCode);
        Add(entry, null);
        return entry;
    }

    /// <summary>Top <paramref name="top"/> candidates for an address, best first; empty when nothing shares two characters.</summary>
    public IReadOnlyList<GazetteerCandidate> Search(string text, int top = 5)
    {
        var query = Normalise(text);
        if (query.Length < 2 || top <= 0) return [];
        _lock.EnterReadLock();
        try
        {
            // Shared bigrams per entry, each weighted by rarity: generic ones ("网格", digits) touch every grid, so
            // only the entries sharing the most distinctive bigrams get the full (LCS) scoring.
            var shared = new Dictionary<int, double>();
            foreach (var bigram in Bigrams(query).Distinct())
            {
                if (!_bigrams.TryGetValue(bigram, out var list)) continue;
                var weight = 1.0 / list.Count;
                foreach (var index in list) shared[index] = shared.GetValueOrDefault(index) + weight;
            }
            var candidates = shared.Count <= MaxScored
                ? shared.Keys
                : shared.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(MaxScored).Select(p => p.Key);
            var results = new List<(GazetteerCandidate Candidate, double Specificity)>();
            foreach (var index in candidates)
            {
                var indexed = _entries[index];
                var (nameScore, matched, span) = ScoreName(query, indexed.Variants);
                if (nameScore <= 0) continue;
                var context = ScoreContext(query, span, indexed.Ancestors);
                var specificity = Specificity(indexed.Entry.Kind);
                var score = NameWeight * nameScore + ContextWeight * context + SpecificityWeight * specificity;
                results.Add((new GazetteerCandidate(indexed.Entry, Math.Round(score, 4), matched), specificity));
            }
            return results
                .OrderByDescending(r => r.Candidate.Score)
                .ThenByDescending(r => r.Specificity)
                .ThenByDescending(r => r.Candidate.MatchedName.Length)
                .ThenBy(r => r.Candidate.Entry.Id, StringComparer.Ordinal)
                .Take(top)
                .Select(r => r.Candidate)
                .ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>NFKC (full-width → half-width), lower case, without whitespace and punctuation.</summary>
    public static string Normalise(string text)
    {
        var normalised = text.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(normalised.Length);
        foreach (var c in normalised)
        {
            if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsControl(c)) continue;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private void Add(GazetteerEntry entry, string? coreWeightFrom)
    {
        var variants = new List<Variant>();
        foreach (var name in entry.Aliases.Prepend(entry.Name))
        {
            var text = Normalise(name);
            if (text.Length < 2 || variants.Any(v => v.Text == text)) continue;
            // A core name ("东江" for 东江镇) is a weaker signal than the full or short name.
            variants.Add(new Variant(text, name, name == coreWeightFrom ? 0.85 : 1.0));
        }
        if (variants.Count == 0) return;

        _lock.EnterWriteLock();
        try
        {
            var ancestors = AncestorNames(entry);
            var index = _entries.Count;
            _entries.Add(new Indexed(entry, [.. variants], ancestors));
            foreach (var bigram in variants.SelectMany(v => Bigrams(v.Text)).Distinct())
            {
                if (!_bigrams.TryGetValue(bigram, out var list)) _bigrams[bigram] = list = [];
                list.Add(index);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Normalised name variants of each ancestor division (parent first). Caller holds the write lock.</summary>
    private string[][] AncestorNames(GazetteerEntry entry)
    {
        if (_catalog is null || entry.ParentCode is null) return [];
        return _catalog.Chain(entry.ParentCode).Select(d =>
        {
            if (!_ancestorNames.TryGetValue(d.Code, out var names))
            {
                names = DivisionNames.Variants(d.Name).Select(Normalise).Where(n => n.Length >= 2).Distinct().ToArray();
                _ancestorNames[d.Code] = names;
            }
            return names;
        }).ToArray();
    }

    private static (double Score, string Matched, (int Start, int End) Span) ScoreName(string query, Variant[] variants)
    {
        double best = 0;
        var matched = "";
        (int, int) bestSpan = (0, 0);
        foreach (var v in variants)
        {
            double score;
            (int, int) span;
            var at = query.IndexOf(v.Text, StringComparison.Ordinal);
            if (at >= 0)
            {
                score = 1.0;
                span = (at, at + v.Text.Length);
            }
            else
            {
                var (length, end) = LongestCommonSubstring(query, v.Text);
                if (length < 2) continue;
                score = 0.8 * Math.Max((double)length / v.Text.Length, BigramCoverage(query, v.Text));
                span = (end - length, end);
            }
            // Two-character matches are often accidental; full weight from five characters on.
            score *= v.Weight * Math.Min(1.0, 0.75 + 0.05 * v.Text.Length);
            if (score > best)
            {
                best = score;
                matched = v.Display;
                bestSpan = span;
            }
        }
        return (best, matched, bestSpan);
    }

    /// <summary>0.5 per ancestor named in the text outside the entry's own match (so "东江" is not counted twice), capped at 1.</summary>
    private static double ScoreContext(string query, (int Start, int End) own, string[][] ancestors)
    {
        var hits = 0;
        foreach (var names in ancestors)
        {
            foreach (var name in names)
            {
                var found = false;
                for (var at = query.IndexOf(name, StringComparison.Ordinal); at >= 0; at = query.IndexOf(name, at + 1, StringComparison.Ordinal))
                {
                    if (at + name.Length <= own.Start || at >= own.End) { found = true; break; }
                }
                if (found) { hits++; break; }
            }
        }
        return Math.Min(1.0, 0.5 * hits);
    }

    private static double Specificity(GazetteerKind kind) => kind switch
    {
        GazetteerKind.Province => 0,
        GazetteerKind.City => 0.2,
        GazetteerKind.District => 0.4,
        GazetteerKind.Street => 0.6,
        GazetteerKind.Community => 0.8,
        GazetteerKind.Grid => 0.9,
        _ => 1.0,
    };

    /// <summary>Length of the longest common substring and its end index in <paramref name="a"/>.</summary>
    internal static (int Length, int EndInA) LongestCommonSubstring(string a, string b)
    {
        Span<int> previous = b.Length < 128 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        Span<int> current = b.Length < 128 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        int best = 0, end = 0;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : 0;
                if (current[j] > best) { best = current[j]; end = i; }
            }
            var swap = previous;
            previous = current;
            current = swap;
        }
        return (best, end);
    }

    /// <summary>Share of the name's bigrams that occur in the query (catches names split by other text).</summary>
    private static double BigramCoverage(string query, string name)
    {
        var bigrams = Bigrams(name).Distinct().ToList();
        return bigrams.Count == 0 ? 0 : (double)bigrams.Count(b => query.Contains(b, StringComparison.Ordinal)) / bigrams.Count;
    }

    private static IEnumerable<string> Bigrams(string text)
    {
        for (var i = 0; i + 1 < text.Length; i++) yield return text.Substring(i, 2);
    }

    private static GeoPoint? InsidePoint(Geometry geometry) =>
        geometry.IsEmpty ? null : GeoPoint.From(geometry.InteriorPoint.Coordinate);
}
