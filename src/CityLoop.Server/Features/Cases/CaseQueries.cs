using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Cases;

public sealed record CaseFilter(
    IReadOnlyList<CaseState>? States = null,
    string? Department = null,
    string? Category = null,
    CaseSource? Source = null,
    RequestType? RequestType = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    bool? Overdue = null,
    bool? Supervised = null,
    string? Text = null,
    CaseLight? Light = null,
    bool? Repeat = null,
    int Page = 1,
    int PageSize = 20,
    string? Area = null,
    string? Phone = null,
    CaseSort Sort = CaseSort.Newest);

/// <summary>List orders: newest first (the default), oldest first (a queue), or by the running clock's due instant (an inbox).</summary>
public enum CaseSort { Newest, Oldest, Due }

/// <summary>The case list's bounds at scale (<c>CaseList</c> in configuration; decisions 013, 035).</summary>
public sealed class CaseListOptions
{
    /// <summary>Totals are counted up to this; above it the list says "at least" (<see cref="PageDto{T}.TotalCapped"/>).</summary>
    public int TotalCap { get; set; } = CaseQueries.TotalCap;

    /// <summary>A text search first checks this many of the newest (oldest) cases in the list's order (PostgreSQL).</summary>
    public int TextWalkRows { get; set; } = 2_000;

    /// <summary>When those hold less than the page: the matches the search index finds, up to this many, are sorted.</summary>
    public int TextMatchRows { get; set; } = 5_000;

    /// <summary>When there are more matches than that: the page comes from this many of the newest cases, possibly short.</summary>
    public int TextDeepWalkRows { get; set; } = 20_000;

    /// <summary>
    /// A word PostgreSQL's statistics expect in more cases than this is not collected from the search index to be
    /// sorted (there are more than <see cref="TextMatchRows"/> of them): the deeper walk answers (decision 043).
    /// </summary>
    public int TextCommonRows { get; set; } = 100_000;

    /// <summary>
    /// For a reader whose scope or filters are not the whole city (a department, a state…): a single word the statistics
    /// know (among their most common elements) in more cases than this is not collected either — its matches are more
    /// than <see cref="TextMatchRows"/>, by a margin for the statistics' sampling; the deeper walk answers (decision 047).
    /// </summary>
    public int TextScopedCommonRows { get; set; } = 10_000;

    /// <summary>
    /// A one-word search by a reader who sees every case reads the search index's matches newest (oldest) first in slices
    /// of creation time: this many days from the period's edge, then on to four and to sixteen times as many days; the
    /// rest of the period after them at once (decision 044).
    /// </summary>
    public int TextSliceDays { get; set; } = 7;

    /// <summary>
    /// When the recent slices hold the page but fewer than a hundred matches, the rest of the period is read for an
    /// exact total only if it is expected to hold at most this many matches (the slices' rate over the rest's length):
    /// otherwise the page stands, its total "at least" the slices' matches (decision 045).
    /// </summary>
    public int TextRestRows { get; set; } = 200;
}

