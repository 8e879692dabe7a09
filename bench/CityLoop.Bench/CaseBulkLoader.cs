using System.Diagnostics;
using System.Threading.Channels;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Features.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using System.Buffers.Binary;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// Writes generated cases, their figures' fact rows and their events into PostgreSQL with binary COPY. The columns come
/// from the EF model, so the rows are exactly what CaseCommands and the fact projection would have saved (enum names,
/// UTC instants, the search terms, the sealed personal data), whatever columns the model has today. Indexes are
/// dropped during the load and rebuilt after it, as a bulk load should.
/// </summary>
public sealed class CaseBulkLoader
{
    sealed record Column(string Name, string Type, Func<object, object?> Get)
    {
        /// <summary>The value in PostgreSQL's binary COPY format (network byte order), by the column's type.</summary>
        public byte[] Encode(object v) => Type switch
        {
            "uuid" => Uuid((Guid)v),
            "text" or "character varying" => System.Text.Encoding.UTF8.GetBytes((string)v),
            "integer" => Big(b => BinaryPrimitives.WriteInt32BigEndian(b, Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)), 4),
            "bigint" => Big(b => BinaryPrimitives.WriteInt64BigEndian(b, (long)v), 8),
            "boolean" => [(bool)v ? (byte)1 : (byte)0],
            "double precision" => Big(b => BinaryPrimitives.WriteDoubleBigEndian(b, (double)v), 8),
            "timestamp with time zone" => Big(b => BinaryPrimitives.WriteInt64BigEndian(b, Micros((DateTimeOffset)v)), 8),
            _ => throw new NotSupportedException($"The bulk loader has no binary encoding for {Name} ({Type})."),
        };

