using System.Data.Common;
using System.Text;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CityLoop.Server.Features.Indicators;

/// <summary>
/// Several indicators over several periods, grouped by one column, in one pass over the fact rows (decision 032). An
/// assessment needs each term's numerator and denominator for the period and the one before, each on its own period
/// date: as separate grouped sums that is ten range reads of the same month's rows; here it is one read of the rows
/// whose dates fall in any of the ranges (each date's index finds them), and every sum takes only the rows of its own
/// date and period (<c>SUM(CASE WHEN date in period THEN counter ELSE 0 END)</c>). The same on both databases.
/// </summary>
public static class FactSums
{
    public static string DateProperty(FactDate date) => date switch
    {
        FactDate.Received => nameof(CaseFact.ReceivedAt),
        FactDate.Filed => nameof(CaseFact.FiledAt),
        FactDate.Dispatched => nameof(CaseFact.DispatchedAt),
        FactDate.HandlingDue => nameof(CaseFact.HandlingDueAt),
        FactDate.Finished => nameof(CaseFact.FinishedAt),
        FactDate.Closed => nameof(CaseFact.ClosedAt),
        _ => nameof(CaseFact.FollowedUpAt),
    };

    /// <summary>
    /// For each period (in the order given): group key → indicator id → (numerator, denominator), over the rows of
    /// <paramref name="platformCode"/> (all when null) whose group column is not null (and among <paramref name="keys"/>
    /// when given); a key has an indicator's entry where it has rows on that indicator's date in the period, as a
    /// grouped sum would. A count's denominator is its numerator. With a <paramref name="plan"/> (decision 033), the
    /// aggregated whole days come from fact_days and only the rest from the facts; the sums are the same.
    /// </summary>
    public static async Task<List<Dictionary<string, Dictionary<string, (long N, long D)>>>> GroupedAsync(CityLoopDb db, string groupProperty,
        IReadOnlyList<IndicatorDefinition> indicators, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, string? platformCode,
        IReadOnlyCollection<string>? keys, CancellationToken ct, FactDayPlan? plan = null)
    {
        var result = periods.Select(_ => new Dictionary<string, Dictionary<string, (long, long)>>()).ToList();
        if (indicators.Count == 0 || periods.Count == 0 || keys is { Count: 0 }) return result;
        var entity = db.Model.FindEntityType(typeof(CaseFact))!;
        string Col(string property) => entity.FindProperty(property)!.GetColumnName();
        object At(DateTimeOffset at) => db.IsPostgres ? at.ToUniversalTime() : at.ToUnixTimeMilliseconds();
        // The aggregates hold this grouping on every date asked for: the whole platform's rows by platform, or a slice column.
        var byPlatform = groupProperty == nameof(CaseFact.PlatformCode);
        if (plan is not null && !byPlatform && indicators.Any(d => !FactDayShape.DimProperties(d.Date).Contains(groupProperty))) plan = null;
        // Per period and indicator: the aggregated day runs and the ranges left to the facts.
        var split = periods.Select(p => indicators.Select(d => plan is null
            ? (Days: new List<(int From, int To)>(), Live: new List<(DateTimeOffset From, DateTimeOffset To)> { (p.From, p.To) })
            : plan.Split(d.Date, p.From, p.To)).ToList()).ToList();
        var width = periods.Count * indicators.Count * 3;
        var sums = new Dictionary<string, long[]>();
        long[] Of(string key) => sums.TryGetValue(key, out var a) ? a : sums[key] = new long[width];
        var group = Col(groupProperty);

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (split.Any(p => p.Any(x => x.Live.Count > 0)))
            {
                await using var cmd = db.Database.GetDbConnection().CreateCommand();
                cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
                string Param(object value) => FactDayShape.Parameter(cmd, value);
                var sql = new StringBuilder($"SELECT {group}");
                var rowRanges = new List<string>();
                var known = new Dictionary<(string, DateTimeOffset, DateTimeOffset), string>();
                string Range(string date, DateTimeOffset from, DateTimeOffset to)
                {
                    if (known.TryGetValue((date, from, to), out var range)) return range;
                    range = $"({date} >= {Param(At(from))} AND {date} < {Param(At(to))})";
                    rowRanges.Add(range);
                    return known[(date, from, to)] = range;
                }
                for (var k = 0; k < periods.Count; k++)
                    for (var i = 0; i < indicators.Count; i++)
                    {
                        var def = indicators[i];
                        var date = Col(DateProperty(def.Date));
                        var live = split[k][i].Live;
                        var ranges = live.Select(r => Range(date, r.From, r.To)).ToList();
                        var when = ranges.Count == 0 ? "1 = 0" : string.Join(" OR ", ranges);
                        sql.Append($", SUM(CASE WHEN {when} THEN 1 ELSE 0 END), SUM(CASE WHEN {when} THEN {Col(def.Numerator)} ELSE 0 END)" +
                            $", SUM(CASE WHEN {when} THEN {Col(def.Denominator ?? def.Numerator)} ELSE 0 END)");
                    }
                sql.Append($" FROM case_facts WHERE {group} IS NOT NULL");
                if (platformCode is not null) sql.Append($" AND {Col(nameof(CaseFact.PlatformCode))} = {Param(platformCode)}");
                if (keys is not null) sql.Append($" AND {group} IN ({string.Join(", ", keys.Select(k => Param(k)))})");
                if (plan is null)
                {
                    // The rows of any date in any period: each date's own index finds its range.
                    var span = (From: Param(At(periods.Min(p => p.From))), To: Param(At(periods.Max(p => p.To))));
                    var dates = indicators.Select(d => Col(DateProperty(d.Date))).Distinct().Select(date => $"({date} >= {span.From} AND {date} < {span.To})");
                    sql.Append($" AND ({string.Join(" OR ", dates)})");
                }
                else sql.Append($" AND ({string.Join(" OR ", rowRanges)})");
                sql.Append($" GROUP BY {group}");
                cmd.CommandText = sql.ToString();
                await ReadAsync(cmd);
            }
            if (plan is not null && split.Any(p => p.Any(x => x.Days.Count > 0)))
            {
                var key = byPlatform ? "platform_code" : db.IsPostgres ? "key" : "\"key\"";
                var sql = new StringBuilder($"SELECT {key}");
                var kinds = new HashSet<int>();
                var (lo, hi) = (int.MaxValue, int.MinValue);
                for (var k = 0; k < periods.Count; k++)
                    for (var i = 0; i < indicators.Count; i++)
                    {
                        var def = indicators[i];
                        var days = split[k][i].Days;
                        if (days.Count > 0) { kinds.Add((int)def.Date); lo = Math.Min(lo, days.Min(d => d.From)); hi = Math.Max(hi, days.Max(d => d.To)); }
                        var when = days.Count == 0 ? "1 = 0"
                            : $"kind = {(int)def.Date} AND ({string.Join(" OR ", days.Select(d => $"(day >= {d.From} AND day < {d.To})"))})";
                        sql.Append($", SUM(CASE WHEN {when} THEN fact_rows ELSE 0 END), SUM(CASE WHEN {when} THEN {Col(def.Numerator)} ELSE 0 END)" +
                            $", SUM(CASE WHEN {when} THEN {Col(def.Denominator ?? def.Numerator)} ELSE 0 END)");
                    }
                await using var cmd = FactDayShape.Command(db, "");
                string Param(object value) => FactDayShape.Parameter(cmd, value);
                sql.Append($" FROM fact_days WHERE dim = {Param(byPlatform ? "" : group)} AND kind IN ({string.Join(", ", kinds)}) AND day >= {lo} AND day < {hi}");
                if (platformCode is not null) sql.Append($" AND platform_code = {Param(platformCode)}");
                if (keys is not null) sql.Append($" AND {key} IN ({string.Join(", ", keys.Select(k => Param(k)))})");
                sql.Append($" GROUP BY {key}");
                cmd.CommandText = sql.ToString();
                await ReadAsync(cmd);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        foreach (var (key, a) in sums)
        {
            var i = 0;
            foreach (var byKey in result)
                foreach (var def in indicators)
                {
                    // As a grouped sum per indicator and period would: a key has a figure where it has rows.
                    if (a[i] > 0)
                    {
                        if (!byKey.TryGetValue(key, out var figures)) byKey[key] = figures = [];
                        figures[def.Id] = (a[i + 1], a[i + 2]);
                    }
                    i += 3;
                }
        }
        return result;

        async Task ReadAsync(DbCommand cmd)
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (r.IsDBNull(0)) continue;
                var a = Of(r.GetString(0));
                for (var i = 0; i < width; i++) a[i] += Long(r, i + 1);
            }
        }
    }

    static long Long(DbDataReader r, int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
}
