using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run: started on a free loopback port on first use, stopped and
/// deleted when the test process exits. <c>CITYLOOP_TEST_PG</c> (a connection string) points at a server instead.
/// The binaries come from Debian's postgresql package, which scripts/test.sh installs; a missing server fails the
/// tests loudly, it never skips them.
/// </summary>
public static class PostgresServer
{
    static readonly Lazy<string> Admin = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    static int _databases;

    /// <summary>Benchmarks set this before first use: a durable cluster keeps fsync and synchronous commit on.</summary>
    public static bool Durable { get; set; }

    public static string CreateDatabase(string prefix)
    {
        var admin = Admin.Value;
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}".ToLowerInvariant();
        using var conn = new NpgsqlConnection(admin);
        conn.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        cmd.ExecuteNonQuery();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true, MaxPoolSize = 40 }.ConnectionString;
    }

    static string Start()
    {
        var external = Environment.GetEnvironmentVariable("CITYLOOP_TEST_PG");
        if (!string.IsNullOrWhiteSpace(external)) return external;

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL is not installed. Run scripts/test.sh (it installs Debian's postgresql) or set CITYLOOP_TEST_PG.");

        SweepOrphans(bin);
        var port = FreePort();
        var root = Path.Combine(Path.GetTempPath(), $"cityloop-pg-{Environment.ProcessId}");
        var data = Path.Combine(root, "data");
        var sock = Path.Combine(root, "s");
        Directory.CreateDirectory(sock);
        var asRoot = Environment.UserName == "root";
        if (asRoot) Run("chown", $"-R postgres:postgres {root}");
        Pg(bin, asRoot, "initdb", $"-D {data} -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync");
        // Tests trade durability for speed; benchmarks that report throughput must not.
        var speed = Durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off ";
        Pg(bin, asRoot, "pg_ctl", $"-D {data} -w -l {root}/log -o \"-p {port} -k {sock} -c listen_addresses=127.0.0.1 {speed}-c max_connections=300\" start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Pg(bin, asRoot, "pg_ctl", $"-D {data} -m immediate stop");
                Delete(root);
            }
            catch (Exception)
            {
                // Best effort: the directory is under /tmp.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
    }

    /// <summary>
    /// Stops and deletes the throwaway clusters of test processes that have ended: the exit handler above does not run
    /// when the test runner kills its host, which left clusters running under /tmp. Only this scheme's directories
    /// (<c>cityloop-pg-{pid}</c>) whose process is gone are touched; a server someone else started never is.
    /// </summary>
    internal static int SweepOrphans(string? bin)
    {
        var swept = 0;
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "cityloop-pg-*"))
        {
            if (!int.TryParse(Path.GetFileName(dir)["cityloop-pg-".Length..], out var pid) || pid == Environment.ProcessId || IsAlive(pid)) continue;
            var data = Path.Combine(dir, "data");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                // A cluster that may still run: stopped first, and left alone when it cannot be (its files stay).
                if (bin is null) continue;
                try
                {
                    Pg(bin, Environment.UserName == "root", "pg_ctl", $"-D {data} -m immediate stop");
                }
                catch (Exception)
                {
                    if (File.Exists(Path.Combine(data, "postmaster.pid"))) continue;
                }
            }
            if (Delete(dir)) swept++;
        }
        return swept;
    }

    /// <summary>Deletes a stopped cluster's directory, once more after a moment if the server's last processes were still exiting.</summary>
    static bool Delete(string dir)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                Directory.Delete(dir, true);
                return true;
            }
            catch (Exception) when (attempt == 0)
            {
                Thread.Sleep(500);
            }
            catch (Exception)
            {
                // Best effort: the next sweep tries again.
            }
        }
        return false;
    }

    static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    static void Pg(string bin, bool asRoot, string tool, string args)
    {
        var exe = Path.Combine(bin, tool);
        if (asRoot) Run("runuser", $"-u postgres -- {exe} {args}");
        else Run(exe, args);
    }

    static void Run(string file, string args)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"{file} {args}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) throw new TimeoutException($"{file} did not finish");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
