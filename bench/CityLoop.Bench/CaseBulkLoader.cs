using System.Diagnostics;
using System.Threading.Channels;
using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace CityLoop.Bench;

/// <summary>
/// Writes generated cases and their events into PostgreSQL with binary COPY. The columns come from the EF model, so
/// the rows are exactly what CaseCommands would have saved (enum names, UTC instants, the search terms), whatever
/// columns the model has today. Indexes are dropped during the load and rebuilt after it, as a bulk load should.
/// </summary>
public sealed class CaseBulkLoader
{
    sealed record Column(string Name, string Type, Func<object, object?> Get)
    {
        /// <summary>A typed write per column: resolving the type of a boxed value on every write costs more than the COPY.</summary>
        public Func<NpgsqlBinaryImporter, object, Task> Write { get; } = Writer(Type);
    }

    static Func<NpgsqlBinaryImporter, object, Task> Writer(string type) => type switch
    {
        "uuid" => (c, v) => c.WriteAsync((Guid)v, NpgsqlDbType.Uuid),
        "text" => (c, v) => c.WriteAsync((string)v, NpgsqlDbType.Text),
        "character varying" => (c, v) => c.WriteAsync((string)v, NpgsqlDbType.Varchar),
        "integer" => (c, v) => c.WriteAsync((int)v, NpgsqlDbType.Integer),
        "bigint" => (c, v) => c.WriteAsync((long)v, NpgsqlDbType.Bigint),
        "boolean" => (c, v) => c.WriteAsync((bool)v, NpgsqlDbType.Boolean),
        "double precision" => (c, v) => c.WriteAsync((double)v, NpgsqlDbType.Double),
        "timestamp with time zone" => (c, v) => c.WriteAsync(((DateTimeOffset)v).ToUniversalTime(), NpgsqlDbType.TimestampTz),
        _ => (c, v) => c.WriteAsync(v, type),
    };

    readonly Column[] _cases;
    readonly Column[] _events;

    public CaseBulkLoader(CityLoopDb db)
    {
        _cases = Columns(db.Model.FindEntityType(typeof(Case))!, c => CaseSearch.TermsOf((Case)c));
        _events = Columns(db.Model.FindEntityType(typeof(CaseEvent))!, null);
    }

    static Column[] Columns(IEntityType entity, Func<object, object?>? searchTerms) =>
        entity.GetProperties()
            // Identity keys (the event id) are left to the database; every other column is written.
            .Where(p => !(p.IsPrimaryKey() && p.ClrType == typeof(long)))
            .Select(p =>
            {
                var type = p.GetColumnType();
                var paren = type.IndexOf('(', StringComparison.Ordinal);
                if (paren > 0) type = type[..paren].Trim();
                Func<object, object?> get;
                if (p.IsShadowProperty())
                {
                    if (p.Name != CaseSearch.Property || searchTerms is null) throw new InvalidOperationException($"No value for the shadow property {p.Name}.");
                    get = searchTerms;
                }
                else
                {
                    var getter = p.GetGetter();
                    var converter = p.GetTypeMapping().Converter;
                    get = converter is null ? getter.GetClrValueUsingContainingEntity : e => getter.GetClrValueUsingContainingEntity(e) is { } v ? converter.ConvertToProvider(v) : null;
                }
                return new Column(p.GetColumnName(), type, get);
            })
            .ToArray();

    public sealed record LoadResult(long Cases, long Events, TimeSpan Elapsed);

    /// <summary>
    /// Streams the cases into the database: one thread generates (the caller's enumerable), this one writes cases and
    /// events through two COPY streams. <paramref name="progress"/> is told the number of cases written so far.
    /// </summary>
    public async Task<LoadResult> LoadAsync(string connectionString, IEnumerable<GeneratedCase> cases, Action<long>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var channel = Channel.CreateBounded<List<GeneratedCase>>(8);
        var producer = Task.Run(async () =>
        {
            var batch = new List<GeneratedCase>(2000);
            foreach (var c in cases)
            {
                batch.Add(c);
                if (batch.Count == 2000)
                {
                    await channel.Writer.WriteAsync(batch);
                    batch = new List<GeneratedCase>(2000);
                }
            }
            if (batch.Count > 0) await channel.Writer.WriteAsync(batch);
            channel.Writer.Complete();
        });

        await using var caseConn = new NpgsqlConnection(connectionString);
        await using var eventConn = new NpgsqlConnection(connectionString);
        await caseConn.OpenAsync();
        await eventConn.OpenAsync();
        long nCases = 0, nEvents = 0;
        await using (var caseCopy = await caseConn.BeginBinaryImportAsync($"COPY cases ({string.Join(", ", _cases.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)"))
        await using (var eventCopy = await eventConn.BeginBinaryImportAsync($"COPY case_events ({string.Join(", ", _events.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)"))
        {
            await foreach (var batch in channel.Reader.ReadAllAsync())
            {
                foreach (var g in batch)
                {
                    await WriteRow(caseCopy, _cases, g.Case);
                    foreach (var e in g.Events) await WriteRow(eventCopy, _events, e);
                    nEvents += g.Events.Count;
                }
                nCases += batch.Count;
                progress?.Invoke(nCases);
            }
            await caseCopy.CompleteAsync();
            await eventCopy.CompleteAsync();
        }
        await producer;
        return new LoadResult(nCases, nEvents, sw.Elapsed);
    }

    static async Task WriteRow(NpgsqlBinaryImporter copy, Column[] columns, object entity)
    {
        await copy.StartRowAsync();
        foreach (var c in columns)
        {
            var v = c.Get(entity);
            if (v is null) await copy.WriteNullAsync();
            else await c.Write(copy, v);
        }
    }

    /// <summary>The definitions of the secondary indexes of the tables, dropped so that a bulk load does not maintain them row by row.</summary>
    public static async Task<List<(string Name, string Definition)>> DropIndexesAsync(NpgsqlConnection conn, params string[] tables)
    {
        var defs = new List<(string, string)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY(@t)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """, conn))
        {
            cmd.Parameters.AddWithValue("t", tables);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) defs.Add((r.GetString(0), r.GetString(1)));
        }
        foreach (var (name, _) in defs)
        {
            await using var drop = new NpgsqlCommand($"DROP INDEX \"{name}\"", conn);
            await drop.ExecuteNonQueryAsync();
        }
        return defs;
    }

    public static async Task RebuildIndexesAsync(NpgsqlConnection conn, IEnumerable<(string Name, string Definition)> defs, Action<string, TimeSpan> done)
    {
        await using (var set = new NpgsqlCommand("SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2", conn))
            await set.ExecuteNonQueryAsync();
        foreach (var (name, def) in defs)
        {
            var sw = Stopwatch.StartNew();
            await using var cmd = new NpgsqlCommand(def, conn) { CommandTimeout = 0 };
            await cmd.ExecuteNonQueryAsync();
            done(name, sw.Elapsed);
        }
    }
}
