using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;

namespace CityLoop.Server.Features.Search;

/// <summary>
/// Bigram search over any table with a <c>search_terms</c> column (decision 013). The column holds
/// <see cref="Bigrams.Terms"/> of the searchable texts. PostgreSQL derives a stored column
/// <c>search_vector tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_terms, ' ')))</c> with a GIN
/// index (no text parser involved: the lexemes are the terms); SQLite indexes the terms in an FTS5 table
/// <c>{table}_fts</c> (the key, unindexed, and the terms) that triggers keep in step with the column. Both answer the same query: every term present, prefixes where the query
/// asks for them. A knowledge base or duplicate hints add the column, the index and the FTS5 table to their own table
/// and call <see cref="Keys"/>. Cases differ on PostgreSQL only: their vectors sit in a table of their own, in the
/// list's order, written by a trigger (<see cref="CaseSearch.VectorTable"/>, decision 039).
/// </summary>
public static class BigramSearch
{
    public const string Column = "search_terms";

    /// <summary>PostgreSQL only: the terms as a tsvector, a stored generated column, so a row is checked without re-parsing its terms.</summary>
    public const string VectorColumn = "search_vector";

    static bool IsIdentifier(string name) => name.Length > 0 && name.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '_');

    /// <summary>The PostgreSQL query text (tsquery syntax) for the terms: each quoted, prefixes marked, all required.</summary>
    public static string TsQuery(IReadOnlyList<SearchTerm> terms) =>
        string.Join(" & ", terms.Select(t => "'" + t.Text.Replace("'", "''", StringComparison.Ordinal) + "'" + (t.Prefix ? ":*" : "")));

    /// <summary>The keys of the rows of <paramref name="table"/> that contain every term of the query, composable into LINQ.</summary>
    public static IQueryable<TKey> Keys<TKey>(CityLoopDb db, string table, string keyColumn, IReadOnlyList<SearchTerm> terms)
    {
        if (terms.Count == 0) throw new ArgumentException("A search needs at least one term.", nameof(terms));
        // Table and key names come from code, never from a request; the query text goes in as a parameter.
        if (!IsIdentifier(table) || !IsIdentifier(keyColumn)) throw new ArgumentException("Table and key are plain SQL identifiers.");
        string sql, argument;
        if (db.IsPostgres)
        {
            sql = "SELECT " + keyColumn + " AS \"Value\" FROM " + table + " WHERE " + VectorColumn + " @@ CAST({0} AS tsquery)";
            argument = TsQuery(terms);
        }
        else
        {
            sql = "SELECT " + keyColumn + " AS \"Value\" FROM " + table + "_fts WHERE " + table + "_fts MATCH {0}";
            argument = string.Join(' ', terms.Select(t => "\"" + t.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (t.Prefix ? "*" : "")));
        }
        return db.Database.SqlQueryRaw<TKey>(sql, argument);
    }

    /// <summary>
    /// The keys of the rows that contain at least one term: the candidates for a ranking by how many terms match
    /// (suggestions while typing, where a long text never contains every term of another). For small tables.
    /// </summary>
    public static IQueryable<TKey> AnyKeys<TKey>(CityLoopDb db, string table, string keyColumn, IReadOnlyList<SearchTerm> terms)
    {
        if (terms.Count == 0) throw new ArgumentException("A search needs at least one term.", nameof(terms));
        if (!IsIdentifier(table) || !IsIdentifier(keyColumn)) throw new ArgumentException("Table and key are plain SQL identifiers.");
        string sql, argument;
        if (db.IsPostgres)
        {
            sql = "SELECT " + keyColumn + " AS \"Value\" FROM " + table + " WHERE " + VectorColumn + " @@ CAST({0} AS tsquery)";
            argument = TsQuery(terms).Replace(" & ", " | ", StringComparison.Ordinal);
        }
        else
        {
            sql = "SELECT " + keyColumn + " AS \"Value\" FROM " + table + "_fts WHERE " + table + "_fts MATCH {0}";
            argument = string.Join(" OR ", terms.Select(t => "\"" + t.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (t.Prefix ? "*" : "")));
        }
        return db.Database.SqlQueryRaw<TKey>(sql, argument);
    }

    /// <summary>How many of the query's terms a stored terms text holds (a term with a prefix flag matches a longer token).</summary>
    public static int Overlap(IReadOnlyList<SearchTerm> terms, string? storedTerms)
    {
        if (string.IsNullOrEmpty(storedTerms)) return 0;
        var stored = storedTerms.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var set = stored.ToHashSet(StringComparer.Ordinal);
        return terms.Count(t => set.Contains(t.Text) || (t.Prefix && stored.Any(s => s.StartsWith(t.Text, StringComparison.Ordinal))));
    }
}

