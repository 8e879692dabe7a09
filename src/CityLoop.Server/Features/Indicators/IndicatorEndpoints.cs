using System.Globalization;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Indicators;

public sealed record IndicatorDto(string Id, string NameZh, string NameEn, string Unit, string Numerator, string? Denominator, string Date,
    int Decimals, string HowZh, string HowEn, string? Source);

public sealed record IndicatorGroupDto(string? Key, decimal? Value, long Numerator, long? Denominator);

public sealed record IndicatorValueDto(IndicatorDto Indicator, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyDictionary<string, string> Filters,
    decimal? Value, long Numerator, long? Denominator, string? GroupBy, IReadOnlyList<IndicatorGroupDto>? Groups,
    IReadOnlyList<IndicatorComparisonDto>? Comparisons = null);

/// <summary>
/// The same figure over an earlier period: <c>change</c> is the difference (percentage points for a rate, cases for a
/// count), <c>changePercent</c> the relative change of a count; null where either value is.
/// </summary>
public sealed record IndicatorComparisonDto(string Kind, DateTimeOffset From, DateTimeOffset To, decimal? Value, long Numerator, long? Denominator,
    decimal? Change, decimal? ChangePercent);

public sealed record IndicatorCaseDto(Guid Id, string Number, int Count);

public sealed record IndicatorCasesDto(string Indicator, string Part, string Counter, long Total, int Cases, int Page, int PageSize,
    IReadOnlyList<IndicatorCaseDto> Items);

/// <summary>The slice and period of a figure, as the query string gives them.</summary>
public sealed record IndicatorSlice(string? From, string? To, string? Platform, string? Department, string? Street, string? Category,
    string? Source, string? RequestType, string? Community = null, string? Grid = null, string? Reporter = null, string? Person = null,
    string? Organisation = null);

/// <summary>
/// Figures from the fact table: one SQL sum (or one per group) of the definition's counters over the rows of the
/// slice whose period date falls in [from, to); the drill-down lists the rows with a non-zero counter, so it always
/// adds up to the figure.
/// </summary>
public sealed class IndicatorQueries(CityLoopDb db, IOptions<PlatformOptions> platform, FactDays factDays)
{
    public static readonly IReadOnlySet<Role> Readers = new HashSet<Role>
        { Role.Supervisor, Role.ShiftLeader, Role.Dispatcher, Role.DepartmentHandler, Role.DepartmentHead };

    static readonly string[] GroupKeys =
        ["department", "platform", "street", "community", "grid", "reporter", "category", "source", "requestType", "day", "week", "half-month", "month", "quarter", "year"];

    static readonly string[] CompareKeys = ["previous", "year"];

    public static IndicatorDto Dto(IndicatorDefinition d) => new(d.Id, d.NameZh, d.NameEn, Kebab.From(d.Unit.ToString()),
        Kebab.From(d.Numerator), d.Denominator is null ? null : Kebab.From(d.Denominator), Kebab.From(d.Date.ToString()),
        IndicatorDefinition.Decimals, d.HowZh, d.HowEn, d.Source);

    public static IndicatorDefinition Find(string id) =>
        IndicatorCatalogue.Find(id) ?? throw new NotFoundException($"There is no indicator '{id}'.");

    /// <summary>Department staff see their own department's figures only; the centre's roles see every slice.</summary>
    public static IndicatorSlice Authorize(Actor actor, IndicatorSlice slice)
    {
        // A sub-centre's staff see their platform's figures only; the root's see every platform's and may slice or group by it (decision 026).
        if (actor.PlatformCode is { } own)
        {
            if (slice.Platform is { Length: > 0 } p && p != own)
                throw new CaseForbiddenException("A sub-centre's staff see their own platform's figures only.");
            slice = slice with { Platform = own };
        }
        if (actor.Roles.Any(r => r is Role.Supervisor or Role.ShiftLeader or Role.Dispatcher)) return slice;
        if (!actor.Roles.Any(Readers.Contains) || actor.DepartmentCode is null)
            throw new CaseForbiddenException("Figures are for supervisors, shift leaders, dispatchers and department staff.");
        if (slice.Department is { Length: > 0 } d && d != actor.DepartmentCode)
            throw new CaseForbiddenException("Department staff see their own department's figures only.");
        return slice with { Department = actor.DepartmentCode };
    }

