using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Calls;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Features.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Desk;

public sealed record CallerCase(Guid Id, string Number, CaseState State, RequestType RequestType, string? CategoryCode, DateTimeOffset CreatedAt,
    string Text, string? Address, bool Open);

/// <summary>What the desktop shows about a number: who it was, their open and earlier cases, whether they call repeatedly.</summary>
public sealed record CallerPanel(string Phone, string? Name, string? Address, IReadOnlyList<CallerCase> Open, IReadOnlyList<CallerCase> Earlier,
    int RecentCases, int RecentCalls, int WindowDays)
{
    /// <summary>重复来电: the number reported before within the repeat window, or called more than once in it.</summary>
    public bool RepeatCaller => RecentCases > 0 || RecentCalls > 1;
}

/// <summary>Why a case may be the same problem as the one being typed.</summary>
public enum DuplicateReason { SameCaller, SameCategoryNearby, SameAddress, SimilarText }

public sealed record DuplicateHint(Guid Id, string Number, CaseState State, string Text, string? Address, DateTimeOffset CreatedAt,
    IReadOnlyList<DuplicateReason> Reasons, double Similarity);

public sealed record DuplicateQuery(string? Text, string? CategoryCode, string? Address, double? Lat, double? Lon, string? Phone);

/// <summary>
/// The agent desktop's reads: the caller panel (by the keyed phone hash, like the case list's phone search) and likely
/// duplicates (same caller, same category nearby — the repeat check's distance rule — same address, similar text by the
/// bigram terms of Features/Search).
/// </summary>
public sealed class DeskQueries(CityLoopDb db, CaseQueries queries, CallLog calls, TimeProvider clock, IOptions<FollowUpOptions> followUp,
    Reference.ReferenceCache reference)
{
    public const int DuplicateWindowDays = 30;
    public const int SimilarTextWindowDays = 7;

    /// <summary>How many of a category's newest cases of the window the address hint compares before it asks the search index (decision 046).</summary>
    internal int AddressWalkRows { get; set; } = 5_000;

    public static bool MayUse(Actor actor) => actor.Roles.Any(Roles.ReporterContact.Contains);

    public async Task<CallerPanel> CallerAsync(Actor actor, string phone, CancellationToken ct = default)
    {
        if (!MayUse(actor)) throw new CaseForbiddenException("Only hotline and intake staff look callers up by phone.");
        var normal = PersonalDataKeys.Normalise(phone) ?? throw CaseValidationException.Single("phone", "Give a phone number.");
        var cases = await queries.Visible(actor, db.Cases.AsNoTracking()).WithReporterPhone(db.PersonalData, normal)
            .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Number).Take(50).ToListAsync(ct);
        var days = Math.Max(1, followUp.Value.RepeatWindowDays);
        var since = clock.GetUtcNow().AddDays(-days);
        var rows = cases.Select(c => new CallerCase(c.Id, c.Number, c.State, c.RequestType, c.CategoryCode, c.CreatedAt, c.Title ?? c.Description,
            c.Address, c.State.IsOpen())).ToList();
        return new CallerPanel(normal, cases.FirstOrDefault(c => c.ReporterName is not null)?.ReporterName,
            cases.FirstOrDefault(c => c.ReporterAddress is not null)?.ReporterAddress,
            rows.Where(r => r.Open).ToList(), rows.Where(r => !r.Open).Take(20).ToList(),
            cases.Count(c => c.CreatedAt >= since), await calls.RecentCallsAsync(normal, days, ct), days);
    }

    /// <summary>Open or recently created cases that may be the same problem, most reasons and most similar first.</summary>
    public async Task<IReadOnlyList<DuplicateHint>> DuplicatesAsync(Actor actor, DuplicateQuery q, int take = 8, CancellationToken ct = default)
    {
        if (!MayUse(actor)) throw new CaseForbiddenException("Duplicate hints are for hotline and intake staff.");
        var now = clock.GetUtcNow();
        var since = now.AddDays(-DuplicateWindowDays);
        var recent = queries.Visible(actor, db.Cases.AsNoTracking()).Where(c => c.CreatedAt >= since && c.State != CaseState.Merged && c.State != CaseState.Cancelled);
        var found = new Dictionary<Guid, (Case Case, HashSet<DuplicateReason> Reasons)>();
        void Add(IEnumerable<Case> cases, DuplicateReason reason)
        {
            foreach (var c in cases)
            {
                if (!found.TryGetValue(c.Id, out var entry)) found[c.Id] = entry = (c, []);
                entry.Reasons.Add(reason);
            }
        }
        if (PersonalDataKeys.Normalise(q.Phone) is { Length: >= 3 } phone)
            Add(await recent.WithReporterPhone(db.PersonalData, phone).OrderByDescending(c => c.CreatedAt).Take(20).ToListAsync(ct), DuplicateReason.SameCaller);
        var category = string.IsNullOrWhiteSpace(q.CategoryCode) ? null : q.CategoryCode.Trim();
        if (category is not null && q.Lat is { } lat && q.Lon is { } lon)
        {
            var meters = Math.Max(50, followUp.Value.RepeatDistanceMeters * 4);
            var dLat = meters / 111_320.0;
            var dLon = dLat / Math.Max(0.01, Math.Cos(lat * Math.PI / 180));
            var near = await recent.Where(c => c.CategoryCode == category && c.Latitude >= lat - dLat && c.Latitude <= lat + dLat
                && c.Longitude >= lon - dLon && c.Longitude <= lon + dLon).Take(50).ToListAsync(ct);
            Add(near.Where(c => RepeatFinder.Meters(lat, lon, c.Latitude!.Value, c.Longitude!.Value) <= meters), DuplicateReason.SameCategoryNearby);
        }
        var address = string.IsNullOrWhiteSpace(q.Address) ? null : q.Address.Trim();
        if (address is { Length: >= 4 })
        {
            var squashed = Squash(address);
            var same = new List<Guid>();
            IQueryable<Case>? pool = recent.Where(c => c.Address != null);
            if (category is not null)
            {
                // With a category (decision 046): its newest cases of the window, up to AddressWalkRows, their addresses
                // compared here. A road's name alone (金城中路) is in hundreds of thousands of addresses at 10 million
                // cases: its terms, cut to the window, were a lossy bitmap of 15,000 pages rechecked row by row (0.6–0.9 s),
                // where one category's month is a few thousand rows of its own index. Only when the walk stops at its bound
                // are the older cases of the window looked up by the address's terms, as without a category.
                pool = pool.Where(c => c.CategoryCode == category);
                var walked = await pool.OrderByDescending(c => c.CreatedAt).Take(AddressWalkRows)
                    .Select(c => new { c.Id, c.Address, c.CreatedAt }).ToListAsync(ct);
                same.AddRange(walked.Where(c => Squash(c.Address!) == squashed).Select(c => c.Id).Take(50));
                if (walked.Count < AddressWalkRows || same.Count >= 50) pool = null;
                else
                {
                    // Older than the walk's last case, or as old and not walked (a few at most share its instant).
                    var edge = walked[^1].CreatedAt;
                    var seen = walked.Where(c => c.CreatedAt == edge).Select(c => c.Id).ToList();
                    pool = pool.Where(c => c.CreatedAt <= edge && !seen.Contains(c.Id));
                }
            }
            // The address as typed, found by its terms within the window (decision 040), then compared whole. A last
            // single character is not asked as a prefix (号:* is every token that starts with 号: at 10 million cases the
            // index's union of them took 0.8 s); the whole comparison makes up for any term left out. Of the chosen
            // category only, in SQL, so that the newest 50 are that category's.
            var addressTerms = AddressTerms(address);
            if (pool is not null && addressTerms.Count > 0)
            {
                var ids = CaseSearch.MatchingSince(db, addressTerms, since);
                var candidates = await pool.Where(c => ids.Contains(c.Id)).OrderByDescending(c => c.CreatedAt).Take(50).Select(c => new { c.Id, c.Address }).ToListAsync(ct);
                same.AddRange(candidates.Where(c => Squash(c.Address!) == squashed).Select(c => c.Id));
            }
            if (same.Count > 0) Add(await db.Cases.AsNoTracking().Where(c => same.Contains(c.Id)).ToListAsync(ct), DuplicateReason.SameAddress);
        }
        var terms = Informative(q.Text);
        var similarity = new Dictionary<Guid, double>();
        if (terms.Count >= 2)
        {
            // Similar wording among the last week's cases (of the category, where one is chosen): share of the typed
            // text's terms that a case's stored terms hold.
            var textSince = now.AddDays(-SimilarTextWindowDays);
            var pool = recent.Where(c => c.CreatedAt >= textSince);
            if (category is not null) pool = pool.Where(c => c.CategoryCode == category);
            var candidates = await pool.OrderByDescending(c => c.CreatedAt).Take(300)
                .Select(c => new { c.Id, Terms = EF.Property<string?>(c, CaseSearch.Property) }).ToListAsync(ct);
            var similar = candidates.Select(c => (c.Id, Score: (double)BigramSearch.Overlap(terms, c.Terms) / terms.Count))
                .Where(c => c.Score >= 0.6).OrderByDescending(c => c.Score).Take(take).ToList();
            foreach (var s in similar) similarity[s.Id] = s.Score;
            var ids = similar.Select(s => s.Id).ToList();
            Add(await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct), DuplicateReason.SimilarText);
        }
        foreach (var (id, entry) in found)
            if (!similarity.ContainsKey(id)) similarity[id] = terms.Count == 0 ? 0 : (double)BigramSearch.Overlap(terms, CaseSearch.TermsOf(entry.Case)) / terms.Count;
        return found.Values
            .OrderByDescending(f => f.Reasons.Count).ThenByDescending(f => similarity[f.Case.Id]).ThenByDescending(f => f.Case.CreatedAt).Take(take)
            .Select(f => new DuplicateHint(f.Case.Id, f.Case.Number, f.Case.State, f.Case.Title ?? f.Case.Description, f.Case.Address, f.Case.CreatedAt,
                f.Reasons.OrderBy(r => r).ToList(), Math.Round(similarity[f.Case.Id], 2))).ToList();
    }

    /// <summary>
    /// The terms an address is looked up by (decision 040): without the names of the platform's own divisions (金城江区,
    /// a street's name: in nearly every address, their terms are the most common in the index and cost the most to
    /// intersect — 140 ms against 41 at 10 million cases), and without a last single character asked as a prefix.
    /// Where nothing else is left, the whole address's terms. The matches are compared whole afterwards.
    /// </summary>
    internal List<SearchTerm> AddressTerms(string address)
    {
        var rest = address;
        foreach (var name in DivisionNames())
            if (rest.Contains(name, StringComparison.Ordinal)) rest = rest.Replace(name, " ", StringComparison.Ordinal);
        return Informative(rest) is { Count: > 0 } terms ? terms : Informative(address);
    }

    /// <summary>A text's search terms without a last single character asked as a prefix (every token that starts with it).</summary>
    static List<SearchTerm> Informative(string? text) => Bigrams.Query(text).Where(t => !(t.Prefix && t.Text.Length == 1)).ToList();

    /// <summary>The division names of three characters or more, longest first (so 金城江区 goes before 金城江).</summary>
    IReadOnlyList<string> DivisionNames()
    {
        var divisions = reference.Geo.Divisions;
        if (names is { } cached && cached.Of == divisions) return cached.Names;
        var built = new DivisionNameList(divisions, divisions.All.Select(d => d.Name.Trim()).Where(n => n.Length >= 3).Distinct(StringComparer.Ordinal)
            .OrderByDescending(n => n.Length).ThenBy(n => n, StringComparer.Ordinal).ToList());
        names = built;
        return built.Names;
    }

    /// <summary>The names, with the catalogue they were read from (one reference, replaced whole when the reference data is reloaded).</summary>
    sealed record DivisionNameList(Domain.Geo.DivisionCatalog Of, IReadOnlyList<string> Names);

    static DivisionNameList? names;

    static string Squash(string s) => new(s.Where(ch => !char.IsWhiteSpace(ch) && !char.IsPunctuation(ch)).ToArray());
}