/// <summary>Reads of cases, always through the actor's scope, with the reporter masked as the actor's role requires.</summary>
public sealed partial class CaseQueries(CityLoopDb db, TimeProvider clock, IOptions<CaseListOptions>? options = null)
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^\w+-\d{8}-\d+$")]
    private static partial System.Text.RegularExpressions.Regex CaseNumberPattern();

    static readonly Role[] SeeAll = [Role.HotlineAgent, Role.IntakeOperator, Role.ShiftLeader, Role.Dispatcher, Role.Supervisor];

    public static bool CanReadCases(Actor actor) => actor.Roles.Any(Roles.CaseReaders.Contains) || actor.IsSystem;

    /// <summary>The sub-centre whose cases are the only ones the actor sees (decision 026); null: every platform's.</summary>
    static string? OwnPlatform(Actor actor) => actor.IsSystem ? null : actor.PlatformCode;

    /// <summary>The cases this actor may see: department staff their department's, inspectors their tasks, channels their own reports.</summary>
    public IQueryable<Case> Visible(Actor actor, IQueryable<Case> cases)
    {
        // A sub-centre's staff see their platform's cases only; the root platform's see every platform's (decision 026).
        if (OwnPlatform(actor) is { } platformCode) cases = cases.Where(c => c.PlatformCode == platformCode);
        if (actor.Roles.Any(SeeAll.Contains)) return cases;
        var dept = actor.DepartmentCode;
        var deptPattern = dept is null ? null : "%," + dept + ",%";
        var isDept = actor.Roles.Any(Roles.DepartmentBound.Contains) && dept is not null;
        var isInspector = actor.Has(Role.Inspector);
        var id = actor.Id;
        var held = "%," + id + ",%";
        var isSystem = actor.IsSystem;
        if (!isDept && !isInspector && !isSystem) return cases.Where(_ => false);
        return cases.Where(c =>
            // "Assisting" is tested only where there are assisting departments: the literal `<> ''` lets PostgreSQL use the
            // small partial index of such cases (migration 0032) as one arm of a bitmap OR with the lead and team indexes,
            // instead of reading every case of the states asked for to test the LIKE (decision 035, addendum).
            (isDept && (c.LeadDepartmentCode == dept || c.AssignedTeam == dept
                || (c.AssistingDepartmentCodes != "" && EF.Functions.Like(c.AssistingDepartmentCodes, deptPattern!))))
            // Inspectors see their tasks while they hold them and afterwards, and the cases they reported.
            || (isInspector && (c.AssignedInspector == id || c.CreatedBy == id || EF.Functions.Like(c.InspectorIds, held)
                || (c.State == CaseState.Verifying && c.AssignedInspector == null)))
            || (isSystem && c.CreatedBy == id));
    }

    /// <summary>
    /// <see cref="Visible"/> for an actor who sees cases through a department only, written as three disjoint arms —
    /// the cases it leads; its team's, not led by it; those it assists, neither led nor its team's — joined by
    /// <c>UNION ALL</c>. Listed by deadline, the lead arm — nearly all of an inbox — is answered from its own index
    /// (<c>ix_cases_lead_due</c>, migration 0034: the department's open cases by deadline, with their state and id),
    /// the other two from small partial indexes; the single condition with OR is a bitmap of the department's open
    /// cases, every one fetched from the table and sorted (≈ 3,000 at 10 million). Counted up to a cap, each arm stops
    /// there, where the single condition first builds the bitmap of every case the department ever had (decision 038).
    /// Null for everyone else (their scope is <see cref="Visible"/>'s).
    /// </summary>
    public static IQueryable<Case>? DepartmentArms(Actor actor, IQueryable<Case> cases)
    {
        var dept = actor.DepartmentCode;
        if (dept is null || actor.IsSystem || actor.Has(Role.Inspector) || actor.Roles.Any(SeeAll.Contains)
            || !actor.Roles.Any(Roles.DepartmentBound.Contains)) return null;
        if (actor.PlatformCode is { } platformCode) cases = cases.Where(c => c.PlatformCode == platformCode);
        var pattern = "%," + dept + ",%";
        // C#'s != on a nullable column is "different or null" in the SQL EF writes: the arms never share a case.
        return cases.Where(c => c.LeadDepartmentCode == dept)
            .Concat(cases.Where(c => c.AssignedTeam == dept && c.LeadDepartmentCode != dept))
            .Concat(cases.Where(c => c.AssistingDepartmentCodes != "" && EF.Functions.Like(c.AssistingDepartmentCodes, pattern)
                && c.LeadDepartmentCode != dept && c.AssignedTeam != dept));
    }

    public async Task<Case> GetAsync(Actor actor, Guid id, bool track = false, CancellationToken ct = default)
    {
        var q = Visible(actor, track ? db.Cases : db.Cases.AsNoTracking());
        return await q.FirstOrDefaultAsync(c => c.Id == id, ct)
            ?? throw new NotFoundException($"Case {id} does not exist or is not visible to you.");
    }

    /// <summary>The default count cap (<see cref="CaseListOptions.TotalCap"/>): a total at the cap is "at least" that (<see cref="PageDto{T}.TotalCapped"/>).</summary>
    public const int TotalCap = 1_000;

    public async Task<PageDto<CaseSummaryDto>> ListAsync(Actor actor, CaseFilter f, CancellationToken ct = default)
    {
        var pageSize = Math.Clamp(f.PageSize, 1, 200);
        var page = Math.Max(1, f.Page);
        if (f.Phone is not null && !actor.Roles.Any(Roles.ReporterContact.Contains))
            throw new CaseForbiddenException("Only hotline and intake staff look cases up by the caller's phone.");
        // Hotline and intake staff find a caller by the number (phone= or typed into the search box): an exact match on
        // its keyed hash, never a scan or a decryption.
        var phone = !string.IsNullOrWhiteSpace(f.Phone) ? f.Phone
            : f.Text is { } typed && PhoneSearch.LooksLikePhone(typed) && actor.Roles.Any(Roles.ReporterContact.Contains) ? typed : null;
        if (phone is not null && phone == f.Text) f = f with { Text = null };
        f = f with { Phone = null };
        IQueryable<Case> source = db.Cases;
        string? searched = null;
        if (f.Text is { } text && !CaseNumberPattern().IsMatch(text.Trim()) && Search.CaseSearch.Source(db, text.Trim(), fenced: true) is { } found)
        {
            source = found;
            searched = text.Trim();
            f = f with { Text = null };
        }
        // A department reader's scope as disjoint arms (decision 038): what it counts, whatever the order, and the page
        // of an inbox by deadline (the lead's arm read from its own index).
        IQueryable<Case> Scoped(IQueryable<Case> scope)
        {
            var query = Filter(scope, f);
            return phone is not null ? query.WithReporterPhone(db.PersonalData, phone) : query;
        }
        IQueryable<Case> Query(IQueryable<Case> from) => Scoped(Visible(actor, from.AsNoTracking()));
        var arms = searched is null && DepartmentArms(actor, db.Cases.AsNoTracking()) is { } scope ? Scoped(scope) : null;
        IQueryable<Case> Ordered(IQueryable<Case> q) => f.Sort switch
        {
            CaseSort.Oldest => q.OrderBy(c => c.CreatedAt).ThenBy(c => c.Number),
            CaseSort.Due => q.Where(c => c.ClockDueAt != null).OrderBy(c => c.ClockDueAt).ThenBy(c => c.Number),
            _ => q.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Number),
        };
        var o = options?.Value ?? new CaseListOptions();
        var cap = Math.Max(1, o.TotalCap);
        var skip = (page - 1) * pageSize;
        List<Case> rows;
        int total;
        bool capped, partial = false;
        if (searched is not null && f.Sort != CaseSort.Due && skip + pageSize <= cap + 1)
        {
            // A text search newest or oldest first (PostgreSQL): bounded whatever the words (decision 035).
            // A reader who sees every case (the root platform's hotline, dispatch and leadership) and filters by the text
            // alone needs nothing of the cases to find the page: the search's own table answers (decision 039) — and so
            // for a sub-centre's such reader, whose cases hold their terms qualified by the platform (decision 045). Any
            // reader bound to a sub-centre searches that platform's cases only, whatever else is applied to them by key.
            var textOnly = phone is null && (TextAlone(actor, f) || PlatformTextAlone(actor, f) is not null);
            var platform = OwnPlatform(actor);
            var textPage = await TextPageAsync(Query, searched, f.Sort == CaseSort.Newest, textOnly, platform, f.From, f.To, skip, pageSize, cap, o, ct);
            var ids = textPage.Ids;
            rows = ids.Count == 0 ? [] : await Ordered(Query(db.Cases).Where(c => ids.Contains(c.Id))).ToListAsync(ct);
            (total, capped, partial) = (textPage.Total, textPage.Capped, textPage.Partial);
        }
        else
        {
            var q = Query(source);
            // Counting every match of a broad filter over millions of cases costs more than the page: count up to a cap.
            // A department's cases are counted arm by arm: each a simple index walk that stops at the cap, where the
            // single condition builds the bitmap of every case the department ever had (324 → 2 ms at 10 million).
            var counted = await (arms ?? q).Take(cap + 1).CountAsync(ct);
            // A text search with more matches than the cap: the list's order finds a page of them soon (decision 033).
            if (searched is not null && counted > cap) q = Query(Search.CaseSearch.Source(db, searched)!);
            if (arms is not null && f.Sort == CaseSort.Due)
            {
                // The page's ids first: the lead arm's index holds what the walk tests and returns (PostgreSQL reads
                // it alone, decision 038); then those cases, whole. (Newest or oldest first, the arms would sort the
                // department's whole history: the single condition walks the list's order instead.)
                var ids = await Ordered(arms).Skip(skip).Take(pageSize).Select(c => c.Id).ToListAsync(ct);
                rows = ids.Count == 0 ? [] : await Ordered(arms.Where(c => ids.Contains(c.Id))).ToListAsync(ct);
            }
            else rows = await Ordered(q).Skip(skip).Take(pageSize).ToListAsync(ct);
            (total, capped) = (Math.Min(counted, cap), counted > cap);
        }
        var now = clock.GetUtcNow();
        return new PageDto<CaseSummaryDto>(rows.Select(c => new CaseSummaryDto(c.Id, c.Number, c.State.Api(), c.RequestType, c.Source, c.CategoryCode,
            c.Title, c.Description, c.Address, c.LeadDepartmentCode, c.CreatedAt, c.CurrentDueAt, Light(c, now), c.IsOverdue, c.Supervised, c.RepeatOfNumber, c.AssignedTeam)).ToList(),
            total, page, pageSize, capped, partial);
    }

    /// <summary>
    /// The ids of a text search's page, newest (or oldest) first, and its total, in bounded work (decision 035):
    /// <list type="number">
    /// <item>the matches among the <see cref="CaseListOptions.TextWalkRows"/> newest cases (a walk in the list's order
    /// that reads that many rows at most): when they fill the page, it is exact — the newest matches are among the
    /// newest cases — and the total is the number found there, "at least" unless the walk read the whole table;</item>
    /// <item>when the walk met matches dense enough, the <see cref="CaseListOptions.TextDeepWalkRows"/> newest cases the
    /// same way: exact when they fill the page, the total "at least" what was found;</item>
    /// <item>otherwise the city's matches in the filter's period, found by the search index alone in no order, up to
    /// <see cref="CaseListOptions.TextMatchRows"/>: when that is all of them, the reader's scope and filters are applied
    /// to them by key, the rest are sorted here, and page and total (up to the cap) are exact — not tried for a word
    /// PostgreSQL's statistics expect in more than <see cref="CaseListOptions.TextCommonRows"/> cases, nor for a scoped or
    /// filtered reader's one word they know in more than <see cref="CaseListOptions.TextScopedCommonRows"/>; a reader who
    /// sees every case and types one word reads the matches of the recent weeks first, in the list's order, and stops
    /// when they hold the page (exact, the total "at least" theirs; decision 044);</item>
    /// <item>otherwise (very many matches, none recent) the matches among the <see cref="CaseListOptions.TextDeepWalkRows"/>
    /// newest cases: exact when they fill the page, else the page holds what was found and says it is partial.</item>
    /// </list>
    /// A reader bound to a sub-centre (<paramref name="platform"/>) asks each step for the matches on its platform only:
    /// a case on a sub-centre holds its terms a second time qualified by the platform (decision 045), and the search
    /// index is asked for those.
    /// The planner's own choice (walk the list's order until the page is full, or sort every match) had no bound: two
    /// words each common but never together walked the whole table, one very common word sorted or counted a million
    /// index entries.
    /// </summary>
    async Task<(List<Guid> Ids, int Total, bool Capped, bool Partial)> TextPageAsync(Func<IQueryable<Case>, IQueryable<Case>> query,
        string text, bool newest, bool textOnly, string? platform, DateTimeOffset? from, DateTimeOffset? to, int skip, int pageSize,
        int cap, CaseListOptions o, CancellationToken ct)
    {
        var need = skip + pageSize;
        List<Guid> Page(List<Guid> ids) => ids.Skip(skip).Take(pageSize).ToList();
        // The matches among the newest rows, in the list's order: from the search's table alone when the reader's scope
        // and filters add nothing (beyond its platform); otherwise each match's case read to apply the scope.
        Task<List<Guid>> Walk(int rows, int take) => textOnly
            ? Search.CaseSearch.WalkIds(db, text, newest, rows, take, platform)!.ToListAsync(ct)
            : ScopedWalkAsync(rows, take);
        // The city's matches among the newest rows come in the list's order from the search's table alone; their cases
        // are then read in growing slices, the reader's scope and filters applied by key, until enough pass: a word in
        // most cases, asked with a state, reads the few slices the page needs, where one join read the case of every
        // match met (15,000 at 10 million cases, 119 ms) to sort them after.
        async Task<List<Guid>> ScopedWalkAsync(int rows, int take)
        {
            var matches = await Search.CaseSearch.WalkIds(db, text, newest, rows, rows, platform)!.ToListAsync(ct);
            var passed = new List<Guid>();
            for (int at = 0, slice = Math.Max(take, 64); at < matches.Count && passed.Count < take; at += slice, slice *= 4)
            {
                var ids = matches.GetRange(at, Math.Min(slice, matches.Count - at));
                var seen = await InScopeAsync(ids);
                passed.AddRange(ids.Where(seen.Contains));
            }
            return passed.Count > take ? passed.GetRange(0, take) : passed;
        }
        // Which of these cases the reader's scope and filters keep, in one query: the ids (up to 5,000) as one array
        // parameter (EF's default would write a parameter for each, padded).
        async Task<HashSet<Guid>> InScopeAsync(List<Guid> ids) =>
            (await query(db.Cases.Where(c => EF.Parameter(ids).Contains(c.Id))).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        // Whether a walk of that many rows read every row there is to walk (the city's: a platform's cases are among them).
        async Task<bool> Whole(int rows) => !await db.Cases.OrderBy(c => c.CreatedAt).Skip(rows).AnyAsync(ct);
        var walked = await Walk(Math.Max(need, o.TextWalkRows), cap + 1);
        if (walked.Count > cap) return (Page(walked), cap, true, false);
        var whole = await Whole(Math.Max(need, o.TextWalkRows));
        if (whole || walked.Count >= need) return (Page(walked), walked.Count, !whole, false);
        IEnumerable<Search.SearchMatch> Sorted(IEnumerable<Search.SearchMatch> matches) => newest
            ? matches.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Number, StringComparer.Ordinal)
            : matches.OrderBy(m => m.CreatedAt).ThenBy(m => m.Number, StringComparer.Ordinal);

        // Matches met along the walk, but too sparse for the page: when they are dense enough for the longer walk to
        // fill it, that walk comes first (reading the city's rows in the list's order is several times cheaper than
        // fetching the search index's matches one by one from all over the table).
        List<Guid>? deeper = null;
        Task<List<Guid>> Deeper() => Walk(Math.Max(need, o.TextDeepWalkRows), need);
        if (walked.Count > 0 && (long)need * Math.Max(need, o.TextWalkRows) / walked.Count <= o.TextDeepWalkRows)
        {
            deeper = await Deeper();
            if (deeper.Count >= need) return (Page(deeper), deeper.Count, true, false);
        }

        // A word the city uses very often, by PostgreSQL's statistics: its matches are far more than are sorted here, and
        // collecting 5,001 of them would first build the search index's bitmap of every one (100–250 ms for a word in
        // hundreds of thousands of cases at 10 million): the deeper walk answers.
        // A reader with a scope or filters who types one word the statistics know in more than TextScopedCommonRows cases:
        // the city's matches are more than are sorted here as surely, and collecting 5,001 of them (each on a page of its
        // own, ≈ 45 ms warm at 10 million) only to find that out was the tail of a department's search (decision 047).
        var terms = Search.Bigrams.Query(text);
        var scopedWord = !textOnly && terms is [{ Prefix: false }];
        var estimate = await Search.CaseSearch.EstimatedMatchesAsync(db, text, from, to, platform, tellKnown: scopedWord, ct);
        var common = estimate?.Rows > o.TextCommonRows || (scopedWord && estimate is { Known: true } e && e.Rows > o.TextScopedCommonRows);
        // The city's matches in the filter's period, from the search index alone: when they are few enough to be all of
        // them, the reader's among them (its scope and filters applied to each, by key) are every match, sorted here —
        // exact. The scope is applied to a bounded set: reading the city's matches one case at a time until enough of
        // them fall in a department's scope had no bound (decision 043); a sub-centre's reader asks for its platform's
        // matches only (decision 045). A reader who sees every case (of the city or of its sub-centre) and types one word
        // first reads the recent slices of creation time, newest (oldest) first, and stops as
        // soon as they hold the page (decision 044); the rest of the period is read at once when they do not.
        var read = 0;
        var sliced = common ? null : textOnly && terms.Count == 1 ? await SlicesAsync() : await RestAsync(from, to, []);
        if (sliced is { } found)
        {
            var mine = Sorted(found.Mine).Select(m => m.Id).ToList();
            var total = Math.Max(found.Total, mine.Count);
            return (Page(mine), Math.Min(total, cap), total > cap || !found.All, false);
        }
        // More matches than are sorted here: the reader's newest rows, walked further, hold the page, or were all read;
        // else the page holds what that walk found and says it is partial. The total is a lower bound: the city's
        // matches collected (the cap, by default) when the reader sees them all, else what the walk found.
        deeper ??= await Deeper();
        if (textOnly && read > 0) return (Page(deeper), Math.Min(read, cap), true, deeper.Count < need);
        if (deeper.Count >= need) return (Page(deeper), deeper.Count, true, false);
        var all = await Whole(Math.Max(need, o.TextDeepWalkRows));
        return (Page(deeper), deeper.Count, !all, !all);

        // The recent slices — TextSliceDays from the newest (oldest) edge of the period (its end, or now; its start, or
        // the oldest case), then on to four and to sixteen times as many days from it — read as one statement in
        // the list's order that stops once it holds the page (and a hundred matches, for the total); then, when they do
        // not hold it — or hold the page, not a hundred, and the rest is expected to be small enough to count — the rest
        // of the period. Null when a slice, or the whole read, has more than TextMatchRows matches.
        async Task<(List<Search.SearchMatch> Mine, int Total, bool All)?> SlicesAsync()
        {
            var anchor = newest ? to ?? clock.GetUtcNow() : from ?? await Search.CaseSearch.OldestAsync(db, ct);
            if (anchor is not { } edgeOfPeriod) return ([], 0, true);
            var slices = new List<(DateTimeOffset? From, DateTimeOffset? To)>();
            DateTimeOffset? reached = newest ? to : from;
            var covered = false;
            for (var (i, length) = (0, TimeSpan.FromDays(Math.Clamp(o.TextSliceDays, 1, 36_500))); i < 3 && !covered; i++, length *= 4)
            {
                DateTimeOffset? edge = newest
                    ? (edgeOfPeriod - DateTimeOffset.MinValue > length ? edgeOfPeriod - length : null)
                    : DateTimeOffset.MaxValue - edgeOfPeriod > length ? edgeOfPeriod + length : null;
                covered = edge is not { } e || (newest ? from is { } start && e <= start : to is { } end && e >= end);
                if (covered) edge = newest ? from : to;
                slices.Add(newest ? (edge, reached) : (reached, edge));
                reached = edge;
            }
            var take = Math.Min(Math.Max(need, 100), o.TextMatchRows + 1);
            var rows = await Search.CaseSearch.SlicedMatches(db, text, newest, slices, o.TextMatchRows + 1, take, platform)!.ToListAsync(ct);
            read = rows.Count;
            if (rows.Any(r => r.Matches > o.TextMatchRows) || !InOrder(rows)) return null;
            var recent = rows.Cast<Search.SearchMatch>().ToList();
            // The rows are the city's newest matches, a page of them and more: the total is what their slices hold.
            if (rows.Count == take && take >= need)
                return (recent, (int)Math.Min(rows.GroupBy(r => r.Slice).Sum(g => g.First().Matches), int.MaxValue), false);
            if (read > o.TextMatchRows) return null;
            if (covered) return (recent, recent.Count, true);
            // The slices hold the page and every match of theirs, fewer than a hundred: the rest of the period is read for
            // an exact total only when it should be small. A rare word's matches there are each on a page of their own
            // (decision 044): 800 of them, read to count them, were 70 ms of a 10-million-case search (decision 045).
            if (rows.Count >= need && await RestExpectedAsync(edgeOfPeriod, reached!.Value, rows.Count) > o.TextRestRows)
                return (recent, recent.Count, false);
            return await RestAsync(newest ? from : reached, newest ? reached : to, recent);
        }

        // How many matches the rest of the period should hold at the slices' rate (their matches, and one, over their days).
        async Task<double> RestExpectedAsync(DateTimeOffset edgeOfPeriod, DateTimeOffset reached, int matches)
        {
            var sliced = (newest ? edgeOfPeriod - reached : reached - edgeOfPeriod).TotalDays;
            var restEdge = newest ? from ?? await Search.CaseSearch.OldestAsync(db, ct) : to ?? clock.GetUtcNow();
            var rest = restEdge is { } r ? (newest ? reached - r : r - reached).TotalDays : 0;
            return sliced <= 0 || rest <= 0 ? 0 : (matches + 1) * rest / sliced;
        }

        // The period's matches (the rest of it, after the recent slices' ones) at once, in no order, the reader's kept.
        async Task<(List<Search.SearchMatch> Mine, int Total, bool All)?> RestAsync(DateTimeOffset? since, DateTimeOffset? until, List<Search.SearchMatch> mine)
        {
            var rest = await Search.CaseSearch.MatchesOnly(db, text, o.TextMatchRows + 1 - read, since, until, platform)!.ToListAsync(ct);
            read += rest.Count;
            if (read > o.TextMatchRows) return null;
            var kept = textOnly || rest.Count == 0 ? null : await InScopeAsync(rest.Select(m => m.Id).ToList());
            mine.AddRange(kept is null ? rest : rest.Where(m => kept.Contains(m.Id)));
            return (mine, mine.Count, true);
        }

        // The slices' rows as they came: each slice's in the list's order, the slices one after the other.
        bool InOrder(List<Search.SlicedMatch> rows)
        {
            for (var i = 1; i < rows.Count; i++)
            {
                var (a, b) = (rows[i - 1], rows[i]);
                var c = a.CreatedAt.CompareTo(b.CreatedAt);
                if (a.Slice > b.Slice || (newest ? c < 0 : c > 0)) return false;
            }
            return true;
        }
    }

    /// <summary>
    /// Whether a list's text search (its text taken out of <paramref name="f"/>) is the whole question: the reader sees
    /// every case of every platform and nothing else is filtered, so the search's own table can answer (decision 039).
    /// </summary>
    public static bool TextAlone(Actor actor, CaseFilter f) =>
        (actor.IsSystem || actor.AtRoot) && actor.Roles.Any(SeeAll.Contains) && OnlyText(f);

    /// <summary>
    /// The sub-centre whose cases are the whole of a list's text search (its text taken out of <paramref name="f"/>):
    /// the reader sees every case of that platform and nothing else is filtered, so the search's own table answers, asked
    /// for the platform's qualified terms (decision 045). Null for everyone else.
    /// </summary>
    public static string? PlatformTextAlone(Actor actor, CaseFilter f) =>
        OwnPlatform(actor) is { } platform && actor.Roles.Any(SeeAll.Contains) && OnlyText(f) ? platform : null;

    static bool OnlyText(CaseFilter f) =>
        f with { States = f.States is { Count: 0 } ? null : f.States, Text = null, Page = 1, PageSize = 20, Sort = CaseSort.Newest } == new CaseFilter();

    public IQueryable<Case> Filter(IQueryable<Case> q, CaseFilter f)
    {
        if (f.States is { Count: > 0 } states) q = q.Where(c => states.Contains(c.State));
        if (!string.IsNullOrWhiteSpace(f.Department))
        {
            var pattern = "%," + f.Department + ",%";
            q = q.Where(c => c.LeadDepartmentCode == f.Department || (c.AssistingDepartmentCodes != "" && EF.Functions.Like(c.AssistingDepartmentCodes, pattern)));
        }
        if (!string.IsNullOrWhiteSpace(f.Category))
        {
            var prefix = f.Category + "%";
            q = q.Where(c => c.CategoryCode != null && EF.Functions.Like(c.CategoryCode, prefix));
        }
        if (f.Source is { } source) q = q.Where(c => c.Source == source);
        if (f.RequestType is { } type) q = q.Where(c => c.RequestType == type);
        if (f.From is { } from) q = q.Where(c => c.CreatedAt >= from);
        if (f.To is { } to) q = q.Where(c => c.CreatedAt < to);
        if (f.Overdue is { } overdue) q = q.Where(c => c.IsOverdue == overdue);
        if (f.Supervised is { } supervised) q = q.Where(c => c.Supervised == supervised);
        if (f.Light is { } light) q = WithLight(q, light, clock.GetUtcNow());
        if (f.Repeat is { } repeat) q = repeat ? q.Where(c => c.RepeatOfNumber != null) : q.Where(c => c.RepeatOfNumber == null);
        if (!string.IsNullOrWhiteSpace(f.Area))
        {
            // Division codes nest by length (district 6, street 9, community 12 digits); longer codes are unit grids.
            var area = f.Area.Trim();
            q = area.Length switch
            {
                <= 6 => q.Where(c => c.DistrictCode == area),
                <= 9 => q.Where(c => c.StreetCode == area),
                <= 12 => q.Where(c => c.CommunityCode == area),
                _ => q.Where(c => c.GridCode == area),
            };
        }
        // The caller's phone is matched on its keyed hash by ListAsync (WithReporterPhone); stored numbers are encrypted.
        if (!string.IsNullOrWhiteSpace(f.Text))
        {
            // A case number, or Chinese text by character bigrams (Features/Search), the same on both databases.
            var text = f.Text.Trim();
            q = CaseNumberPattern().IsMatch(text) ? q.Where(c => c.Number == text) : Search.CaseSearch.Where(db, q, text);
        }
        return q;
    }

    public static string Light(Case c, DateTimeOffset now) => Kebab.From(c.LightAt(now).ToString());

    /// <summary><see cref="Case.LightAt"/> as SQL over the persisted clock columns; keep the two side by side.</summary>
    public static IQueryable<Case> WithLight(IQueryable<Case> q, CaseLight light, DateTimeOffset now) => light switch
    {
        CaseLight.Paused => q.Where(c => c.State == CaseState.Suspended),
        CaseLight.None => q.Where(c => c.State != CaseState.Suspended && c.ClockDueAt == null),
        CaseLight.Red => q.Where(c => c.State != CaseState.Suspended && c.ClockDueAt != null && (c.IsOverdue || c.ClockDueAt <= now)),
        CaseLight.Yellow => q.Where(c => c.State != CaseState.Suspended && !c.IsOverdue && c.ClockDueAt > now && c.ClockWarnAt != null && c.ClockWarnAt <= now),
        _ => q.Where(c => c.State != CaseState.Suspended && !c.IsOverdue && c.ClockDueAt > now && (c.ClockWarnAt == null || c.ClockWarnAt > now)),
    };

    public CaseDto ToDto(Case c, Actor actor, string? queryCode = null)
    {
        var now = clock.GetUtcNow();
        return new CaseDto(c.Id, c.Number, c.State.Api(), c.Version, c.Source, c.RequestType, c.CategoryCode, c.Title, c.Description, c.Urgency,
            new PlaceDto(c.Latitude, c.Longitude, c.Address, c.GridCode, c.CommunityCode, c.StreetCode, c.DistrictCode, c.OutsideGrid),
            c.ComponentId, Reporter(c, actor), c.LeadDepartmentCode, c.AssistingDepartments,
            new DeadlinesDto(c.FilingDueAt, c.SignForDueAt, c.HandlingDueAt, c.CheckDueAt, c.CloseDueAt, c.FollowUpDueAt,
                c.CurrentPhase is { } p ? Kebab.From(p.ToString()) : null, c.CurrentDueAt, c.ClockWarnAt, c.VerificationDueAt, c.DispatchDueAt, c.ReviewDueAt, c.FeedbackDueAt),
            Light(c, now),
            new FlagsDto(c.IsOverdue, c.Supervised, c.MergedIntoNumber, c.ReopenedCount, c.ReworkCount, c.ReturnCount, c.ClosedAtIntake, c.Urgency != Urgency.Normal, c.RepeatOfNumber,
                c.SelfHandled, c.MergedInCount, c.AssignedHandler, c.AssignedInspector, c.AssignedTeam),
            c.FilingStandardItem, c.ClosingStandardItem, c.Answer, c.Result, c.RejectReason, c.TransferTarget,
            c.FollowedUpAt is { } at ? new FollowUpDto(at, c.FollowUpContacted, c.FollowUpResolved, c.FollowUpSatisfaction, c.FollowUpComment) : null,
            c.CreatedAt, c.UpdatedAt, c.FiledAt, c.DispatchedAt, c.FinishedAt, c.ClosedAt, queryCode, c.ExternalId) { Platform = c.PlatformCode };
    }

    /// <summary>
    /// Hotline and intake staff see the reporter in clear; a confidential reporter is hidden from everyone else;
    /// otherwise name and phone are masked until an audited unmasking.
    /// </summary>
    public static ReporterDto Reporter(Case c, Actor actor, bool unmasked = false)
    {
        if (c.Anonymous) return new ReporterDto(null, null, false, c.Confidential, true);
        if (actor.Roles.Any(Roles.ReporterContact.Contains)) return new ReporterDto(c.ReporterName, c.ReporterPhone, false, c.Confidential, false, c.ReporterAddress);
        if (c.Confidential) return new ReporterDto(null, null, true, true, false);
        if (unmasked) return new ReporterDto(c.ReporterName, c.ReporterPhone, false, false, false, c.ReporterAddress);
        // The caller's own address is not needed to handle the case: it stays hidden until an audited unmasking.
        return new ReporterDto(MaskName(c.ReporterName), MaskPhone(c.ReporterPhone), c.ReporterName is not null || c.ReporterPhone is not null || c.ReporterAddress is not null, false, false);
    }

    public static string? MaskPhone(string? phone)
    {
        if (string.IsNullOrEmpty(phone)) return phone;
        var digits = new string(phone.Where(char.IsDigit).ToArray());
        if (digits.Length >= 11) return digits[..3] + "****" + digits[^4..];
        if (digits.Length >= 7) return digits[..2] + new string('*', digits.Length - 4) + digits[^2..];
        return new string('*', digits.Length);
    }

    public static string? MaskName(string? name) =>
        string.IsNullOrEmpty(name) ? name : name[..1] + new string('*', Math.Max(1, name.Length - 1));

    public async Task<IReadOnlyList<EventDto>> EventsAsync(Guid caseId, CancellationToken ct = default)
    {
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId).OrderBy(e => e.Seq).ToListAsync(ct);
        return events.Select(e => new EventDto(e.Seq, e.Action, e.FromState?.Api(), e.ToState.Api(), e.ActorName, e.ActorIsSystem,
            e.Role is { } r ? Roles.ToKebab(r) : null, e.DepartmentCode, e.At, e.Opinion,
            e.Payload is null ? null : JsonDocument.Parse(e.Payload).RootElement.Clone())).ToList();
    }

    /// <summary>What the actor may do now; with a context the time rules count too (a return window that has closed…).</summary>
    public static IReadOnlyList<AvailableActionDto> Actions(Case c, Actor actor, TransitionContext? ctx = null) =>
        c.AvailableActions(actor, ctx).Select(t => new AvailableActionDto(t.Action.Name(), t.To?.Api(),
            t.Fields.Select(f => new FieldDto(f.Name, Kebab.From(f.Kind.ToString()), f.Required)).ToList())).ToList();
}