    public async Task<IndicatorValueDto> ValueAsync(IndicatorDefinition def, IndicatorSlice slice, string? groupBy, CancellationToken ct,
        string? compare = null)
    {
        var (from, to) = PeriodRange(slice);
        if (groupBy is not null && !GroupKeys.Contains(groupBy))
            throw CaseValidationException.Single("groupBy", $"Group by one of: {string.Join(", ", GroupKeys)}.");
        var compareKinds = (Blank(compare) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (compareKinds.FirstOrDefault(k => !CompareKeys.Contains(k)) is { } badCompare)
            throw CaseValidationException.Single("compare", $"Compare with 'previous' (period over period) or 'year' (year over year), not '{badCompare}'.");
        if (compareKinds.Length > 0 && (from is null || to is null))
            throw CaseValidationException.Single("compare", "A comparison needs both 'from' and 'to'.");
        if (def.Subject == IndicatorSubject.Calls)
        {
            if (compareKinds.Length > 0) throw CaseValidationException.Single("compare", "Call figures are not compared across periods yet: ask each period.");
            var buckets = groupBy is not null && Periods.Names.TryGetValue(groupBy, out var callPeriod) && from is not null && to is not null
                ? Buckets(callPeriod, from.Value, to.Value) : null;
            return await Calls.CallFigures.ValueAsync(db, def, slice, from, to, groupBy, buckets, ct);
        }
        if (def.Subject == IndicatorSubject.Patrol)
            throw CaseValidationException.Single("indicator", "漏报率 is an inspector's figure: read it in the inspectors' assessment, its cases at /api/v1/inspectors/{user}/missed.");
        var people = await PeopleAsync(def, slice, ct);
        // The daily aggregates serve the slices they hold (a platform, and a department or a street): whole past days from
        // them, the rest from the facts (decision 033).
        var plan = people is null && from is not null && to is not null && AggregatedSlice(slice) is not null
            && (groupBy is null || Periods.Names.ContainsKey(groupBy) || (groupBy is "department" or "street" or "platform" && AggregatedSlice(slice)!.Value.Dim == ""))
            ? await factDays.PlanAsync(ct) : null;
        if (plan is not null)
            return await HybridValueAsync(def, slice, from!.Value, to!.Value, groupBy, compareKinds, plan, ct);
        IQueryable<CaseFact> Rows(DateTimeOffset? f, DateTimeOffset? t) => OfPeople(Filter(slice, def.Date, f, t), def, people);
        var rows = Rows(from, to);
        var (n, d) = await SumAsync(rows, def, ct);
        var value = def.ValueOf(n, d);
        List<IndicatorGroupDto>? groups = null;
        if (groupBy is not null && Periods.Names.TryGetValue(groupBy, out var periodKind))
        {
            if (from is null || to is null) throw CaseValidationException.Single("groupBy", $"Grouping by {groupBy} needs both 'from' and 'to'.");
            var buckets = Buckets(periodKind, from.Value, to.Value).ToList();
            var sums = await BucketSumsAsync(rows, def, buckets.Select(b => b.Start).ToList(), ct);
            groups = buckets.Select((b, i) =>
            {
                var (gn, gd) = sums.GetValueOrDefault(i);
                return new IndicatorGroupDto(b.Key, def.ValueOf(gn, gd), gn, def.Denominator is null ? null : gd);
            }).ToList();
        }
        else if (groupBy is not null)
        {
            var sums = await GroupAsync(rows, def, groupBy, ct);
            groups = sums.OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new IndicatorGroupDto(g.Key, def.ValueOf(g.N, g.D), g.N, def.Denominator is null ? null : g.D)).ToList();
        }
        List<IndicatorComparisonDto>? comparisons = null;
        foreach (var kind in compareKinds.Distinct())
        {
            var (cFrom, cTo) = kind == "previous" ? PreviousRange(from!.Value, to!.Value) : YearEarlierRange(from!.Value, to!.Value);
            var (cn, cd) = await SumAsync(Rows(cFrom, cTo), def, ct);
            var cValue = def.ValueOf(cn, cd);
            decimal? change = value is { } v && cValue is { } cv ? v - cv : null;
            decimal? changePercent = def.Denominator is null && cn != 0
                ? Math.Round(100m * (n - cn) / cn, IndicatorDefinition.Decimals, MidpointRounding.AwayFromZero) : null;
            (comparisons ??= []).Add(new IndicatorComparisonDto(kind, cFrom, cTo, cValue, cn, def.Denominator is null ? null : cd, change, changePercent));
        }
        return new IndicatorValueDto(Dto(def), from, to, Filters(slice), value, n, def.Denominator is null ? null : d, groupBy, groups, comparisons);
    }