/// <summary>The case's search terms: a column the domain does not know (EF shadow property), kept by <see cref="SearchTermsInterceptor"/>.</summary>
public static class CaseSearch
{
    public const string Property = "SearchTerms";

    public static string TermsOf(Case c) => Bigrams.Terms(c.Title, c.Description, c.Address);

    /// <summary>
    /// PostgreSQL: the table holding the cases' search vectors, one row per case in the order cases arrive, kept by a
    /// trigger on <c>cases</c> (migration 0035, decision 039). The cases table keeps the terms, not the vector.
    /// </summary>
    public const string VectorTable = "case_search";

    /// <summary>
    /// Ids of the cases whose texts contain every term (PostgreSQL: from <see cref="VectorTable"/>, cut to the cases
    /// created since <paramref name="since"/> when given; SQLite: FTS5, any window applied by the caller on the cases).
    /// </summary>
    static IQueryable<Guid> Keys(CityLoopDb db, IReadOnlyList<SearchTerm> terms, DateTimeOffset? since = null)
    {
        if (!db.IsPostgres) return BigramSearch.Keys<Guid>(db, "cases", "id", terms);
        const string match = BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery)";
        return since is { } from
            ? db.Database.SqlQueryRaw<Guid>("SELECT case_id AS \"Value\" FROM " + VectorTable + " WHERE created_at >= {1} AND " + match, BigramSearch.TsQuery(terms), from)
            : db.Database.SqlQueryRaw<Guid>("SELECT case_id AS \"Value\" FROM " + VectorTable + " WHERE " + match, BigramSearch.TsQuery(terms));
    }

    /// <summary>Ids of the cases whose title, description or address contain the query; null when the query has no letters or digits.</summary>
    public static IQueryable<Guid>? Matching(CityLoopDb db, string query)
    {
        var terms = Bigrams.Query(query);
        return terms.Count == 0 ? null : Keys(db, terms);
    }

    /// <summary>
    /// Ids of the cases created since <paramref name="since"/> whose texts contain every one of <paramref name="terms"/>
    /// (at least one). PostgreSQL answers from <see cref="VectorTable"/>, where the creation instant sits beside the
    /// vector, so the index's matches are cut to the window before any case is read (decision 040); SQLite from FTS5,
    /// the window applied by the caller on the cases.
    /// </summary>
    public static IQueryable<Guid> MatchingSince(CityLoopDb db, IReadOnlyList<SearchTerm> terms, DateTimeOffset since) => Keys(db, terms, since);

    /// <summary>The cases whose texts contain the query, as an id set; a query with no letters or digits matches nothing.</summary>
    public static IQueryable<Case> Where(CityLoopDb db, IQueryable<Case> q, string query)
    {
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return q.Where(_ => false);
        var ids = Keys(db, terms);
        return q.Where(c => ids.Contains(c.Id));
    }

    /// <summary>
    /// PostgreSQL: the cases table already narrowed to the query, to build a list on: each case tested by its row of
    /// <see cref="VectorTable"/> (a semi-join), so the planner can use the GIN index or test the cases met along the
    /// list's order, whichever is cheaper. Null where that does not apply (SQLite, a query without terms).
    /// </summary>
    /// <remarks>
    /// <paramref name="fenced"/>: the matches found on their own first (a materialised CTE, read lazily): the GIN index
    /// where they are few, the vectors in the order cases arrived where they are many — never the list's order walked
    /// row by row in search of matches that may not exist. Two words that are each common but rarely together
    /// (estimated at thousands of rows, matching none) made that walk read the whole table: p99 56 s at 4 million cases.
    /// Each match then reads its case by id (<c>OFFSET 0</c> keeps that a lookup per match, so a count that stops at its
    /// cap stops reading). The list counts with the fenced source and orders the page on it when the matches are under
    /// the cap; above the cap there are enough matches for the walk to meet the page soon.
    /// </remarks>
    public static IQueryable<Case>? Source(CityLoopDb db, string query, bool fenced = false)
    {
        if (!db.IsPostgres) return null;
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return null;
        var sql = fenced
            ? "WITH matches AS MATERIALIZED (SELECT case_id FROM " + VectorTable + " WHERE " + BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery)) "
              + "SELECT c.* FROM matches m CROSS JOIN LATERAL (SELECT * FROM cases WHERE cases.id = m.case_id OFFSET 0) AS c"
            : "SELECT * FROM cases WHERE EXISTS (SELECT 1 FROM " + VectorTable + " s WHERE s.case_id = cases.id AND s." + BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery))";
        return db.Cases.FromSqlRaw(sql, BigramSearch.TsQuery(terms));
    }

    /// <summary>
    /// A term as a case on a sub-centre holds it a second time in its vector in <see cref="VectorTable"/>: qualified by
    /// the platform's code, <c>451203:井盖</c> (migration 0038, decision 045). No typed bigram holds a <c>:</c>.
    /// </summary>
    public static SearchTerm OnPlatform(SearchTerm term, string platform) => term with { Text = platform + ":" + term.Text };

    /// <summary>
    /// PostgreSQL: the query as <c>tsquery</c> text over <see cref="VectorTable"/>, its terms qualified by
    /// <paramref name="platform"/> when given (a sub-centre's reader sees no other platform's cases); null where that
    /// does not apply (SQLite, a query without terms).
    /// </summary>
    static string? VectorQuery(CityLoopDb db, string query, string? platform)
    {
        if (!db.IsPostgres) return null;
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return null;
        return BigramSearch.TsQuery(platform is null ? terms : terms.Select(t => OnPlatform(t, platform)).ToList());
    }

    /// <summary>
    /// PostgreSQL: the ids of the query's matches among the <paramref name="rows"/> newest (or oldest) cases in the
    /// list's order — a walk that reads at most that many vectors whatever the query (decision 035), from
    /// <see cref="VectorTable"/> alone, where they are consecutive rows (decision 039) — at most <paramref name="take"/>,
    /// in that order, those on <paramref name="platform"/> only when given (decision 045). A reader who sees every case
    /// (of the city, or of its sub-centre) takes them as they are; any other reads their cases by key to apply its scope
    /// (decision 043). Null where that does not apply (SQLite, a query without terms).
    /// </summary>
    public static IQueryable<Guid>? WalkIds(CityLoopDb db, string query, bool newest, int rows, int take, string? platform = null)
    {
        if (VectorQuery(db, query, platform) is not { } tsQuery) return null;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        return newest
            ? db.Database.SqlQuery<Guid>($"SELECT w.case_id AS \"Value\" FROM (SELECT case_id, created_at, number, search_vector FROM case_search ORDER BY created_at DESC, number DESC LIMIT {rows}) AS w WHERE w.search_vector @@ CAST({tsQuery} AS tsquery) ORDER BY w.created_at DESC, w.number DESC LIMIT {take}")
            : db.Database.SqlQuery<Guid>($"SELECT w.case_id AS \"Value\" FROM (SELECT case_id, created_at, number, search_vector FROM case_search ORDER BY created_at, number LIMIT {rows}) AS w WHERE w.search_vector @@ CAST({tsQuery} AS tsquery) ORDER BY w.created_at, w.number LIMIT {take}");
    }

    /// <summary>
    /// PostgreSQL: up to <paramref name="take"/> of the query's matches among the cases created in
    /// [<paramref name="from"/>, <paramref name="to"/>) (either end open when null), on <paramref name="platform"/> when
    /// given, in no order, with what sorts them, from the search index and <see cref="VectorTable"/> alone, whoever reads
    /// them: a reader who sees every case (of the city, or of its sub-centre) takes them as they are, any other applies
    /// its scope to them by key (decision 043). Null where that does not apply.
    /// </summary>
    public static IQueryable<SearchMatch>? MatchesOnly(CityLoopDb db, string query, int take, DateTimeOffset? from = null, DateTimeOffset? to = null, string? platform = null)
    {
        if (VectorQuery(db, query, platform) is not { } tsQuery) return null;
        var sql = "SELECT case_id AS \"Id\", created_at AS \"CreatedAt\", number AS \"Number\" FROM " + VectorTable
            + " WHERE " + BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery)" + Window(from, to) + " LIMIT {1}";
        return db.Database.SqlQueryRaw<SearchMatch>(sql, tsQuery, take);
    }

    /// <summary>
    /// PostgreSQL: the query's matches in consecutive slices of creation time, newest (oldest) first — the first slice's
    /// matches in the list's order, then the next slice's… — at most <paramref name="take"/> rows in all, each with the
    /// number of matches of its slice (counted up to <paramref name="perSlice"/>: a slice with that many is cut and its
    /// rows are not its newest). Each slice's matches come from the search index ANDed with the block ranges of
    /// <c>created_at</c> (the table is in the order cases arrive), so only that slice's pages are read, and a slice after
    /// the one that completed the rows is never read (decision 044). Those on <paramref name="platform"/> only when given
    /// (decision 045). Null where that does not apply.
    /// </summary>
    public static IQueryable<SlicedMatch>? SlicedMatches(CityLoopDb db, string query, bool newest, IReadOnlyList<(DateTimeOffset? From, DateTimeOffset? To)> slices, int perSlice, int take,
        string? platform = null)
    {
        if (slices.Count == 0 || VectorQuery(db, query, platform) is not { } tsQuery) return null;
        var order = newest ? " ORDER BY created_at DESC, number DESC" : " ORDER BY created_at, number";
        // Each slice a member of one UNION ALL in the slices' order: PostgreSQL appends the members one after the other
        // and stops at the outer LIMIT. The caller checks the order it gets.
        var members = slices.Select((slice, i) =>
            "(SELECT case_id AS \"Id\", created_at AS \"CreatedAt\", number AS \"Number\", " + i + " AS \"Slice\", count(*) OVER () AS \"Matches\" FROM (SELECT case_id, created_at, number FROM "
            + VectorTable + " WHERE " + BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery)" + Window(slice.From, slice.To) + " LIMIT {1}) AS s" + order + ")");
        var sql = "SELECT m.\"Id\", m.\"CreatedAt\", m.\"Number\", m.\"Slice\", m.\"Matches\" FROM (" + string.Join(" UNION ALL ", members) + ") AS m LIMIT {2}";
        return db.Database.SqlQueryRaw<SlicedMatch>(sql, tsQuery, perSlice, take);
    }

    /// <summary>PostgreSQL: the creation instant of the oldest case (the first row of <see cref="VectorTable"/>'s order), null when there is none.</summary>
    public static async Task<DateTimeOffset?> OldestAsync(CityLoopDb db, CancellationToken ct = default) =>
        await db.Database.SqlQueryRaw<DateTimeOffset?>("SELECT min(created_at) AS \"Value\" FROM " + VectorTable).SingleAsync(ct);

    /// <summary>
    /// The conditions on <c>created_at</c> of a window, with its ends written into the statement as literals (instants
    /// formatted here, nothing typed by anyone), so that PostgreSQL plans the statement for them: a month is a bitmap of
    /// the creation index ANDed with the search index's; "since three years ago" is not worth that bitmap (a million
    /// entries), the matches are tested as they come. As parameters, a prepared statement's generic plan took the bitmap
    /// for every window (127 ms at a million cases).
    /// </summary>
    static string Window(DateTimeOffset? from, DateTimeOffset? to)
    {
        return (from is { } since ? " AND created_at >= " + Literal(since) : "") + (to is { } until ? " AND created_at < " + Literal(until) : "");

        static string Literal(DateTimeOffset at) =>
            "'" + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture) + "+00'::timestamptz";
    }

    /// <summary>
    /// PostgreSQL: how many cases created in the window (on <paramref name="platform"/> when given) PostgreSQL's statistics
    /// expect the query to match (the planner's estimate, from the most common elements of <see cref="VectorTable"/>'s
    /// vectors, the sub-centres' qualified terms among them; no row is read), and — when <paramref name="tellKnown"/> —
    /// whether the statistics know it: the estimate is above that of a term no case holds, planned in the same round trip
    /// (for a term the statistics do not name, the planner takes half the frequency of the rarest one they do); otherwise
    /// <see cref="MatchEstimate.Known"/> is false and only the query is planned. A word the city uses very often is known
    /// by it before the search index builds a bitmap of its every match (decision 043); a word too rare for the
    /// statistics gets the planner's default, a small fraction of the table (decision 047). Null where that does not
    /// apply (SQLite, a query without terms).
    /// </summary>
    public static async Task<MatchEstimate?> EstimatedMatchesAsync(CityLoopDb db, string query, DateTimeOffset? from, DateTimeOffset? to, string? platform = null,
        bool tellKnown = false, CancellationToken ct = default)
    {
        if (VectorQuery(db, query, platform) is not { } tsQuery) return null;
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var q in tellKnown ? [tsQuery, UnknownTerm] : new[] { tsQuery })
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = "EXPLAIN (FORMAT JSON) SELECT 1 FROM " + VectorTable + " WHERE " + BigramSearch.VectorColumn + " @@ CAST($1 AS tsquery)" + Window(from, to);
                var parameter = command.CreateParameter();
                parameter.Value = q;
                command.Parameters.Add(parameter);
                batch.BatchCommands.Add(command);
            }
            var rows = new List<double>(2);
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                do
                {
                    while (await reader.ReadAsync(ct))
                    {
                        using var json = System.Text.Json.JsonDocument.Parse(reader.GetString(0));
                        rows.Add(json.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble());
                    }
                }
                while (await reader.NextResultAsync(ct));
            }
            // A known term at the rarest frequency the statistics name is estimated at twice the unknown one's.
            return new MatchEstimate(rows[0], tellKnown && rows[0] > 1.5 * rows[1]);
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A term no case holds: two characters of Unicode's private use area, which are not letters or digits, so
    /// <see cref="Bigrams"/> never cuts them into a term and the statistics never name them.
    /// </summary>
    const string UnknownTerm = "'\uE000\uE000'";

    /// <summary>Fills the terms of cases stored before the column existed; the migrator runs it after a schema upgrade.</summary>
    public static async Task<int> BackfillAsync(CityLoopDb db, CancellationToken ct = default)
    {
        var total = 0;
        while (true)
        {
            var batch = await db.Cases.AsNoTracking().Where(c => EF.Property<string?>(c, Property) == null)
                .OrderBy(c => c.Id).Select(c => new { c.Id, c.Title, c.Description, c.Address }).Take(500).ToListAsync(ct);
            if (batch.Count == 0) return total;
            foreach (var c in batch)
            {
                var terms = Bigrams.Terms(c.Title, c.Description, c.Address);
                var id = c.Id;
                await db.Cases.Where(x => x.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => EF.Property<string?>(x, Property), terms), ct);
            }
            total += batch.Count;
        }
    }
}

