using System.Diagnostics;
using CityLoop.Server.Data;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CityLoop.Server.Features.Privacy;

/// <summary>
/// A consistent copy of the whole database — cases, events, attachments (they live in the database), audit trail —
/// and its restore into an empty database. SQLite: <c>VACUUM INTO</c> (a consistent snapshot while the server runs)
/// and the online backup API; PostgreSQL: <c>pg_dump -Fc</c> and <c>pg_restore</c> of the server's major version.
/// The personal-data key file is not in the database, hence not in the backup: keep it, separately.
/// </summary>
public static class Backup
{
    public static async Task<string> BackupAsync(string provider, string connectionString, string file, CancellationToken ct = default)
    {
        var path = Path.GetFullPath(file);
        if (File.Exists(path)) throw new IOException($"{path} exists: choose a new file for the backup.");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (provider == "postgres")
        {
            var bin = await PgBinAsync(connectionString, ct);
            await RunAsync(Path.Combine(bin, "pg_dump"), ["--format=custom", "--no-owner", "--no-privileges", "--file", path, "--dbname", Libpq(connectionString)], connectionString, ct);
        }
        else
        {
            await using var conn = new SqliteConnection(connectionString);
            await conn.OpenAsync(ct);
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "VACUUM INTO $path";
            cmd.Parameters.AddWithValue("$path", path);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return path;
    }

    public static async Task RestoreAsync(string provider, string connectionString, string file, CancellationToken ct = default)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path)) throw new IOException($"The backup {path} does not exist.");
        if (provider == "postgres")
        {
            await using (var conn = new NpgsqlConnection(connectionString))
            {
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", conn);
                if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct)) > 0)
                    throw new InvalidOperationException("The target database is not empty: restore into a new, empty database (createdb), then point the server at it.");
            }
            var bin = await PgBinAsync(connectionString, ct);
            await RunAsync(Path.Combine(bin, "pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", Libpq(connectionString), path], connectionString, ct);
        }
        else
        {
            await using var target = new SqliteConnection(connectionString);
            await target.OpenAsync(ct);
            await using (var cmd = target.CreateCommand())
            {
                cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
                if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct)) > 0)
                    throw new InvalidOperationException("The target database is not empty: restore into a new file, then point the server at it.");
            }
            await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
            await source.OpenAsync(ct);
            source.BackupDatabase(target);
            await using (var cmd = target.CreateCommand())
            {
                cmd.CommandText = "PRAGMA journal_mode=WAL";
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>The client tools of the server's own major version (a newer pg_dump refuses nothing, an older one refuses newer servers).</summary>
    static async Task<string> PgBinAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SHOW server_version_num", conn);
        var major = int.Parse((string)(await cmd.ExecuteScalarAsync(ct))!) / 10000;
        var bin = $"/usr/lib/postgresql/{major}/bin";
        if (File.Exists(Path.Combine(bin, "pg_dump"))) return bin;
        throw new InvalidOperationException($"pg_dump {major} was not found in {bin}: install the PostgreSQL {major} client (Debian: postgresql-client-{major}).");
    }

    static string Libpq(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var parts = new List<string> { $"host={b.Host}", $"port={b.Port}", $"dbname={b.Database}" };
        if (!string.IsNullOrEmpty(b.Username)) parts.Add($"user={b.Username}");
        return string.Join(" ", parts);
    }

    static async Task RunAsync(string exe, IReadOnlyList<string> args, string connectionString, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The password goes through the environment, never the command line (visible in ps).
        var password = new NpgsqlConnectionStringBuilder(connectionString).Password;
        if (!string.IsNullOrEmpty(password)) psi.Environment["PGPASSWORD"] = password;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{exe} did not start.");
        var stderr = p.StandardError.ReadToEndAsync(ct);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(exe)} failed ({p.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}");
    }
}
