using System.Diagnostics;
using System.Globalization;
using System.Text;
using CityLoop.Server.Cli;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Bench;

/// <summary>
/// Historical import at scale: a generated 311-style export (created/closed times, agency, complaint type, place,
/// resolution) of N rows is imported through the real command (import-cases: mapping, domain, projections, batches)
/// into a fresh database seeded with the demo city's reference data. Prints rows/s and the process's peak memory, then
/// imports the same file again (every row already imported).
/// </summary>
public static class ImportBenchmark
{
    const string Mapping = """
        {
          "origin": "bench-311",
          "key": ["unique_key"],
          "dateFormats": ["MM/dd/yyyy hh:mm:ss tt"],
          "timeZone": "Asia/Shanghai",
          "fields": {
            "sourceId": "unique_key", "createdAt": "created_date", "closedAt": "closed_date", "repliedAt": "resolution_action_updated_date",
            "reply": "resolution_description", "department": "agency", "category": "complaint_type", "description": ["descriptor", "complaint_type"],
            "address": "incident_address", "latitude": "latitude", "longitude": "longitude"
          },
          "values": {
            "category": { "Water Manhole": "C0101", "Sewer Manhole": "C0102", "Storm Drain": "C0103", "Power Manhole": "C0105" },
            "department": { "DEP": "SZGLC", "DSNY": "HWC", "DPR": "YLLHS" }
          },
          "defaults": { "requestType": "complaint" }
        }
        """;

    static readonly string[] Types = ["Water Manhole", "Sewer Manhole", "Storm Drain", "Power Manhole", "Noise - Residential"];
    static readonly string[] Agencies = ["DEP", "DSNY", "DPR", "NYPD"];

    public static async Task<int> Run(string[] args)
    {
        var rows = int.Parse(Option(args, "--rows") ?? "1000000", CultureInfo.InvariantCulture);
        var dbKind = Option(args, "--db") ?? "sqlite";
        var batch = Option(args, "--batch") ?? "1000";
        var dir = Path.Combine(Path.GetTempPath(), "cityloop-import-bench");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"311-{rows}.csv");
        var mapping = Path.Combine(dir, "311-mapping.json");
        await File.WriteAllTextAsync(mapping, Mapping);
        if (!File.Exists(file)) await GenerateAsync(file, rows);
        Console.WriteLine($"file: {file} ({new FileInfo(file).Length / 1024 / 1024:N0} MB, {rows:N0} rows)");

        var keys = Path.Combine(dir, "privacy.keys");
        if (!File.Exists(keys)) Server.Features.Privacy.PersonalDataKeys.AddKey(keys);
        string connection;
        if (dbKind == "postgres")
        {
            PostgresServer.Durable = true;
            connection = PostgresServer.CreateDatabase("importbench");
        }
        else
        {
            var path = Path.Combine(dir, $"bench-{Guid.NewGuid():N}.db");
            connection = $"Data Source={path}";
        }
        string[] db = [$"--Database:Provider={dbKind}", $"--Database:ConnectionString={connection}", $"--Privacy:KeyFile={keys}"];

        // The demo city's departments, catalogue, grids and holidays (2021, 2025, 2026): the generated rows fall in 2026.
        Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", "Development");
        if (await Verbs.RunAsync(["seed-demo", "--cases", "0", .. db]) != 0) return 1;

        foreach (var pass in new[] { "first import", "re-run (all rows already imported)" })
        {
            var watch = Stopwatch.StartNew();
            var exit = await Verbs.RunAsync(["import-cases", "--file", file, "--mapping", mapping, "--batch", batch, .. db]);
            watch.Stop();
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"{dbKind} {pass}: {rows:N0} rows in {watch.Elapsed.TotalSeconds:N1} s = {rows / watch.Elapsed.TotalSeconds:N0} rows/s; " +
                $"process peak working set {self.PeakWorkingSet64 / 1024 / 1024:N0} MB, GC heap now {GC.GetTotalMemory(false) / 1024 / 1024:N0} MB (exit {exit})");
        }
        return 0;
    }

    /// <summary>A 311-style export: one row in fifty has no place, one in twenty an unmapped type, one in a hundred a bad date.</summary>
    static async Task GenerateAsync(string file, int rows)
    {
        var random = new Random(311);
        var start = new DateTime(2026, 1, 5, 8, 0, 0);
        await using var w = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 16);
        await w.WriteLineAsync("unique_key,created_date,closed_date,agency,complaint_type,descriptor,incident_address,latitude,longitude,resolution_description,resolution_action_updated_date");
        var sb = new StringBuilder(256);
        for (var i = 0; i < rows; i++)
        {
            var created = start.AddSeconds(random.Next(0, 300 * 24 * 3600));
            var closed = created.AddMinutes(random.Next(20, 20 * 24 * 60));
            var type = Types[random.Next(Types.Length)];
            var agency = Agencies[random.Next(Agencies.Length)];
            var placed = random.Next(50) != 0;
            sb.Clear();
            sb.Append(CultureInfo.InvariantCulture, $"{40_000_000 + i},");
            sb.Append(random.Next(100) == 0 ? "soon" : created.ToString("MM/dd/yyyy hh:mm:ss tt", CultureInfo.InvariantCulture)).Append(',');
            sb.Append(closed.ToString("MM/dd/yyyy hh:mm:ss tt", CultureInfo.InvariantCulture)).Append(',');
            sb.Append(agency).Append(',').Append(type).Append(",井盖松动或缺失,");
            if (placed)
                sb.Append(CultureInfo.InvariantCulture, $"金城江区金城中路 {random.Next(1, 300)} 号,{24.68 + random.NextDouble() * 0.03:F6},{108.04 + random.NextDouble() * 0.04:F6},");
            else sb.Append(",,,");
            sb.Append("已安排人员到场处理并恢复,").Append(closed.ToString("MM/dd/yyyy hh:mm:ss tt", CultureInfo.InvariantCulture));
            await w.WriteLineAsync(sb.ToString());
        }
    }

    static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