    /// <summary>The aggregates' slice a filter names: the whole platform (''), a department or a street; null when other filters are set.</summary>
    static (string Dim, string? Key)? AggregatedSlice(IndicatorSlice s)
    {
        if (Blank(s.Category) is not null || Blank(s.Source) is not null || Blank(s.RequestType) is not null || Blank(s.Community) is not null
            || Blank(s.Grid) is not null || Blank(s.Reporter) is not null || Blank(s.Person) is not null || Blank(s.Organisation) is not null) return null;
        var (dept, street) = (Blank(s.Department), Blank(s.Street));
        if (dept is not null && street is not null) return null;
        if (dept is not null) return ("lead_department_code", dept);
        if (street is not null) return ("street_code", street);
        return ("", null);
    }

    /// <summary>
    /// <see cref="ValueAsync"/> with the daily aggregates: each sum is the aggregated whole days (fact_days) plus the facts
    /// of the ranges the plan leaves to them, so the value, groups and comparisons are those the facts alone give.
    /// </summary>
    async Task<IndicatorValueDto> HybridValueAsync(IndicatorDefinition def, IndicatorSlice slice, DateTimeOffset from, DateTimeOffset to, string? groupBy,
        string[] compareKinds, FactDayPlan plan, CancellationToken ct)
    {
        var (dim, key) = AggregatedSlice(slice)!.Value;
        var platformCode = Blank(slice.Platform);
        var columns = new[] { FactDayShape.Column(db, def.Numerator), FactDayShape.Column(db, def.Denominator ?? def.Numerator) };
        async Task<(long N, long D)> Total(DateTimeOffset f, DateTimeOffset t)
        {
            var (days, live) = plan.Split(def.Date, f, t);
            var (n, d) = live.Count == 0 ? (0L, 0L) : await SumAsync(FilterRanges(slice, def.Date, live), def, ct);
            foreach (var r in await FactDayReads.SumAsync(db, def.Date, days, [dim], platformCode, key, columns, false, ct)) { n += r.Sums[0]; d += r.Sums[1]; }
            return (n, d);
        }
        var (n, d) = await Total(from, to);
        var value = def.ValueOf(n, d);
        List<IndicatorGroupDto>? groups = null;
        if (groupBy is not null && Periods.Names.TryGetValue(groupBy, out var periodKind))
        {
            var buckets = Buckets(periodKind, from, to).ToList();
            var (days, live) = plan.Split(def.Date, from, to);
            var sums = live.Count == 0 ? [] : await BucketSumsAsync(FilterRanges(slice, def.Date, live), def, buckets.Select(b => b.Start).ToList(), ct);
            foreach (var r in await FactDayReads.SumAsync(db, def.Date, days, [dim], platformCode, key, columns, true, ct))
            {
                var start = FactDayShape.Midnight(r.Day, platform.Value.Zone);
                var i = buckets.FindLastIndex(b => b.Start <= start);
                if (i < 0) continue;
                var (gn, gd) = sums.GetValueOrDefault(i);
                sums[i] = (gn + r.Sums[0], gd + r.Sums[1]);
            }
            groups = buckets.Select((b, i) =>
            {
                var (gn, gd) = sums.GetValueOrDefault(i);
                return new IndicatorGroupDto(b.Key, def.ValueOf(gn, gd), gn, def.Denominator is null ? null : gd);
            }).ToList();
        }
        else if (groupBy is not null)
        {
            var (days, live) = plan.Split(def.Date, from, to);
            var byKey = new Dictionary<string, (long N, long D)>();
            (long N, long D)? none = null;
            if (live.Count > 0)
                foreach (var g in await GroupAsync(FilterRanges(slice, def.Date, live), def, groupBy, ct))
                {
                    if (g.Key is null) none = (g.N, g.D);
                    else byKey[g.Key] = (g.N, g.D);
                }
            var column = groupBy == "platform" ? null : groupBy == "department" ? "lead_department_code" : "street_code";
            var read = await FactDayReads.SumAsync(db, def.Date, days, column is null ? [""] : ["", column], platformCode, null, columns, false, ct);
            long wholeRows = 0, keyRows = 0, wholeN = 0, keyN = 0, wholeD = 0, keyD = 0;
            foreach (var r in read)
            {
                if (column is null || r.Dim == column)
                {
                    var k = column is null ? r.Platform : r.Key;
                    byKey[k] = byKey.TryGetValue(k, out var x) ? (x.N + r.Sums[0], x.D + r.Sums[1]) : (r.Sums[0], r.Sums[1]);
                    if (column is not null) { keyRows += r.Rows; keyN += r.Sums[0]; keyD += r.Sums[1]; }
                }
                else { wholeRows += r.Rows; wholeN += r.Sums[0]; wholeD += r.Sums[1]; }
            }
            // The rows of no department (street): the whole platform's less the slices'.
            if (column is not null && wholeRows > keyRows)
                none = ((none?.N ?? 0) + wholeN - keyN, (none?.D ?? 0) + wholeD - keyD);
            var all = byKey.Select(kv => ((string?)kv.Key, kv.Value.N, kv.Value.D)).ToList();
            if (none is { } z) all.Add((null, z.N, z.D));
            groups = all.OrderBy(g => g.Item1, StringComparer.Ordinal)
                .Select(g => new IndicatorGroupDto(g.Item1, def.ValueOf(g.Item2, g.Item3), g.Item2, def.Denominator is null ? null : g.Item3)).ToList();
        }
        List<IndicatorComparisonDto>? comparisons = null;
        foreach (var kind in compareKinds.Distinct())
        {
            var (cFrom, cTo) = kind == "previous" ? PreviousRange(from, to) : YearEarlierRange(from, to);
            var (cn, cd) = await Total(cFrom, cTo);
            var cValue = def.ValueOf(cn, cd);
            decimal? change = value is { } v && cValue is { } cv ? v - cv : null;
            decimal? changePercent = def.Denominator is null && cn != 0
                ? Math.Round(100m * (n - cn) / cn, IndicatorDefinition.Decimals, MidpointRounding.AwayFromZero) : null;
            (comparisons ??= []).Add(new IndicatorComparisonDto(kind, cFrom, cTo, cValue, cn, def.Denominator is null ? null : cd, change, changePercent));
        }
        return new IndicatorValueDto(Dto(def), from, to, Filters(slice), value, n, def.Denominator is null ? null : d, groupBy, groups, comparisons);
    }

