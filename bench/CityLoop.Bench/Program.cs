using CityLoop.Bench;

// The benchmarks the README documents; each prints its own figures.
return args.FirstOrDefault() switch
{
    "intake" => await IntakeBenchmark.Run(args[1..]),
    "geocode" => GeocodeBenchmark.Run(args[1..]),
    "clock-sweep" => await ClockSweepBenchmark.Run(args[1..]),
    "list" => await CaseListBenchmark.Run(args[1..]),
    "figures" => await FiguresBenchmark.Run(args[1..]),
    "loop" => await LoopBenchmark.Run(args[1..]),
    "import" => await ImportBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench/CityLoop.Bench -- <benchmark> [options]
          intake  [--db postgres|sqlite|both] [--requests N] [--levels 1,8,32] [--rate 200] [--warm-up 15000]
                  case intake over HTTP (cases/s, p50/p99) beside the fixed minimal reference app, and at a paced rate
          loop    [--cases 1000] [--clients 8] [--warm-up 4000]
                  whole loop over HTTP, intake to follow-up, by concurrent clients (complete cases/s, p50/p99 per step)
          list    [connection-string] [--cases 1000000] [--years 3] [--queries 200] [--seed S] [--database NAME] [--sub-centre P]
                  generated case histories bulk-loaded, then the workbench's list questions over HTTP (p50/p99)
          figures [connection-string] [--cases 1000000] [--years 3] [--runs 20] [--seed S] [--database NAME]
                  the same data; assessments, 三率 rankings, wall screen, dashboards, an indicator and its drill-down (p50/p99)
          import  [--rows 1000000] [--db sqlite|postgres] [--batch 1000]
                  a generated 311-style export imported with import-cases into a fresh demo-seeded database (rows/s, peak memory), then re-run
          geocode [grids] [points] [seed]
                  point → grid lookups against synthetic unit grids (points/s)
          clock-sweep [connection-string] [--cases 500000] [--sweeps 10] [--interval-seconds 60] [--catch-up-hours H]
                  the clock worker keeping N open cases current on PostgreSQL (time per sweep, database load)
        """);
    return 2;
}
