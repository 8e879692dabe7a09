using System.Collections.Concurrent;
using System.Data.Common;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// Case numbers: platform code, local date and a per-day sequence, 451202-20261122-000042. A number is taken before
/// the intake's transaction begins, so no intake ever waits on another's transaction for it. On PostgreSQL each day
/// has its own sequence (<c>nextval</c> never blocks and never rolls back); on SQLite, which has one writer anyway, a
/// counter row in its own short transaction. Either way a number whose intake fails is not reused: numbers are unique
/// and increasing per platform and day, with gaps after a failed intake or a server crash.
/// On PostgreSQL a node takes its numbers in blocks (<see cref="BlockSize"/> values in one round trip) and hands them
/// out in order, so most intakes make no trip for their number; a stopped node leaves the rest of its block unused,
/// and with several nodes the numbers of one day interleave by node instead of following the intake order exactly.
/// </summary>
public static class CaseNumbers
{
    /// <summary>Days whose PostgreSQL sequence this process has seen, so the create-on-first-use path runs once a day.</summary>
    static readonly ConcurrentDictionary<string, bool> KnownSequences = new();

    /// <summary>Numbers taken from the day's sequence and not yet handed out, per database and sequence.</summary>
    static readonly ConcurrentDictionary<string, Pool> Blocks = new();

    /// <summary>
    /// The numbers a node holds for one day. Several intakes may fetch a block at once, so the pool hands out its
    /// smallest number first rather than in the order the blocks arrived.
    /// </summary>
    sealed class Pool
    {
        readonly SortedSet<long> _values = [];

        public bool TryTake(out long value)
        {
            lock (_values)
            {
                value = _values.Count > 0 ? _values.Min : 0;
                return _values.Count > 0 && _values.Remove(value);
            }
        }

        /// <summary>Keeps a fetched block and takes the smallest number now held (possibly from an earlier block).</summary>
        public long AddAndTake(long[] block)
        {
            lock (_values)
            {
                foreach (var v in block) _values.Add(v);
                var first = _values.Min;
                _values.Remove(first);
                return first;
            }
        }
    }

    /// <summary>How many numbers a PostgreSQL node takes in one round trip.</summary>
    public const int BlockSize = 16;

    public static Task<string> NextAsync(CityLoopDb db, PlatformOptions platform, DateTimeOffset now, CancellationToken ct = default) =>
        NextAsync(db, platform, platform.Code, now, ct);

    /// <summary>The next number of <paramref name="code"/>, the root platform or one of its sub-centres (decision 026), on the deployment's local day.</summary>
    public static async Task<string> NextAsync(CityLoopDb db, PlatformOptions platform, string code, DateTimeOffset now, CancellationToken ct = default)
    {
        var day = TimeZoneInfo.ConvertTime(now, platform.Zone).ToString("yyyyMMdd");
        if (db.IsPostgres && Blocks.TryGetValue(BlockKey(db, code, day), out var block) && block.TryTake(out var ready))
            return $"{code}-{day}-{ready:D6}";
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var conn = db.Database.GetDbConnection();
            var value = db.IsPostgres ? await NextFromSequenceAsync(conn, code, day, ct) : await NextFromCounterAsync(conn, code, day, ct);
            return $"{code}-{day}-{value:D6}";
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    static string BlockKey(CityLoopDb db, string platform, string day)
    {
        var conn = db.Database.GetDbConnection();
        return $"{conn.DataSource}/{conn.Database}/{SequenceName(platform, day)}";
    }

    /// <summary>The sequence's name for a platform and day: only letters, digits and underscores, whatever the code.</summary>
    public static string SequenceName(string platform, string day) =>
        $"case_no_{new string(platform.Select(ch => char.IsAsciiLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : '_').ToArray())}_{day}";

    static async Task<long> NextFromSequenceAsync(DbConnection conn, string platform, string day, CancellationToken ct)
    {
        var name = SequenceName(platform, day);
        var key = $"{conn.DataSource}/{conn.Database}/{name}";
        var block = Blocks.GetOrAdd(key, _ => new Pool());
        if (block.TryTake(out var ready)) return ready;
        if (!KnownSequences.ContainsKey(key))
        {
            await CreateDaySequenceAsync(conn, platform, name, day, ct);
            KnownSequences[key] = true;
        }
        long[] values;
        try
        {
            values = await TakeBlockAsync(conn, name, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Dropped behind this node's back (a restored backup): create it again.
            await CreateDaySequenceAsync(conn, platform, name, day, ct);
            values = await TakeBlockAsync(conn, name, ct);
        }
        // This intake takes the smallest number held; the others wait for the node's next intakes, in order.
        return block.AddAndTake(values);
    }

    static async Task<long[]> TakeBlockAsync(DbConnection conn, string name, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT nextval('{name}') FROM generate_series(1, {BlockSize}) ORDER BY 1";
        var values = new List<long>(BlockSize);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) values.Add(r.GetInt64(0));
        return [.. values];
    }

    /// <summary>
    /// Creates the day's sequence (several nodes may race to do it) and drops the platform's sequences of days more
    /// than a week old, which no intake asks for any more (a dropped day would start again at 1).
    /// </summary>
    static async Task CreateDaySequenceAsync(DbConnection conn, string platform, string name, string day, CancellationToken ct)
    {
        try
        {
            await ExecAsync(conn, $"CREATE SEQUENCE IF NOT EXISTS {name} AS bigint MINVALUE 1", ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Another node created it between the check and the insert into the catalogue.
        }
        var prefix = SequenceName(platform, "");
        var old = new List<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE @p";
            var p = cmd.CreateParameter();
            p.ParameterName = "@p";
            p.Value = prefix.Replace("_", "\\_", StringComparison.Ordinal) + "%";
            cmd.Parameters.Add(p);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var n = r.GetString(0);
                if (n.Length == prefix.Length + 8 && string.CompareOrdinal(n[prefix.Length..], DaysBefore(day, 7)) < 0) old.Add(n);
            }
        }
        foreach (var n in old) await ExecAsync(conn, $"DROP SEQUENCE IF EXISTS {n}", ct);
    }

    static string DaysBefore(string day, int days) =>
        DateOnly.ParseExact(day, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture).AddDays(-days).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    static async Task<long> NextFromCounterAsync(DbConnection conn, string platform, string day, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            INSERT INTO case_number_sequences (platform, day, last_value) VALUES (@p, @d, 1)
            ON CONFLICT (platform, day) DO UPDATE SET last_value = case_number_sequences.last_value + 1
            RETURNING last_value
            """;
        Add(cmd, "@p", platform);
        Add(cmd, "@d", day);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task<long> ScalarAsync(DbConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task ExecAsync(DbConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
