using CityLoop.Server;

return await CityLoopApp.MainAsync(args);

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
