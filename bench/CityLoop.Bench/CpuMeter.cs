using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// CPU time spent by this process (clients, server and reference share it) and by the benchmark's PostgreSQL cluster
/// (the postmaster's children, read from /proc), so that a run can say how many milliseconds of CPU one case costs on
/// each side. Unlike a rate, this barely moves when other work shares the machine.
/// </summary>
public sealed class CpuMeter
{
    readonly int? _postmaster;

    CpuMeter(int? postmaster) => _postmaster = postmaster;

    public static async Task<CpuMeter> ForAsync(string? postgresConnectionString)
    {
        if (postgresConnectionString is null || !OperatingSystem.IsLinux()) return new CpuMeter(null);
        await using var conn = new NpgsqlConnection(postgresConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT setting FROM pg_settings WHERE name = 'data_directory'", conn);
        var dir = (string?)await cmd.ExecuteScalarAsync();
        try
        {
            var pidFile = Path.Combine(dir!, "postmaster.pid");
            return new CpuMeter(int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return new CpuMeter(null);
        }
    }

    public (TimeSpan App, TimeSpan Db) Now()
    {
        var app = Process.GetCurrentProcess().TotalProcessorTime;
        return (app, _postmaster is { } pm ? ClusterTime(pm) : TimeSpan.Zero);
    }

    public static string PerCase((TimeSpan App, TimeSpan Db) before, (TimeSpan App, TimeSpan Db) after, int cases) =>
        string.Create(CultureInfo.InvariantCulture,
            $"CPU per case: app {(after.App - before.App).TotalMilliseconds / cases:F2} ms, postgres {(after.Db - before.Db).TotalMilliseconds / cases:F2} ms");

    static TimeSpan ClusterTime(int postmaster)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            // Fields after the command name (which may contain spaces) start at the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid != postmaster && ppid != postmaster) continue;
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            // The postmaster's cutime and cstime: the time of its children that have ended (a connection closed, a
            // worker done), which no longer shows in a live child's own fields. Without them the sum fell whenever a
            // busy backend ended between two readings, and a run could print a negative figure.
            if (pid == postmaster)
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }
        // Linux reports utime and stime in clock ticks of 1/100 s (USER_HZ) on every architecture .NET runs on.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
