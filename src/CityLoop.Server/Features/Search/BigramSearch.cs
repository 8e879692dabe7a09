using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Search;

/// <summary>
/// Bigram search over any table with a <c>search_terms</c> column (decision 013). The column holds
/// <see cref="Bigrams.Terms"/> of the searchable texts. PostgreSQL derives a stored column
/// <c>search_vector tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_terms, ' ')))</c> with a GIN
/// index (no text parser involved: the lexemes are the terms); SQLite indexes the terms in an FTS5 table
/// <c>{table}_fts</c> (the key, unindexed, and the terms) that triggers keep in step with the column. Both answer the same query: every term present, prefixes where the query
/// asks for them. The case list uses it for cases; a knowledge base or duplicate hints add the column, the index and
/// the FTS5 table to their own table and call <see cref="Keys"/>.
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

    /// <summary>Ids of the cases whose title, description or address contain the query; null when the query has no letters or digits.</summary>
    public static IQueryable<Guid>? Matching(CityLoopDb db, string query)
    {
        var terms = Bigrams.Query(query);
        return terms.Count == 0 ? null : BigramSearch.Keys<Guid>(db, "cases", "id", terms);
    }

    /// <summary>The cases whose texts contain the query, as an id set; a query with no letters or digits matches nothing.</summary>
    public static IQueryable<Case> Where(CityLoopDb db, IQueryable<Case> q, string query)
    {
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return q.Where(_ => false);
        var ids = BigramSearch.Keys<Guid>(db, "cases", "id", terms);
        return q.Where(c => ids.Contains(c.Id));
    }

    /// <summary>
    /// PostgreSQL: the cases table already narrowed to the query, to build a list on. The condition then sits on the
    /// row itself (the planner pulls the subquery up), so it can use the GIN index or check rows met along the list's
    /// order, whichever is cheaper. Null where that does not apply (SQLite, a query without terms).
    /// </summary>
    /// <remarks>
    /// <paramref name="fenced"/>: the matches found on their own first (a materialised CTE, read lazily): the GIN index
    /// where they are few, the table in its order where they are many — never the list's order walked row by row in search
    /// of matches that may not exist. Two words that are each common but rarely together (estimated at thousands of rows,
    /// matching none) made that walk read the whole table: p99 56 s at 4 million cases. The list counts with the fenced
    /// source (the count stops at its cap) and orders the page on it when the matches are under the cap; above the cap
    /// there are enough matches for the walk to meet the page soon.
    /// </remarks>
    public static IQueryable<Case>? Source(CityLoopDb db, string query, bool fenced = false)
    {
        if (!db.IsPostgres) return null;
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return null;
        var match = "SELECT * FROM cases WHERE " + BigramSearch.VectorColumn + " @@ CAST({0} AS tsquery)";
        return db.Cases.FromSqlRaw(fenced ? "WITH matches AS MATERIALIZED (" + match + ") SELECT * FROM matches" : match, BigramSearch.TsQuery(terms));
    }

    /// <summary>
    /// PostgreSQL: the query's matches among the <paramref name="rows"/> newest (or oldest) cases in the list's order —
    /// a walk that reads at most that many rows whatever the query, checking each one's stored vector (decision 035).
    /// Null where that does not apply (SQLite, a query without terms).
    /// </summary>
    public static IQueryable<Case>? Walk(CityLoopDb db, string query, bool newest, int rows)
    {
        if (!db.IsPostgres) return null;
        var terms = Bigrams.Query(query);
        if (terms.Count == 0) return null;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var tsQuery = BigramSearch.TsQuery(terms);
        // The row count and the query text go in as parameters; the vector column's name is VectorColumn's.
        return newest
            ? db.Cases.FromSql($"SELECT * FROM (SELECT * FROM cases ORDER BY created_at DESC, number DESC LIMIT {rows}) AS walked WHERE search_vector @@ CAST({tsQuery} AS tsquery)")
            : db.Cases.FromSql($"SELECT * FROM (SELECT * FROM cases ORDER BY created_at, number LIMIT {rows}) AS walked WHERE search_vector @@ CAST({tsQuery} AS tsquery)");
    }

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
