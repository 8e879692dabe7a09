using System.Data.Common;
using System.Globalization;
using System.Text;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Indicators;

/// <summary>
/// The daily pre-aggregates of the figures' facts (decision 033, migration 0027): per period date, local day,
/// platform and slice (the whole platform, a department, a street, or the person a step's figures are grouped by),
/// the number of fact rows and the sum of every counter. Derived from <c>case_facts</c> by
/// <see cref="FactDayProjector"/> (a background job; never the intake or workflow transaction), rebuildable at any
/// time. A figure over a period reads the aggregated whole days from here and the rest — today, days not aggregated
/// yet, and days whose facts changed since (a <see cref="FactDayPlan"/>) — from the facts, so it is always the sum
/// the facts give.
/// </summary>
public static class FactDayShape
{
    /// <summary>The sums kept beside the counters: the 三率's "among the contacted" sums.</summary>
    public static readonly (string Column, string Sql)[] Extras =
    [
        ("contacted_resolved", "CASE WHEN contacted = 1 THEN resolved ELSE 0 END"),
        ("contacted_satisfied", "CASE WHEN contacted = 1 THEN satisfied ELSE 0 END"),
        ("contacted_basically", "CASE WHEN contacted = 1 THEN basically_satisfied ELSE 0 END"),
    ];

    /// <summary>The slices besides the whole platform (''): department and street for every date, and each step's person on its date.</summary>
    public static IReadOnlyList<string> DimProperties(FactDate kind) =>
        new[] { nameof(CaseFact.LeadDepartmentCode), nameof(CaseFact.StreetCode) }
            .Concat(IndicatorCatalogue.All.Where(d => d.Actor is not null && d.Date == kind && d.Subject == IndicatorSubject.Cases).Select(d => d.Actor!))
            .Distinct().ToList();

    public static readonly FactDate[] Kinds = Enum.GetValues<FactDate>();

    /// <summary>The days the aggregates may cover (zone offsets are tabulated over these years).</summary>
    public static readonly int FirstDay = new DateOnly(2000, 1, 1).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
    public static readonly int EndDay = new DateOnly(2050, 1, 1).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
    static readonly int EpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>Local day of an instant in the zone, as days since 1970-01-01.</summary>
    public static int DayOf(DateTimeOffset at, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime).DayNumber - EpochDayNumber;

    public static DateOnly Date(int day) => DateOnly.FromDayNumber(day + EpochDayNumber);

