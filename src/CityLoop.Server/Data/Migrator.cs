using System.Data.Common;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Data;

/// <summary>
/// Applies the versioned SQL scripts embedded under Data/Migrations/{sqlite|postgres}/NNNN_name.sql, forwards only.
/// EF's design-time package does not restore here, so each schema version is a reviewed SQL file per provider;
/// <c>schema-script</c> prints what the current model would create, to start the next script from.
/// </summary>
public sealed class Migrator(CityLoopDb db, ILogger<Migrator> log)
{
    const long LockKey = 7_412_001;

    /// <summary>
    /// The first line of a PostgreSQL script that must run outside a transaction, one statement at a time: an index
    /// built on a large table with <c>CREATE INDEX CONCURRENTLY</c> lets the other nodes go on writing while it is
    /// built, where a plain <c>CREATE INDEX</c> in the script's transaction blocks every write to the table until the
    /// end (minutes at ten million cases). Decision 041.
    /// </summary>
    public const string OutsideTransaction = "-- migrate: outside transaction";

    public sealed record Script(string Version, string Name, string Sql)
    {
        /// <summary>Runs statement by statement without a transaction (<see cref="OutsideTransaction"/>, PostgreSQL only).</summary>
        public bool RunsOutsideTransaction => Sql.StartsWith(OutsideTransaction, StringComparison.Ordinal);

        /// <summary>
        /// The script's statements, comments dropped, split at each semicolon outside a quoted text. A script run
        /// outside a transaction holds plain statements only (no function bodies): each is sent on its own.
        /// </summary>
        public IReadOnlyList<string> Statements()
        {
            if (Sql.Contains("$$", StringComparison.Ordinal))
                throw new InvalidOperationException($"Schema script {Name} runs outside a transaction and holds a $$-quoted body: it cannot be split into statements.");
            var statements = new List<string>();
            var current = new System.Text.StringBuilder();
            var quoted = false;
            for (var i = 0; i < Sql.Length; i++)
            {
                var ch = Sql[i];
                if (!quoted && ch == '-' && i + 1 < Sql.Length && Sql[i + 1] == '-')
                {
                    while (i < Sql.Length && Sql[i] != '\n') i++;
                    current.Append('\n');
                    continue;
                }
                if (ch == '\'') quoted = !quoted;
                if (!quoted && ch == ';')
                {
                    Add();
                    continue;
                }
                current.Append(ch);
            }
            Add();
            return statements;

            void Add()
            {
                var text = current.ToString().Trim();
                if (text.Length > 0) statements.Add(text);
                current.Clear();
            }
        }
    }

    public static IReadOnlyList<Script> Scripts(string provider)
    {
        var asm = typeof(Migrator).Assembly;
        var prefix = $"{asm.GetName().Name}.Data.Migrations.{provider}.";
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                using var reader = new StreamReader(asm.GetManifestResourceStream(n)!);
                var version = file.Split('_')[0];
                return new Script(version, file, reader.ReadToEnd());
            })
            .OrderBy(s => s.Version, StringComparer.Ordinal)
            .ToList();
    }

    public string Provider => db.IsPostgres ? "postgres" : "sqlite";

    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default) => MigrateAsync(null, ct);

    /// <summary>Applies <paramref name="scripts"/> (the embedded ones when null) that the database has not recorded yet.</summary>
    internal async Task<IReadOnlyList<string>> MigrateAsync(IReadOnlyList<Script>? scripts, CancellationToken ct)
    {
        var applied = new List<string>();
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Two nodes starting together must not both run the same script.
            if (db.IsPostgres) await Exec(conn, $"SELECT pg_advisory_lock({LockKey})", ct);
            // WAL lets readers go on while one writer commits; it is a property of the file, set outside a transaction.
            else await Exec(conn, "PRAGMA journal_mode=WAL", ct);
            await Exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(32) PRIMARY KEY, name varchar(200) NOT NULL, applied_at varchar(40) NOT NULL)", ct);
            var done = new HashSet<string>();
            await using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "SELECT version FROM schema_migrations";
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) done.Add(r.GetString(0));
            }
            foreach (var script in (scripts ?? Scripts(Provider)).Where(s => !done.Contains(s.Version)))
            {
                if (script.RunsOutsideTransaction && db.IsPostgres)
                {
                    await ApplyOutsideTransactionAsync(conn, script, ct);
                    await Record(conn, script, null, ct);
                }
                else
                {
                    await using var tx = await conn.BeginTransactionAsync(ct);
                    await Exec(conn, script.Sql, ct, tx);
                    await Record(conn, script, tx, ct);
                    await tx.CommitAsync(ct);
                }
                log.LogInformation("Applied schema version {Name} ({Provider})", script.Name, Provider);
                applied.Add(script.Name);
            }
            // Cases stored before search terms existed get theirs (a no-op once filled).
            if (applied.Count > 0) await Features.Search.CaseSearch.BackfillAsync(db, ct);
        }
        finally
        {
            // Released even when a script failed: pooled connections are not reset on their way back (decision 029).
            if (db.IsPostgres) await Exec(conn, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
        return applied;
    }

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken ct = default)
    {
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await Exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(32) PRIMARY KEY, name varchar(200) NOT NULL, applied_at varchar(40) NOT NULL)", ct);
            var done = new HashSet<string>();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT version FROM schema_migrations";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) done.Add(r.GetString(0));
            return Scripts(Provider).Where(s => !done.Contains(s.Version)).Select(s => s.Name).ToList();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Runs a script's statements one by one, each its own transaction, so that <c>CREATE INDEX CONCURRENTLY</c> can
    /// run. Its statements are written to be run again (<c>IF NOT EXISTS</c>, <c>IF EXISTS</c>): a node stopped half-way
    /// has not recorded the version and the next start runs the whole script again. An interrupted concurrent build
    /// leaves an index marked invalid under its name, which <c>IF NOT EXISTS</c> would then take for done: such an
    /// index named in the script is dropped first, so it is built again.
    /// </summary>
    async Task ApplyOutsideTransactionAsync(DbConnection conn, Script script, CancellationToken ct)
    {
        var statements = script.Statements();
        var invalid = new List<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
                              "WHERE NOT i.indisvalid AND n.nspname = current_schema()";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) invalid.Add(r.GetString(0));
        }
        foreach (var name in invalid.Where(n => statements.Any(s => System.Text.RegularExpressions.Regex.IsMatch(s, $@"\b{System.Text.RegularExpressions.Regex.Escape(n)}\b"))))
        {
            log.LogWarning("Schema version {Name}: index {Index} was left invalid by an interrupted build and is built again", script.Name, name);
            await Exec(conn, $"DROP INDEX CONCURRENTLY IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", ct);
        }
        foreach (var statement in statements) await Exec(conn, statement, ct);
    }

    static async Task Record(DbConnection conn, Script script, DbTransaction? tx, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @a)";
        Param(cmd, "@v", script.Version);
        Param(cmd, "@n", script.Name);
        Param(cmd, "@a", DateTimeOffset.UtcNow.ToString("O"));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    static async Task Exec(DbConnection conn, string sql, CancellationToken ct, DbTransaction? tx = null)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        // A schema step over a large table (filling a new table from ten million cases) runs as long as it needs: cut
        // short, its transaction would roll back and the next start would begin it again.
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    static void Param(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