        static byte[] Big(Action<byte[]> write, int size)
        {
            var b = new byte[size];
            write(b);
            return b;
        }
    }

    /// <summary>A uuid as PostgreSQL stores it: the 16 bytes in the order of its text form.</summary>
    static byte[] Uuid(Guid g)
    {
        var b = new byte[16];
        g.TryWriteBytes(b, bigEndian: true, out _);
        return b;
    }

    static readonly long Epoch2000 = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    /// <summary>timestamptz: microseconds since 2000-01-01 UTC (sub-microsecond ticks dropped, as Npgsql does).</summary>
    static long Micros(DateTimeOffset at) => (at.UtcTicks - Epoch2000) / 10;

    readonly Table _cases;
    readonly Table _events;
    readonly Table _facts;

    /// <summary>A table's columns, with the places of the id, the number and the instants a copy rewrites.</summary>
    sealed class Table(string name, Column[] columns, string? idColumn, string? numberColumn, bool freeze = true)
    {
        /// <summary>Emptied and written frozen; not the event log, which refuses TRUNCATE (append-only, decision 012).</summary>
        public bool Freeze { get; } = freeze;
        public string Name { get; } = name;
        public Column[] Columns { get; } = columns;
        public int Id { get; } = idColumn is null ? -1 : Array.FindIndex(columns, c => c.Name == idColumn);
        public int Number { get; } = numberColumn is null ? -1 : Array.FindIndex(columns, c => c.Name == numberColumn);
        public bool[] Instant { get; } = columns.Select(c => c.Type == "timestamp with time zone").ToArray();
        /// <summary>
        /// FREEZE: the table was emptied in the same transaction, so the rows are written frozen (no hint-bit rewrite and
        /// no freezing vacuum later) and, on a cluster with <c>wal_level = minimal</c>, without WAL.
        /// </summary>
        public string Copy => $"COPY {Name} ({string.Join(", ", Columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY{(Freeze ? ", FREEZE" : "")})";

        /// <summary>The row's values as the database stores them (converters applied: enum names, the sealed personal data).</summary>
        public object?[] Values(object entity) => Columns.Select(c => c.Get(entity)).ToArray();

        /// <summary>The row's fields in binary COPY format (null for NULL).</summary>
        public byte[]?[] Encode(object?[] values) => values.Select((v, i) => v is null ? null : Columns[i].Encode(v)).ToArray();
    }

    public CaseBulkLoader(CityLoopDb db, PersonalDataKeys keys)
    {
        // The shadow columns CaseCommands fills on save: the search terms and the keyed hash of the caller's phone.
        _cases = new Table("cases", Columns(db.Model.FindEntityType(typeof(Case))!, new Dictionary<string, Func<object, object?>>
        {
            [CaseSearch.Property] = c => CaseSearch.TermsOf((Case)c),
            [PersonalDataConfiguration.PhoneHashColumn] = c => keys.PhoneHash(((Case)c).ReporterPhone),
        }), "id", "number");
        _events = new Table("case_events", Columns(db.Model.FindEntityType(typeof(CaseEvent))!, []), null, null, freeze: false);
        _facts = new Table("case_facts", Columns(db.Model.FindEntityType(typeof(CaseFact))!, []), "case_id", "case_number");
    }

    static Column[] Columns(IEntityType entity, Dictionary<string, Func<object, object?>> shadows) =>
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
                    get = shadows.GetValueOrDefault(p.Name) ?? throw new InvalidOperationException($"No value for the shadow property {p.Name}.");
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

    /// <summary>The column names of a table as the loader writes them (for the tests and the README).</summary>
    public IReadOnlyList<string> ColumnsOf(string table) => (table switch { "cases" => _cases, "case_facts" => _facts, _ => _events }).Columns.Select(c => c.Name).ToList();

    public sealed record LoadResult(long Cases, long Copies, long Events, TimeSpan Elapsed);

    /// <summary>The case row and fact row of a copy: the template's stored values with its id, number and every instant moved.</summary>
    public (object?[] Case, object?[] Fact) CopyRows(BenchCase c)
    {
        var (caseRow, factRow) = TemplateRows(c.Source);
        return (Moved(_cases, caseRow, c), Moved(_facts, factRow, c));
    }

    /// <summary>The case and fact rows of a case made by the domain, as stored.</summary>
    public (object?[] Case, object?[] Fact) Rows(GeneratedCase g) => (_cases.Values(g.Case), _facts.Values(g.Fact));

    readonly Dictionary<GeneratedCase, (object?[] Case, object?[] Fact)> _templates = new(ReferenceEqualityComparer.Instance);

    (object?[], object?[]) TemplateRows(GeneratedCase t)
    {
        if (_templates.TryGetValue(t, out var rows)) return rows;
        // A template already encoded keeps the encryption it was encoded with.
        if (_encoded.ContainsKey(t)) throw new InvalidOperationException("Ask for a template's rows before its tuples.");
        return _templates[t] = Rows(t);
    }

    static object?[] Moved(Table table, object?[] template, BenchCase c)
    {
        var row = (object?[])template.Clone();
        for (var i = 0; i < row.Length; i++)
            if (table.Instant[i] && row[i] is DateTimeOffset at) row[i] = at + c.Shift;
        row[table.Id] = c.CopyId!.Value;
        row[table.Number] = c.CopyNumber!;
        return row;
    }

    /// <summary>A template's rows encoded once: every field's bytes, and each instant as microseconds to move.</summary>
    sealed record Encoded(byte[]?[] Case, long?[] CaseMicros, byte[]?[] Fact, long?[] FactMicros);

    readonly Dictionary<GeneratedCase, Encoded> _encoded = new(ReferenceEqualityComparer.Instance);

    Encoded EncodedTemplate(GeneratedCase t)
    {
        if (_encoded.TryGetValue(t, out var e)) return e;
        // The object rows already made for this template (CopyRows) or made now and not kept: the sealed personal data
        // is encrypted with a fresh nonce each time, and a template's copies share one encryption.
        var (caseRow, factRow) = _templates.TryGetValue(t, out var rows) ? rows : Rows(t);
        long?[] Micros(object?[] row) => row.Select(v => v is DateTimeOffset at ? CaseBulkLoader.Micros(at) : (long?)null).ToArray();
        _encoded[t] = e = new Encoded(_cases.Encode(caseRow), Micros(caseRow), _facts.Encode(factRow), Micros(factRow));
        return e;
    }

    /// <summary>
    /// A copy's case and fact tuples in binary COPY format, from its template's bytes: only the id, the number and the
    /// instants are encoded again (the tests check these bytes are the encoding of <see cref="CopyRows"/>).
    /// </summary>
    public (byte[] Case, byte[] Fact) CopyTuples(BenchCase c)
    {
        var e = EncodedTemplate(c.Source);
        var id = Uuid(c.CopyId!.Value);
        var number = System.Text.Encoding.UTF8.GetBytes(c.CopyNumber!);
        var shift = c.Shift.Ticks / 10;
        using var caseBuffer = new MemoryStream();
        using var factBuffer = new MemoryStream();
        WriteTuple(caseBuffer, _cases, e.Case, e.CaseMicros, shift, id, number);
        WriteTuple(factBuffer, _facts, e.Fact, e.FactMicros, shift, id, number);
        return (caseBuffer.ToArray(), factBuffer.ToArray());
    }

    /// <summary>A row's tuple in binary COPY format.</summary>
    public byte[] Tuple(string table, object?[] values)
    {
        var t = table switch { "cases" => _cases, "case_facts" => _facts, _ => _events };
        using var buffer = new MemoryStream();
        WriteTuple(buffer, t, t.Encode(values), null, 0, null, null);
        return buffer.ToArray();
    }

    /// <summary>
    /// One tuple: the field count, then each field's length and bytes (-1 for NULL). With <paramref name="micros"/>,
    /// each instant is written moved by <paramref name="shift"/> microseconds, and the id and number replaced.
    /// </summary>
    static void WriteTuple(Stream s, Table t, byte[]?[] fields, long?[]? micros, long shift, byte[]? id, byte[]? number)
    {
        Span<byte> b = stackalloc byte[12];
        BinaryPrimitives.WriteInt16BigEndian(b, (short)fields.Length);
        s.Write(b[..2]);
        for (var i = 0; i < fields.Length; i++)
        {
            if (micros is not null && micros[i] is { } at)
            {
                BinaryPrimitives.WriteInt32BigEndian(b, 8);
                BinaryPrimitives.WriteInt64BigEndian(b[4..], at + shift);
                s.Write(b);
                continue;
            }
            var field = micros is null ? fields[i] : i == t.Id ? id : i == t.Number ? number : fields[i];
            BinaryPrimitives.WriteInt32BigEndian(b, field?.Length ?? -1);
            s.Write(b[..4]);
            if (field is not null) s.Write(field);
        }
    }

    /// <summary>The binary COPY header: the signature, no flags, no extension.</summary>
    static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// Streams the cases into the database: one thread generates (the caller's enumerable), another writes cases, facts
    /// and events through three binary COPY streams, encoded here (a copy is its template's bytes with its id, number
    /// and instants written again). A case made by the domain is written with its events; a copy with its case and fact
    /// rows. <paramref name="progress"/> is told the number of cases written so far.
    /// </summary>
    public async Task<LoadResult> LoadAsync(string connectionString, IEnumerable<BenchCase> cases, Action<long>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var channel = Channel.CreateBounded<List<BenchCase>>(16);
        var producer = Task.Run(async () =>
        {
            try
            {
                var batch = new List<BenchCase>(2000);
                foreach (var c in cases)
                {
                    batch.Add(c);
                    if (batch.Count == 2000)
                    {
                        await channel.Writer.WriteAsync(batch);
                        batch = new List<BenchCase>(2000);
                    }
                }
                if (batch.Count > 0) await channel.Writer.WriteAsync(batch);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        });

        await using var caseConn = new NpgsqlConnection(connectionString);
        await using var factConn = new NpgsqlConnection(connectionString);
        await using var eventConn = new NpgsqlConnection(connectionString);
        var transactions = new List<NpgsqlTransaction>();
        foreach (var (conn, table) in new[] { (caseConn, _cases), (factConn, _facts), (eventConn, _events) })
        {
            await conn.OpenAsync();
            // An empty table emptied again in the load's own transaction: the condition of COPY FREEZE.
            if (await Scalar(conn, $"SELECT count(*) FROM (SELECT 1 FROM {table.Name} LIMIT 1) x") != 0)
                throw new InvalidOperationException($"{table.Name} is not empty: the bulk load fills an empty database.");
            var tx = await conn.BeginTransactionAsync();
            transactions.Add(tx);
            if (!table.Freeze) continue;
            // The cases' search vectors (decision 039) reference the cases and are emptied with them; the trigger that
            // writes a case's vector row by row is off during the copy, and the vectors are written once after it.
            await using var truncate = new NpgsqlCommand(table == _cases
                ? "TRUNCATE cases, case_search; ALTER TABLE cases DISABLE TRIGGER tr_cases_search"
                : $"TRUNCATE {table.Name}", conn, tx);
            await truncate.ExecuteNonQueryAsync();
        }
        long nCases = 0, nCopies = 0, nEvents = 0;
        var streams = new List<(Stream Raw, BufferedStream Buffered)>();
        foreach (var (conn, table) in new[] { (caseConn, _cases), (factConn, _facts), (eventConn, _events) })
        {
            var raw = await conn.BeginRawBinaryCopyAsync(table.Copy);
            var buffered = new BufferedStream(raw, 1 << 20);
            buffered.Write(Header);
            streams.Add((raw, buffered));
        }
        var (caseOut, factOut, eventOut) = (streams[0].Buffered, streams[1].Buffered, streams[2].Buffered);
        await foreach (var batch in channel.Reader.ReadAllAsync())
        {
            // Synchronous writes into 1 MB buffers (a flush blocks on the socket): a task per field costs more than the COPY.
            foreach (var c in batch)
            {
                if (c.IsCopy)
                {
                    var e = EncodedTemplate(c.Source);
                    var id = Uuid(c.CopyId!.Value);
                    var number = System.Text.Encoding.UTF8.GetBytes(c.CopyNumber!);
                    var shift = c.Shift.Ticks / 10;
                    WriteTuple(caseOut, _cases, e.Case, e.CaseMicros, shift, id, number);
                    WriteTuple(factOut, _facts, e.Fact, e.FactMicros, shift, id, number);
                    nCopies++;
                }
                else
                {
                    WriteTuple(caseOut, _cases, _cases.Encode(_cases.Values(c.Source.Case)), null, 0, null, null);
                    WriteTuple(factOut, _facts, _facts.Encode(_facts.Values(c.Source.Fact)), null, 0, null, null);
                    foreach (var ev in c.Source.Events) WriteTuple(eventOut, _events, _events.Encode(_events.Values(ev)), null, 0, null, null);
                    nEvents += c.Source.Events.Count;
                }
            }
            nCases += batch.Count;
            progress?.Invoke(nCases);
        }
        foreach (var (raw, buffered) in streams)
        {
            buffered.Write([0xff, 0xff]);
            buffered.Flush();
            await raw.DisposeAsync();
        }
        // The vectors in the list's order (the order a live platform writes them in), then the trigger back on.
        await using (var vectors = new NpgsqlCommand("""
            INSERT INTO case_search (case_id, created_at, number, search_vector)
            SELECT id, created_at, number, array_to_tsvector(string_to_array(search_terms, ' ')) FROM cases ORDER BY created_at, number;
            ALTER TABLE cases ENABLE TRIGGER tr_cases_search
            """, caseConn, transactions[0]) { CommandTimeout = 0 })
            await vectors.ExecuteNonQueryAsync();
        foreach (var tx in transactions) await tx.CommitAsync();
        await producer;
        return new LoadResult(nCases, nCopies, nEvents, sw.Elapsed);
    }

    static async Task<long> Scalar(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
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

    /// <summary>
    /// Builds the indexes again, the tables' in parallel (one connection for the cases, one for the other tables), each
    /// with PostgreSQL's parallel maintenance workers: a bulk load's indexes are built once, sorted, not row by row.
    /// </summary>
    public static async Task RebuildIndexesAsync(string connectionString, IReadOnlyList<(string Name, string Definition)> defs, Action<string, TimeSpan> done)
    {
        var cases = defs.Where(d => d.Definition.Contains(" ON public.cases ", StringComparison.Ordinal)).ToList();
        var rest = defs.Except(cases).ToList();
        await Task.WhenAll(Build(cases), Build(rest));

        async Task Build(List<(string Name, string Definition)> list)
        {
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            await using (var set = new NpgsqlCommand("SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2", conn))
                await set.ExecuteNonQueryAsync();
            foreach (var (name, def) in list)
            {
                var sw = Stopwatch.StartNew();
                await using var cmd = new NpgsqlCommand(def, conn) { CommandTimeout = 0 };
                await cmd.ExecuteNonQueryAsync();
                lock (done) done(name, sw.Elapsed);
            }
        }
    }
}
