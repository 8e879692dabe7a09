using CityLoop.Bench;

// dotnet run -c Release --project bench/CityLoop.Bench -- <benchmark> [args]
return args.FirstOrDefault() switch
{
    "geocode" => GeocodeBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: CityLoop.Bench geocode [grids] [points] [seed]");
    return 2;
}