    /// <summary>The slice's rows whose date falls in any of the ranges (each range on the date's own index).</summary>
    internal IQueryable<CaseFact> FilterRanges(IndicatorSlice s, FactDate date, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> ranges)
    {
        var q = Filter(s, date, null, null);
        var f = System.Linq.Expressions.Expression.Parameter(typeof(CaseFact), "f");
        var property = System.Linq.Expressions.Expression.Property(f, FactSums.DateProperty(date));
        System.Linq.Expressions.Expression? any = null;
        foreach (var (lo, hi) in ranges)
        {
            var range = System.Linq.Expressions.Expression.AndAlso(
                System.Linq.Expressions.Expression.GreaterThanOrEqual(property, System.Linq.Expressions.Expression.Constant(lo, property.Type)),
                System.Linq.Expressions.Expression.LessThan(property, System.Linq.Expressions.Expression.Constant(hi, property.Type)));
            any = any is null ? range : System.Linq.Expressions.Expression.OrElse(any, range);
        }
        any ??= System.Linq.Expressions.Expression.Constant(false);
        return q.Where(System.Linq.Expressions.Expression.Lambda<Func<CaseFact, bool>>(any, f));
    }

    /// <summary>
    /// The period before [from, to): the previous week, half-month, month, quarter or year when the range is exactly
    /// one of them in local days, else the range of the same length just before.
    /// </summary>
    (DateTimeOffset From, DateTimeOffset To) PreviousRange(DateTimeOffset from, DateTimeOffset to)
    {
        if (WholePeriod(from, to) is { } p) return (LocalMidnight(p.Previous().Start), LocalMidnight(p.Previous().End));
        return (from - (to - from), from);
    }

