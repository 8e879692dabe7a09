using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Indicators;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Calls;

/// <summary>
/// The call figures of the catalogue (<see cref="IndicatorSubject.Calls"/>): Σ of the call records' counters over the
/// platform's calls that reached the hotline in [from, to); the drill-down lists those calls (their call id as the
/// number), so it adds up to the figure as the case figures' does.
/// </summary>
public static class CallFigures
{
    public static async Task<IndicatorValueDto> ValueAsync(CityLoopDb db, IndicatorDefinition def, IndicatorSlice slice, DateTimeOffset? from,
        DateTimeOffset? to, string? groupBy, IEnumerable<(string Key, DateTimeOffset Start, DateTimeOffset End)>? months, CancellationToken ct)
    {
        Check(slice);
        if (groupBy is not null && !Domain.Indicators.Periods.Names.ContainsKey(groupBy))
            throw CaseValidationException.Single("groupBy", "Call figures are grouped by period only (day, week, half-month, month, quarter, year).");
        var (n, d) = await SumAsync(Rows(db, slice, from, to), def, ct);
        List<IndicatorGroupDto>? groups = null;
        if (groupBy is not null)
        {
            if (months is null) throw CaseValidationException.Single("groupBy", $"Grouping by {groupBy} needs both 'from' and 'to'.");
            groups = [];
            foreach (var (key, start, end) in months)
            {
                var (gn, gd) = await SumAsync(Rows(db, slice, start, end), def, ct);
                groups.Add(new IndicatorGroupDto(key, def.ValueOf(gn, gd), gn, def.Denominator is null ? null : gd));
            }
        }
        var filters = new Dictionary<string, string>();
        if (!string.IsNullOrWhiteSpace(slice.Platform)) filters["platform"] = slice.Platform.Trim();
        return new IndicatorValueDto(IndicatorQueries.Dto(def), from, to, filters, def.ValueOf(n, d), n, def.Denominator is null ? null : d, groupBy, groups);
    }

    public static async Task<IndicatorCasesDto> CallsAsync(CityLoopDb db, IndicatorDefinition def, IndicatorSlice slice, string part, string counter,
        DateTimeOffset? from, DateTimeOffset? to, int page, int pageSize, CancellationToken ct)
    {
        Check(slice);
        var rows = Rows(db, slice, from, to).Where(c => EF.Property<int>(c, counter) > 0);
        var total = await rows.SumAsync(c => EF.Property<int>(c, counter), ct);
        var calls = await rows.CountAsync(ct);
        var items = await rows.OrderBy(c => c.QueuedAt).ThenBy(c => c.CallId).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(c => new IndicatorCaseDto(c.Id, c.CallId, EF.Property<int>(c, counter))).ToListAsync(ct);
        return new IndicatorCasesDto(def.Id, part, Kebab.From(counter), total, calls, page, pageSize, items);
    }

    static void Check(IndicatorSlice s)
    {
        if (new[] { s.Department, s.Street, s.Category, s.Source, s.RequestType }.Any(v => !string.IsNullOrWhiteSpace(v)))
            throw CaseValidationException.Single("filters", "Call figures are sliced by platform and period only: a call has no department, street, category, channel or request type.");
    }

    static IQueryable<CallRecord> Rows(CityLoopDb db, IndicatorSlice s, DateTimeOffset? from, DateTimeOffset? to)
    {
        var q = db.Set<CallRecord>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(s.Platform))
        {
            var code = s.Platform.Trim();
            q = q.Where(c => c.PlatformCode == code);
        }
        if (from is { } lo) q = q.Where(c => c.QueuedAt >= lo);
        if (to is { } hi) q = q.Where(c => c.QueuedAt < hi);
        return q;
    }

    static async Task<(long N, long D)> SumAsync(IQueryable<CallRecord> rows, IndicatorDefinition def, CancellationToken ct)
    {
        var den = def.Denominator ?? def.Numerator;
        var sums = await rows.GroupBy(c => 1)
            .Select(g => new { N = g.Sum(c => EF.Property<int>(c, def.Numerator)), D = g.Sum(c => EF.Property<int>(c, den)) })
            .FirstOrDefaultAsync(ct);
        return sums is null ? (0, 0) : (sums.N, sums.D);
    }
}
