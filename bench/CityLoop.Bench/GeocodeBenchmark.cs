using System.Diagnostics;
using System.Globalization;
using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Bench;

/// <summary>
/// geocode [grids] [points] [seed]: point-in-grid lookups on synthetic 金城江区 grids, single thread.
/// Prints e.g. "geocode: 10000 grids, 1000000 points, 812345 points/s, index build 120 ms".
/// </summary>
public static class GeocodeBenchmark
{
    public static int Run(string[] args)
    {
        var grids = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var points = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var seed = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 12345;

        var catalog = DivisionCsv.LoadDemo();
        var set = SyntheticGridGenerator.Generate(catalog, DivisionCsv.DemoAreaCode,
            new SyntheticGridOptions { TotalCells = grids, IncludeAreas = false });

        var build = Stopwatch.StartNew();
        var index = new GridIndex(set.Grids, catalog);
        build.Stop();

        // Points over the grids' bounding box plus a 10% margin, so some fall outside every grid.
        var envelope = new NetTopologySuite.Geometries.Envelope();
        foreach (var g in set.Grids) envelope.ExpandToInclude(g.Polygon.EnvelopeInternal);
        envelope.ExpandBy(envelope.Width * 0.1, envelope.Height * 0.1);
        var random = new Random(seed);
        var lats = new double[points];
        var lons = new double[points];
        for (var i = 0; i < points; i++)
        {
            lats[i] = envelope.MinY + random.NextDouble() * envelope.Height;
            lons[i] = envelope.MinX + random.NextDouble() * envelope.Width;
        }

        for (var i = 0; i < Math.Min(points, 20_000); i++) index.Locate(lats[i], lons[i]); // JIT warm-up
        var found = 0;
        var run = Stopwatch.StartNew();
        for (var i = 0; i < points; i++)
        {
            if (index.Locate(lats[i], lons[i]) is not null) found++;
        }
        run.Stop();

        var rate = points / run.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"geocode: {set.Grids.Count} grids, {points} points, {rate:F0} points/s, index build {build.ElapsedMilliseconds} ms ({found} inside)"));
        return found > 0 ? 0 : 1;
    }
}
