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
    decimal? Value, long Numerator, long? Denominator, string? GroupBy, IReadOnlyList<IndicatorGroupDto>? Groups);

public sealed record IndicatorCaseDto(Guid Id, string Number, int Count);

public sealed record IndicatorCasesDto(string Indicator, string Part, string Counter, long Total, int Cases, int Page, int PageSize,
    IReadOnlyList<IndicatorCaseDto> Items);

/// <summary>The slice and period of a figure, as the query string gives them.</summary>
public sealed record IndicatorSlice(string? From, string? To, string? Platform, string? Department, string? Street, string? Category,
    string? Source, string? RequestType);

/// <summary>
/// Figures from the fact table: one SQL sum (or one per group) of the definition's counters over the rows of the
/// slice whose period date falls in [from, to); the drill-down lists the rows with a non-zero counter, so it always
/// adds up to the figure.
/// </summary>
public sealed class IndicatorQueries(CityLoopDb db, IOptions<PlatformOptions> platform)
{
    public static readonly IReadOnlySet<Role> Readers = new HashSet<Role>
        { Role.Supervisor, Role.ShiftLeader, Role.Dispatcher, Role.DepartmentHandler, Role.DepartmentHead };

    static readonly string[] GroupKeys = ["department", "street", "category", "source", "requestType", "month"];

    public static IndicatorDto Dto(IndicatorDefinition d) => new(d.Id, d.NameZh, d.NameEn, Kebab.From(d.Unit.ToString()),
        Kebab.From(d.Numerator), d.Denominator is null ? null : Kebab.From(d.Denominator), Kebab.From(d.Date.ToString()),
        IndicatorDefinition.Decimals, d.HowZh, d.HowEn, d.Source);

    public static IndicatorDefinition Find(string id) =>
        IndicatorCatalogue.Find(id) ?? throw new NotFoundException($"There is no indicator '{id}'.");

    /// <summary>Department staff see their own department's figures only; the centre's roles see every slice.</summary>
    public static IndicatorSlice Authorize(Actor actor, IndicatorSlice slice)
    {
        if (actor.Roles.Any(r => r is Role.Supervisor or Role.ShiftLeader or Role.Dispatcher)) return slice;
        if (!actor.Roles.Any(Readers.Contains) || actor.DepartmentCode is null)
            throw new CaseForbiddenException("Figures are for supervisors, shift leaders, dispatchers and department staff.");
        if (slice.Department is { Length: > 0 } d && d != actor.DepartmentCode)
            throw new CaseForbiddenException("Department staff see their own department's figures only.");
        return slice with { Department = actor.DepartmentCode };
    }

