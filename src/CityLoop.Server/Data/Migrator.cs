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

    public sealed record Script(string Version, string Name, string Sql);

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

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
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
            foreach (var script in Scripts(Provider).Where(s => !done.Contains(s.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await Exec(conn, script.Sql, ct, tx);
                await using (var cmd = conn.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @a)";
                    Param(cmd, "@v", script.Version);
                    Param(cmd, "@n", script.Name);
                    Param(cmd, "@a", DateTimeOffset.UtcNow.ToString("O"));
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
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
