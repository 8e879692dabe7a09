using CityLoop.Bench;

// The benchmarks the README documents; each prints its own figures.
return args.FirstOrDefault() switch
{
    "intake" => await IntakeBenchmark.Run(args[1..]),
    "geocode" => GeocodeBenchmark.Run(args[1..]),
    "clock-sweep" => await ClockSweepBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench/CityLoop.Bench -- <benchmark> [options]
          intake  [--db sqlite|postgres|both] [--requests N] [--levels 1,4,16,64]
                  case intake over HTTP (cases/s, p50/p99) and the raw INSERT rate of the same database
          geocode [grids] [points] [seed]
                  point → grid lookups against synthetic unit grids (points/s)
          clock-sweep [connection-string] [--cases 500000] [--sweeps 10] [--interval-seconds 60] [--catch-up-hours H]
                  the clock worker keeping N open cases current on PostgreSQL (time per sweep, database load)
        """);
    return 2;
}