    /// <summary>The instant a local day starts (as <see cref="IndicatorQueries.LocalMidnight"/>).</summary>
    public static DateTimeOffset Midnight(int day, TimeZoneInfo zone)
    {
        var local = Date(day).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    static readonly Dictionary<string, (long At, long Offset)[]> Transitions = [];

    /// <summary>The zone's offset changes over the covered years: (instant in unix ms from which it holds, offset in ms).</summary>
    static (long At, long Offset)[] OffsetsOf(TimeZoneInfo zone)
    {
        lock (Transitions)
        {
            if (Transitions.TryGetValue(zone.Id, out var known)) return known;
            var list = new List<(long, long)>();
            var start = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(-1);
            long Off(DateTimeOffset t) => (long)zone.GetUtcOffset(t).TotalMilliseconds;
            var previous = Off(start);
            list.Add((long.MinValue, previous));
            for (var t = start.AddHours(1); t < new DateTimeOffset(2050, 1, 2, 0, 0, 0, TimeSpan.Zero); t = t.AddHours(1))
            {
                var o = Off(t);
                if (o == previous) continue;
                // Find the minute it changed.
                var lo = t.AddHours(-1);
                var at = lo;
                for (var m = lo; m <= t; m = m.AddMinutes(1)) if (Off(m) == o) { at = m; break; }
                list.Add((at.ToUnixTimeMilliseconds(), o));
                previous = o;
            }
            return Transitions[zone.Id] = list.ToArray();
        }
    }

    /// <summary>SQL of the local day (days since 1970-01-01) of a timestamp column, the same day <see cref="DayOf"/> gives.</summary>
    public static string DaySql(string column, bool postgres, TimeZoneInfo zone)
    {
        var offsets = OffsetsOf(zone);
        if (postgres)
        {
            // Timestamp arithmetic (no numeric epoch): the UTC wall time moved by the zone's offset, as a date.
            string Interval(long ms) => $"INTERVAL '{ms.ToString(CultureInfo.InvariantCulture)} milliseconds'";
            var shift = offsets.Length == 1 ? Interval(offsets[0].Offset)
                : "CASE" + string.Concat(offsets.Skip(1).Select((o, i) =>
                    $" WHEN {column} < TIMESTAMPTZ '{DateTimeOffset.FromUnixTimeMilliseconds(o.At):yyyy-MM-dd HH:mm:ss}+00' THEN {Interval(offsets[i].Offset)}"))
                  + $" ELSE {Interval(offsets[^1].Offset)} END";
            return $"(CAST(({column} AT TIME ZONE 'UTC') + {shift} AS date) - DATE '1970-01-01')";
        }
        var ms = column;
        string offset;
        if (offsets.Length == 1) offset = offsets[0].Offset.ToString(CultureInfo.InvariantCulture);
        else
        {
            var sb = new StringBuilder("CASE");
            for (var i = 1; i < offsets.Length; i++)
                sb.Append(CultureInfo.InvariantCulture, $" WHEN {ms} < {offsets[i].At} THEN {offsets[i - 1].Offset}");
            sb.Append(CultureInfo.InvariantCulture, $" ELSE {offsets[^1].Offset} END");
            offset = sb.ToString();
        }
        return $"CAST(({ms} + {offset}) / 86400000 AS INTEGER)";
    }

    public static string Column(CityLoopDb db, string property) =>
        db.Model.FindEntityType(typeof(CaseFact))!.FindProperty(property)!.GetColumnName();

    public static string DateColumn(CityLoopDb db, FactDate kind) => Column(db, FactSums.DateProperty(kind));

    /// <summary>
    /// The counter columns a date's aggregates sum (same names as the facts'): those of the catalogue's figures on that
    /// date, and the 三率's on the follow-up date. The other columns of its rows stay 0; a figure on a date reads only its
    /// own counters, so summing the rest would cost a rebuild time for nothing.
    /// </summary>
    public static IReadOnlyList<string> CounterColumns(CityLoopDb db, FactDate kind) =>
        IndicatorCatalogue.All.Where(d => d.Subject == IndicatorSubject.Cases && d.Date == kind)
            .SelectMany(d => new[] { d.Numerator, d.Denominator ?? d.Numerator })
            .Concat(kind == FactDate.FollowedUp ? [nameof(CaseFact.FollowedUp), nameof(CaseFact.Contacted)] : [])
            .Distinct().Order(StringComparer.Ordinal).Select(n => Column(db, n)).ToList();

    /// <summary>The extra sums a date's aggregates keep (the 三率's, on the follow-up date).</summary>
    public static IReadOnlyList<(string Column, string Sql)> ExtrasOf(FactDate kind) => kind == FactDate.FollowedUp ? Extras : [];

    /// <summary>What the aggregates hold (zone, counters per date, slices): stored with them, a change rebuilds them.</summary>
    public static string Shape(CityLoopDb db, TimeZoneInfo zone)
    {
        var text = zone.Id + ";" + string.Join(";", Kinds.Select(k => $"{(int)k}:{string.Join(",", CounterColumns(db, k))}:{string.Join(",", ExtrasOf(k).Select(e => e.Column))}:{string.Join(",", DimProperties(k))}"));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    internal static async Task<int> ExecAsync(CityLoopDb db, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = Command(db, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    internal static DbCommand Command(CityLoopDb db, string sql, params object[] args)
    {
        var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandTimeout = 0;
        cmd.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@a" + i;
            p.Value = args[i];
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>Adds a positional parameter (<c>@p0</c>, <c>@p1</c>…) to a command being built and returns its name.</summary>
    internal static string Parameter(DbCommand cmd, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = "@p" + cmd.Parameters.Count;
        p.Value = value;
        cmd.Parameters.Add(p);
        return p.ParameterName;
    }

    internal static object At(CityLoopDb db, DateTimeOffset at) => db.IsPostgres ? at.ToUniversalTime() : at.ToUnixTimeMilliseconds();
}

/// <summary>Where the aggregates stand: the days before <see cref="SealedDay"/> are aggregated, up to the event <see cref="Watermark"/>.</summary>
public sealed record FactDayState(int SealedDay, long Watermark, string Zone, string Shape);

/// <summary>
/// One request's view of the aggregates: the days they hold, less the (date, day) pairs that changes after their last
/// pass made stale — the old and new days of every case with an event after the watermark — so that a figure takes
/// the aggregated days from fact_days and everything else from the facts, and equals the facts' sum.
/// </summary>
public sealed class FactDayPlan(FactDayState state, HashSet<(int Kind, int Day)> stale, TimeZoneInfo zone)
{
    public FactDayState State => state;
    public int StaleCount => stale.Count;

    /// <summary>The aggregated whole days of [from, to) on this date (runs of days [first, end)) and the ranges left to the facts.</summary>
    public (List<(int From, int To)> Days, List<(DateTimeOffset From, DateTimeOffset To)> Live) Split(FactDate kind, DateTimeOffset from, DateTimeOffset to)
    {
        var days = new List<(int, int)>();
        var live = new List<(DateTimeOffset, DateTimeOffset)>();
        if (to <= from) return (days, live);
        var first = FactDayShape.DayOf(from, zone);
        if (FactDayShape.Midnight(first, zone) < from) first++;
        var end = FactDayShape.DayOf(to, zone);
        end = Math.Min(end, Math.Min(state.SealedDay, FactDayShape.EndDay));
        first = Math.Max(first, FactDayShape.FirstDay);
        var cursor = from;
        int? runStart = null;
        for (var d = first; d < end; d++)
        {
            if (stale.Contains(((int)kind, d)))
            {
                if (runStart is { } rs) { Close(rs, d); runStart = null; }
                continue;
            }
            runStart ??= d;
        }
        if (runStart is { } last) Close(last, end);
        if (cursor < to) live.Add((cursor, to));
        return (days, live);

        void Close(int a, int b)
        {
            var start = FactDayShape.Midnight(a, zone);
            if (cursor < start) live.Add((cursor, start));
            days.Add((a, b));
            cursor = FactDayShape.Midnight(b, zone);
        }
    }
}

/// <summary>Reads the aggregates' state and the stale days for a request (one plan per scope).</summary>
public sealed class FactDays(CityLoopDb db, IOptions<PlatformOptions> platform, IOptions<FiguresOptions> options)
{
    /// <summary>More cases changed since the last pass than this and the figures read the facts alone (the job is behind).</summary>
    public const int MaxPending = 20_000;

    bool _loaded;
    FactDayPlan? _plan;

    /// <summary>Tests compare figures with and without the aggregates in one scope.</summary>
    public bool Disabled { get; set; }

    public async Task<FactDayPlan?> PlanAsync(CancellationToken ct)
    {
        if (Disabled || !options.Value.DayAggregates) return null;
        if (_loaded) return _plan;
        _loaded = true;
        var zone = platform.Value.Zone;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var state = await FactDayProjector.ReadStateAsync(db, ct);
            if (state is null || state.Zone != zone.Id || state.Shape != FactDayShape.Shape(db, zone)) return null;
            var stale = new HashSet<(int, int)>();
            var kinds = FactDayShape.Kinds;
            var current = string.Join(", ", kinds.Select(k => FactDayShape.DaySql("f." + FactDayShape.DateColumn(db, k), db.IsPostgres, zone)));
            var old = string.Join(", ", kinds.Select(k => $"d.d{(int)k}"));
            await using var cmd = FactDayShape.Command(db, $"""
                SELECT {old}, {current}
                FROM (SELECT DISTINCT case_id FROM case_events WHERE id > @a0) e
                LEFT JOIN fact_day_cases d ON d.case_id = e.case_id
                LEFT JOIN case_facts f ON f.case_id = e.case_id
                LIMIT {MaxPending + 1}
                """, state.Watermark);
            var rows = 0;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    if (++rows > MaxPending) return null;
                    for (var i = 0; i < kinds.Length * 2; i++)
                        if (!r.IsDBNull(i)) stale.Add((i % kinds.Length, Convert.ToInt32(r.GetValue(i), CultureInfo.InvariantCulture)));
                }
            return _plan = new FactDayPlan(state, stale, zone);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

/// <summary>Reads sums from fact_days: one slice (dim, optionally one key, optionally one platform) over day runs of one date.</summary>
public static class FactDayReads
{
    public sealed record Row(string Dim, string Key, string Platform, int Day, long Rows, long[] Sums);

    /// <summary>
    /// The rows of fact_days for the slices in <paramref name="dims"/> ('' is the whole platform) on the date, over the
    /// day runs, summed per (dim, key, platform) — and per day when <paramref name="byDay"/> — for each column asked.
    /// </summary>
    public static async Task<List<Row>> SumAsync(CityLoopDb db, FactDate kind, IReadOnlyList<(int From, int To)> days, IReadOnlyList<string> dims,
        string? platformCode, string? key, IReadOnlyList<string> columns, bool byDay, CancellationToken ct)
    {
        var rows = new List<Row>();
        if (days.Count == 0 || dims.Count == 0) return rows;
        var k = db.IsPostgres ? "key" : "\"key\"";
        var args = new List<object>();
        string Arg(object v) { args.Add(v); return "@a" + (args.Count - 1); }
        var group = $"dim, {k}, platform_code" + (byDay ? ", day" : "");
        var sql = new StringBuilder($"SELECT dim, {k}, platform_code, {(byDay ? "day" : "0")}, SUM(fact_rows)");
        foreach (var c in columns) sql.Append($", SUM({c})");
        sql.Append($" FROM fact_days WHERE dim IN ({string.Join(", ", dims.Select(d => Arg(d)))}) AND kind = {(int)kind}");
        sql.Append($" AND ({string.Join(" OR ", days.Select(d => $"(day >= {d.From} AND day < {d.To})"))})");
        if (platformCode is not null) sql.Append($" AND platform_code = {Arg(platformCode)}");
        if (key is not null) sql.Append($" AND {k} = {Arg(key)}");
        sql.Append($" GROUP BY {group}");
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = FactDayShape.Command(db, sql.ToString(), args.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var sums = new long[columns.Count];
                for (var i = 0; i < sums.Length; i++) sums[i] = r.IsDBNull(5 + i) ? 0 : Convert.ToInt64(r.GetValue(5 + i), CultureInfo.InvariantCulture);
                rows.Add(new Row(r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture),
                    r.IsDBNull(4) ? 0 : Convert.ToInt64(r.GetValue(4), CultureInfo.InvariantCulture), sums));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return rows;
    }
}
