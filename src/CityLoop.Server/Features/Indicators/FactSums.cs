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
    /// grouped sum would. A count's denominator is its numerator.
    /// </summary>
    public static async Task<List<Dictionary<string, Dictionary<string, (long N, long D)>>>> GroupedAsync(CityLoopDb db, string groupProperty,
        IReadOnlyList<IndicatorDefinition> indicators, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, string? platformCode,
        IReadOnlyCollection<string>? keys, CancellationToken ct)
    {
        var result = periods.Select(_ => new Dictionary<string, Dictionary<string, (long, long)>>()).ToList();
        if (indicators.Count == 0 || periods.Count == 0 || keys is { Count: 0 }) return result;
        var entity = db.Model.FindEntityType(typeof(CaseFact))!;
        string Col(string property) => entity.FindProperty(property)!.GetColumnName();
        object At(DateTimeOffset at) => db.IsPostgres ? at.ToUniversalTime() : at.ToUnixTimeMilliseconds();

        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var n = 0;
        string Param(object value)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + n++;
            p.Value = value;
            cmd.Parameters.Add(p);
            return p.ParameterName;
        }
        var bounds = periods.Select(p => (From: Param(At(p.From)), To: Param(At(p.To)))).ToList();
        var group = Col(groupProperty);
        var sql = new StringBuilder($"SELECT {group}");
        foreach (var (from, to) in bounds)
            foreach (var def in indicators)
            {
                var date = Col(DateProperty(def.Date));
                var when = $"{date} >= {from} AND {date} < {to}";
                sql.Append($", SUM(CASE WHEN {when} THEN 1 ELSE 0 END), SUM(CASE WHEN {when} THEN {Col(def.Numerator)} ELSE 0 END)" +
                    $", SUM(CASE WHEN {when} THEN {Col(def.Denominator ?? def.Numerator)} ELSE 0 END)");
            }
        sql.Append($" FROM case_facts WHERE {group} IS NOT NULL");
        if (platformCode is not null) sql.Append($" AND {Col(nameof(CaseFact.PlatformCode))} = {Param(platformCode)}");
        if (keys is not null) sql.Append($" AND {group} IN ({string.Join(", ", keys.Select(k => Param(k)))})");
        // The rows of any date in any period: each date's own index finds its range.
        var span = (From: Param(At(periods.Min(p => p.From))), To: Param(At(periods.Max(p => p.To))));
        var ranges = indicators.Select(d => Col(DateProperty(d.Date))).Distinct().Select(date => $"({date} >= {span.From} AND {date} < {span.To})");
        sql.Append($" AND ({string.Join(" OR ", ranges)}) GROUP BY {group}");
        cmd.CommandText = sql.ToString();

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var key = r.GetString(0);
                var i = 1;
                foreach (var byKey in result)
                    foreach (var def in indicators)
                    {
                        // As a grouped sum per indicator and period would: a key has a figure where it has rows.
                        if (Long(r, i) > 0)
                        {
                            if (!byKey.TryGetValue(key, out var sums)) byKey[key] = sums = [];
                            sums[def.Id] = (Long(r, i + 1), Long(r, i + 2));
                        }
                        i += 3;
                    }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return result;
    }

    static long Long(DbDataReader r, int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
}