    /// <summary>The same range a year earlier (the same week, half-month … of last year).</summary>
    (DateTimeOffset From, DateTimeOffset To) YearEarlierRange(DateTimeOffset from, DateTimeOffset to)
    {
        if (WholePeriod(from, to) is { } p) return (LocalMidnight(p.YearEarlier().Start), LocalMidnight(p.YearEarlier().End));
        return (LocalShift(from, -1), LocalShift(to, -1));
    }

    Period? WholePeriod(DateTimeOffset from, DateTimeOffset to)
    {
        var (start, end) = (LocalDay(from), LocalDay(to));
        if (LocalMidnight(start) != from || LocalMidnight(end) != to) return null;
        foreach (var kind in new[] { PeriodKind.Year, PeriodKind.Quarter, PeriodKind.Month, PeriodKind.HalfMonth, PeriodKind.Week, PeriodKind.Day })
            if (Periods.Of(kind, start) is var p && p.Start == start && p.End == end) return p;
        return null;
    }

    DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, platform.Value.Zone).DateTime);

    DateTimeOffset LocalShift(DateTimeOffset at, int years)
    {
        var local = TimeZoneInfo.ConvertTime(at, platform.Value.Zone).DateTime.AddYears(years);
        return new DateTimeOffset(local, platform.Value.Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public async Task<IndicatorCasesDto> CasesAsync(IndicatorDefinition def, IndicatorSlice slice, string? part, int page, int pageSize, CancellationToken ct)
    {
        part ??= "numerator";
        var counter = part switch
        {
            "numerator" => def.Numerator,
            "denominator" => def.Denominator ?? throw CaseValidationException.Single("part", "This indicator is a count: it has no denominator."),
            _ => throw CaseValidationException.Single("part", "Give 'numerator' or 'denominator'."),
        };
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 1000);
        var (from, to) = PeriodRange(slice);
        if (def.Subject == IndicatorSubject.Calls) return await Calls.CallFigures.CallsAsync(db, def, slice, part, counter, from, to, page, pageSize, ct);
        if (def.Subject == IndicatorSubject.Patrol)
            throw CaseValidationException.Single("indicator", "漏报率's cases are at /api/v1/inspectors/{user}/missed.");
        var rows = OfPeople(Filter(slice, def.Date, from, to), def, await PeopleAsync(def, slice, ct)).Where(f => EF.Property<int>(f, counter) > 0);
        // The total and the count in one pass over the period's rows.
        var agg = await rows.GroupBy(f => 1).Select(g => new { Total = g.Sum(f => EF.Property<int>(f, counter)), Cases = g.Count() }).FirstOrDefaultAsync(ct);
        var (total, cases) = agg is null ? (0, 0) : (agg.Total, agg.Cases);
        var items = await rows.OrderBy(f => f.CaseNumber).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(f => new IndicatorCaseDto(f.CaseId, f.CaseNumber, EF.Property<int>(f, counter))).ToListAsync(ct);
        return new IndicatorCasesDto(def.Id, part, Kebab.From(counter), total, cases, page, pageSize, items);
    }

    /// <summary>
    /// The user ids a person or organisation filter names (null: no such filter). A person's figure is the rows whose
    /// accountable-person column (<see cref="IndicatorDefinition.Actor"/>) is that person — the assessment's own rule.
    /// </summary>
    async Task<string[]?> PeopleAsync(IndicatorDefinition def, IndicatorSlice slice, CancellationToken ct)
    {
        var person = Blank(slice.Person);
        var organisation = Blank(slice.Organisation);
        if (person is null && organisation is null) return null;
        if (def.Actor is null)
            throw CaseValidationException.Single(person is null ? "organisation" : "person", $"'{def.Id}' is nobody's own figure: it has no person to filter by.");
        var users = db.Users.AsNoTracking();
        users = person is not null ? users.Where(u => u.UserName == person) : users.Where(u => u.Organisation == organisation);
        var ids = (await users.Select(u => u.Id).ToListAsync(ct)).Select(id => id.ToString()).ToArray();
        if (ids.Length == 0) throw new NotFoundException(person is not null ? $"There is no user '{person}'." : $"Nobody belongs to '{organisation}'.");
        return ids;
    }

    static IQueryable<CaseFact> OfPeople(IQueryable<CaseFact> rows, IndicatorDefinition def, string[]? ids) =>
        ids is null ? rows : rows.Where(f => ids.Contains(EF.Property<string?>(f, def.Actor!)));

    static async Task<(long N, long D)> SumAsync(IQueryable<CaseFact> rows, IndicatorDefinition def, CancellationToken ct)
    {
        var den = def.Denominator ?? def.Numerator;
        var sums = await rows.GroupBy(f => 1)
            .Select(g => new { N = g.Sum(f => EF.Property<int>(f, def.Numerator)), D = g.Sum(f => EF.Property<int>(f, den)) })
            .FirstOrDefaultAsync(ct);
        return sums is null ? (0, 0) : (sums.N, sums.D);
    }

    /// <summary>
    /// The sums per period of a series (a trend by day, a year by month) in one grouped query: the rows are already
    /// within [first start, last end), and each falls in the bucket whose start is the last one at or before its date,
    /// found by a balanced CASE over the starts (one query instead of one per bucket — 30 for a month's trend).
    /// </summary>
    static async Task<Dictionary<int, (long N, long D)>> BucketSumsAsync(IQueryable<CaseFact> rows, IndicatorDefinition def, IReadOnlyList<DateTimeOffset> starts,
        CancellationToken ct)
    {
        if (starts.Count == 0) return [];
        var f = System.Linq.Expressions.Expression.Parameter(typeof(CaseFact), "f");
        var date = System.Linq.Expressions.Expression.Call(typeof(EF), nameof(EF.Property), [typeof(DateTimeOffset?)], f,
            System.Linq.Expressions.Expression.Constant(FactSums.DateProperty(def.Date)));
        System.Linq.Expressions.Expression Index(int lo, int hi)
        {
            if (lo == hi) return System.Linq.Expressions.Expression.Constant(lo);
            var mid = (lo + hi + 1) / 2;
            return System.Linq.Expressions.Expression.Condition(
                System.Linq.Expressions.Expression.LessThan(date, System.Linq.Expressions.Expression.Constant((DateTimeOffset?)starts[mid], typeof(DateTimeOffset?))),
                Index(lo, mid - 1), Index(mid, hi));
        }
        var key = System.Linq.Expressions.Expression.Lambda<Func<CaseFact, int>>(Index(0, starts.Count - 1), f);
        var num = def.Numerator;
        var den = def.Denominator ?? def.Numerator;
        return (await rows.GroupBy(key).Select(g => new { g.Key, N = g.Sum(x => EF.Property<int>(x, num)), D = g.Sum(x => EF.Property<int>(x, den)) })
            .ToListAsync(ct)).ToDictionary(g => g.Key, g => ((long)g.N, (long)g.D));
    }

    static async Task<List<(string? Key, long N, long D)>> GroupAsync(IQueryable<CaseFact> rows, IndicatorDefinition def, string groupBy, CancellationToken ct)
    {
        var num = def.Numerator;
        var den = def.Denominator ?? def.Numerator;
        if (groupBy is "source")
            return (await rows.GroupBy(f => f.Source).Select(g => new { g.Key, N = g.Sum(f => EF.Property<int>(f, num)), D = g.Sum(f => EF.Property<int>(f, den)) })
                .ToListAsync(ct)).Select(g => ((string?)Kebab.From(g.Key.ToString()), (long)g.N, (long)g.D)).ToList();
        if (groupBy is "requestType")
            return (await rows.GroupBy(f => f.RequestType).Select(g => new { g.Key, N = g.Sum(f => EF.Property<int>(f, num)), D = g.Sum(f => EF.Property<int>(f, den)) })
                .ToListAsync(ct)).Select(g => ((string?)Kebab.From(g.Key.ToString()), (long)g.N, (long)g.D)).ToList();
        var column = groupBy switch
        {
            "department" => nameof(CaseFact.LeadDepartmentCode),
            "platform" => nameof(CaseFact.PlatformCode),
            "street" => nameof(CaseFact.StreetCode),
            "community" => nameof(CaseFact.CommunityCode),
            "grid" => nameof(CaseFact.GridCode),
            "reporter" => nameof(CaseFact.ReportedBy),
            _ => nameof(CaseFact.CategoryCode),
        };
        return (await rows.GroupBy(f => EF.Property<string?>(f, column))
            .Select(g => new { g.Key, N = g.Sum(f => EF.Property<int>(f, num)), D = g.Sum(f => EF.Property<int>(f, den)) })
            .ToListAsync(ct)).Select(g => (g.Key, (long)g.N, (long)g.D)).ToList();
    }

    internal IQueryable<CaseFact> Filter(IndicatorSlice s, FactDate date, DateTimeOffset? from, DateTimeOffset? to)
    {
        var q = db.Set<CaseFact>().AsNoTracking();
        if (Blank(s.Platform) is { } platformCode) q = q.Where(f => f.PlatformCode == platformCode);
        if (Blank(s.Department) is { } dept) q = q.Where(f => f.LeadDepartmentCode == dept);
        if (Blank(s.Street) is { } street) q = q.Where(f => f.StreetCode == street);
        if (Blank(s.Category) is { } category) q = q.Where(f => f.CategoryCode == category);
        if (Blank(s.Community) is { } community) q = q.Where(f => f.CommunityCode == community);
        if (Blank(s.Grid) is { } grid) q = q.Where(f => f.GridCode == grid);
        if (Blank(s.Reporter) is { } reporter) q = q.Where(f => f.ReportedBy == reporter);
        if (Blank(s.Source) is { } source)
        {
            if (!Kebab.TryParse<CaseSource>(source, out var src)) throw CaseValidationException.Single("source", $"Unknown source '{source}'.");
            q = q.Where(f => f.Source == src);
        }
        if (Blank(s.RequestType) is { } type)
        {
            if (!Kebab.TryParse<RequestType>(type, out var rt)) throw CaseValidationException.Single("requestType", $"Unknown request type '{type}'.");
            q = q.Where(f => f.RequestType == rt);
        }
        if (from is null && to is null) return q;
        var lo = from ?? DateTimeOffset.MinValue.ToUniversalTime();
        var hi = to ?? new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // One typed range per date, so each uses its (platform, date) index.
        return date switch
        {
            FactDate.Received => q.Where(f => f.ReceivedAt >= lo && f.ReceivedAt < hi),
            FactDate.Filed => q.Where(f => f.FiledAt >= lo && f.FiledAt < hi),
            FactDate.Dispatched => q.Where(f => f.DispatchedAt >= lo && f.DispatchedAt < hi),
            FactDate.HandlingDue => q.Where(f => f.HandlingDueAt >= lo && f.HandlingDueAt < hi),
            FactDate.Finished => q.Where(f => f.FinishedAt >= lo && f.FinishedAt < hi),
            FactDate.Closed => q.Where(f => f.ClosedAt >= lo && f.ClosedAt < hi),
            _ => q.Where(f => f.FollowedUpAt >= lo && f.FollowedUpAt < hi),
        };
    }

    /// <summary>
    /// 'from' and 'to' are local dates of the platform (both included) or instants ('to' excluded); the result is the
    /// half-open UTC range [from, to).
    /// </summary>
    internal (DateTimeOffset? From, DateTimeOffset? To) PeriodRange(IndicatorSlice s)
    {
        var from = Parse(s.From, "from", endOfDay: false);
        var to = Parse(s.To, "to", endOfDay: true);
        if (from is not null && to is not null && to <= from) throw CaseValidationException.Single("to", "'to' must be after 'from'.");
        return (from, to);
    }

    DateTimeOffset? Parse(string? text, string name, bool endOfDay)
    {
        if (Blank(text) is not { } t) return null;
        if (DateOnly.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return LocalMidnight(endOfDay ? day.AddDays(1) : day);
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) && t.Length > 10)
            return instant.ToUniversalTime();
        throw CaseValidationException.Single(name, $"'{name}' is a date (yyyy-MM-dd) or an instant with its offset.");
    }

    internal DateTimeOffset LocalMidnight(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, platform.Value.Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The local calendar periods of the kind over [from, to), each clipped to the range.</summary>
    IEnumerable<(string Key, DateTimeOffset Start, DateTimeOffset End)> Buckets(PeriodKind kind, DateTimeOffset from, DateTimeOffset to)
    {
        var all = Periods.Between(kind, LocalDay(from), LocalDay(to).AddDays(1)).Take(1001).ToList();
        if (all.Count > 1000) throw CaseValidationException.Single("groupBy", "That gives more than 1,000 periods: choose a longer period or a shorter range.");
        foreach (var p in all)
        {
            var (start, end) = (LocalMidnight(p.Start), LocalMidnight(p.End));
            if (start >= to || end <= from) continue;
            yield return (p.Key, start < from ? from : start, end > to ? to : end);
        }
    }

    static IReadOnlyDictionary<string, string> Filters(IndicatorSlice s)
    {
        var filters = new Dictionary<string, string>();
        void Add(string key, string? value) { if (Blank(value) is { } v) filters[key] = v; }
        Add("platform", s.Platform);
        Add("department", s.Department);
        Add("street", s.Street);
        Add("category", s.Category);
        Add("source", s.Source);
        Add("requestType", s.RequestType);
        Add("community", s.Community);
        Add("grid", s.Grid);
        Add("reporter", s.Reporter);
        Add("person", s.Person);
        Add("organisation", s.Organisation);
        return filters;
    }

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

public static class IndicatorEndpoints
{
    public static void MapIndicatorEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/indicators").WithTags("Indicators").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("", Catalogue).WithName("ListIndicators");
        g.MapGet("/{id}", Value).WithName("GetIndicator");
        g.MapGet("/{id}/cases", Cases).WithName("GetIndicatorCases");
    }

    static async Task<Ok<IReadOnlyList<IndicatorDto>>> Catalogue(CurrentActor current)
    {
        var actor = await current.GetAsync();
        IndicatorQueries.Authorize(actor, new IndicatorSlice(null, null, null, null, null, null, null, null));
        return TypedResults.Ok<IReadOnlyList<IndicatorDto>>(IndicatorCatalogue.All.Select(IndicatorQueries.Dto).ToList());
    }

    static async Task<Ok<IndicatorValueDto>> Value(string id, string? from, string? to, string? platform, string? department, string? street,
        string? category, string? source, string? requestType, string? community, string? grid, string? reporter, string? person, string? organisation,
        string? groupBy, string? compare, CurrentActor current, IndicatorQueries queries, CancellationToken ct)
    {
        var def = IndicatorQueries.Find(id);
        var slice = IndicatorQueries.Authorize(await current.GetAsync(),
            new IndicatorSlice(from, to, platform, department, street, category, source, requestType, community, grid, reporter, person, organisation));
        return TypedResults.Ok(await queries.ValueAsync(def, slice, groupBy, ct, compare));
    }

    static async Task<Ok<IndicatorCasesDto>> Cases(string id, string? from, string? to, string? platform, string? department, string? street,
        string? category, string? source, string? requestType, string? community, string? grid, string? reporter, string? person, string? organisation,
        string? part, int? page, int? pageSize, CurrentActor current, IndicatorQueries queries, CancellationToken ct)
    {
        var def = IndicatorQueries.Find(id);
        var slice = IndicatorQueries.Authorize(await current.GetAsync(),
            new IndicatorSlice(from, to, platform, department, street, category, source, requestType, community, grid, reporter, person, organisation));
        return TypedResults.Ok(await queries.CasesAsync(def, slice, part, page ?? 1, pageSize ?? 200, ct));
    }
}