/// <summary>
/// How many cases PostgreSQL's statistics expect a text query to match, and whether they know its terms (the estimate is
/// above the default they give a term they do not name) — see <see cref="CaseSearch.EstimatedMatchesAsync"/>.
/// </summary>
public readonly record struct MatchEstimate(double Rows, bool Known);

/// <summary>A text search's match as <see cref="CaseSearch.MatchesOnly"/> reads it: the case and what orders the list.</summary>
public class SearchMatch
{
    public Guid Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string Number { get; set; } = "";
}

/// <summary>A match as <see cref="CaseSearch.SlicedMatches"/> reads it: with its slice and how many matches that slice has.</summary>
public sealed class SlicedMatch : SearchMatch
{
    public int Slice { get; set; }
    public long Matches { get; set; }
}

sealed class CaseSearchConfiguration : IEntityTypeConfiguration<Case>
{
    public void Configure(EntityTypeBuilder<Case> e)
    {
        e.Property<string?>(CaseSearch.Property);
        // The workbench lists at scale (decision 013): an inbox by deadline. (The caller's history and the repeat check
        // go by the phone's keyed hash, indexed by the personal-data model; decision 029 dropped the ciphertext's index.)
        e.HasIndex(c => c.ClockDueAt);
        e.HasIndex(c => new { c.StreetCode, c.CreatedAt });
        e.HasIndex(c => new { c.CommunityCode, c.CreatedAt });
    }
}

/// <summary>
/// Keeps <c>cases.search_terms</c> in step with the texts whatever path saves the case: set when a case is added or
/// its title, description or address changes (an erasure, a correction).
/// </summary>
public sealed class SearchTermsInterceptor : SaveChangesInterceptor
{
    public static readonly SearchTermsInterceptor Instance = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Update(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Update(eventData.Context);
        return ValueTask.FromResult(result);
    }

    static void Update(DbContext? context)
    {
        if (context is null) return;
        foreach (var entry in context.ChangeTracker.Entries<Case>())
        {
            var changed = entry.State == EntityState.Added
                || (entry.State == EntityState.Modified && (entry.Property(c => c.Description).IsModified || entry.Property(c => c.Title).IsModified || entry.Property(c => c.Address).IsModified));
            if (changed) entry.Property(CaseSearch.Property).CurrentValue = CaseSearch.TermsOf(entry.Entity);
        }
    }
}
