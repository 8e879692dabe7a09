using System.Diagnostics;

namespace CityLoop.Server.Tests.Infrastructure;

/// <summary>The throwaway clusters of ended test processes are swept away; a live process's directory is kept.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public void AnEndedTestProcesssClusterDirectory_IsSwept_ALiveProcesssIsKept()
    {
        using var ended = Process.Start(new ProcessStartInfo("/bin/true"))!;
        ended.WaitForExit();
        using var alive = Process.Start(new ProcessStartInfo("/bin/sleep", "60"))!;
        var orphan = Path.Combine(Path.GetTempPath(), $"cityloop-pg-{ended.Id}");
        var kept = Path.Combine(Path.GetTempPath(), $"cityloop-pg-{alive.Id}");
        try
        {
            foreach (var dir in new[] { orphan, kept })
            {
                Directory.CreateDirectory(Path.Combine(dir, "data"));
                File.WriteAllText(Path.Combine(dir, "log"), "a test process's cluster log");
            }
            Assert.True(PostgresServer.SweepOrphans(null) >= 1);
            Assert.False(Directory.Exists(orphan));
            Assert.True(Directory.Exists(kept));
        }
        finally
        {
            alive.Kill();
            if (Directory.Exists(kept)) Directory.Delete(kept, true);
            if (Directory.Exists(orphan)) Directory.Delete(orphan, true);
        }
    }
}