    public async Task<IndicatorValueDto> ValueAsync(IndicatorDefinition def, IndicatorSlice slice, string? groupBy, CancellationToken ct)
    {
        var (from, to) = Period(slice);
        if (groupBy is not null && !GroupKeys.Contains(groupBy))
            throw CaseValidationException.Single("groupBy", $"Group by one of: {string.Join(", ", GroupKeys)}.");
        if (def.Subject == IndicatorSubject.Calls)
            return await Calls.CallFigures.ValueAsync(db, def, slice, from, to, groupBy, from is null || to is null ? null : Months(from.Value, to.Value), ct);
        var rows = Filter(slice, def.Date, from, to);
        var (n, d) = await SumAsync(rows, def, ct);
        List<IndicatorGroupDto>? groups = null;
        if (groupBy == "month")
        {
            if (from is null || to is null) throw CaseValidationException.Single("groupBy", "Grouping by month needs both 'from' and 'to'.");
            groups = [];
            foreach (var (key, start, end) in Months(from.Value, to.Value))
            {
                var (gn, gd) = await SumAsync(Filter(slice, def.Date, start, end), def, ct);
                groups.Add(new IndicatorGroupDto(key, def.ValueOf(gn, gd), gn, def.Denominator is null ? null : gd));
            }
        }
        else if (groupBy is not null)
        {
            var sums = await GroupAsync(rows, def, groupBy, ct);
            groups = sums.OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new IndicatorGroupDto(g.Key, def.ValueOf(g.N, g.D), g.N, def.Denominator is null ? null : g.D)).ToList();
        }
        return new IndicatorValueDto(Dto(def), from, to, Filters(slice), def.ValueOf(n, d), n, def.Denominator is null ? null : d, groupBy, groups);
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
        var (from, to) = Period(slice);
        if (def.Subject == IndicatorSubject.Calls) return await Calls.CallFigures.CallsAsync(db, def, slice, part, counter, from, to, page, pageSize, ct);
        var rows = Filter(slice, def.Date, from, to).Where(f => EF.Property<int>(f, counter) > 0);
        var total = await rows.SumAsync(f => EF.Property<int>(f, counter), ct);
        var cases = await rows.CountAsync(ct);
        var items = await rows.OrderBy(f => f.CaseNumber).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(f => new IndicatorCaseDto(f.CaseId, f.CaseNumber, EF.Property<int>(f, counter))).ToListAsync(ct);
        return new IndicatorCasesDto(def.Id, part, Kebab.From(counter), total, cases, page, pageSize, items);
    }

    static async Task<(long N, long D)> SumAsync(IQueryable<CaseFact> rows, IndicatorDefinition def, CancellationToken ct)
    {
        var den = def.Denominator ?? def.Numerator;
        var sums = await rows.GroupBy(f => 1)
            .Select(g => new { N = g.Sum(f => EF.Property<int>(f, def.Numerator)), D = g.Sum(f => EF.Property<int>(f, den)) })
            .FirstOrDefaultAsync(ct);
        return sums is null ? (0, 0) : (sums.N, sums.D);
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
            "street" => nameof(CaseFact.StreetCode),
            _ => nameof(CaseFact.CategoryCode),
        };
        return (await rows.GroupBy(f => EF.Property<string?>(f, column))
            .Select(g => new { g.Key, N = g.Sum(f => EF.Property<int>(f, num)), D = g.Sum(f => EF.Property<int>(f, den)) })
            .ToListAsync(ct)).Select(g => (g.Key, (long)g.N, (long)g.D)).ToList();
    }

    IQueryable<CaseFact> Filter(IndicatorSlice s, FactDate date, DateTimeOffset? from, DateTimeOffset? to)
    {
        var q = db.Set<CaseFact>().AsNoTracking();
        if (Blank(s.Platform) is { } platformCode) q = q.Where(f => f.PlatformCode == platformCode);
        if (Blank(s.Department) is { } dept) q = q.Where(f => f.LeadDepartmentCode == dept);
        if (Blank(s.Street) is { } street) q = q.Where(f => f.StreetCode == street);
        if (Blank(s.Category) is { } category) q = q.Where(f => f.CategoryCode == category);
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
    (DateTimeOffset? From, DateTimeOffset? To) Period(IndicatorSlice s)
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

    DateTimeOffset LocalMidnight(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, platform.Value.Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    IEnumerable<(string Key, DateTimeOffset Start, DateTimeOffset End)> Months(DateTimeOffset from, DateTimeOffset to)
    {
        var zone = platform.Value.Zone;
        var first = TimeZoneInfo.ConvertTime(from, zone);
        var month = new DateOnly(first.Year, first.Month, 1);
        for (var i = 0; i < 240; i++, month = month.AddMonths(1))
        {
            var start = LocalMidnight(month);
            if (start >= to) yield break;
            var end = LocalMidnight(month.AddMonths(1));
            yield return (month.ToString("yyyy-MM", CultureInfo.InvariantCulture), start < from ? from : start, end > to ? to : end);
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
        string? category, string? source, string? requestType, string? groupBy, CurrentActor current, IndicatorQueries queries, CancellationToken ct)
    {
        var def = IndicatorQueries.Find(id);
        var slice = IndicatorQueries.Authorize(await current.GetAsync(), new IndicatorSlice(from, to, platform, department, street, category, source, requestType));
        return TypedResults.Ok(await queries.ValueAsync(def, slice, groupBy, ct));
    }

    static async Task<Ok<IndicatorCasesDto>> Cases(string id, string? from, string? to, string? platform, string? department, string? street,
        string? category, string? source, string? requestType, string? part, int? page, int? pageSize, CurrentActor current, IndicatorQueries queries,
        CancellationToken ct)
    {
        var def = IndicatorQueries.Find(id);
        var slice = IndicatorQueries.Authorize(await current.GetAsync(), new IndicatorSlice(from, to, platform, department, street, category, source, requestType));
        return TypedResults.Ok(await queries.CasesAsync(def, slice, part, page ?? 1, pageSize ?? 200, ct));
    }
}
