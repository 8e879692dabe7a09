using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Privacy;

/// <summary>A second, empty database on the fixture's provider, for tests that must not disturb the shared one.</summary>
public static class FreshDatabase
{
    public static string ConnectionString(AppFixture app) => app.Provider == "postgres"
        ? PostgresServer.CreateDatabase("fresh")
        : $"Data Source={Path.Combine(Path.GetTempPath(), "cityloop-tests", $"{Guid.NewGuid():N}.db")}";

    /// <summary>An app node on a new database, migrated and with the demo accounts, using the given key file.</summary>
    public static async Task<CityLoopFactory> StartAsync(AppFixture app, string connectionString, string? keyFile = null, bool seed = true)
    {
        var settings = new Dictionary<string, string>();
        if (keyFile is not null) settings["Privacy:KeyFile"] = keyFile;
        var factory = new CityLoopFactory(app.Provider, connectionString, app.Clock, settings);
        if (!seed) return factory;
        using var scope = factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(0);
        return factory;
    }

    public static async Task<HttpClient> As(CityLoopFactory factory, string user)
    {
        var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = user, password = DemoSeeder.DemoPassword });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static string NewKeyFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "cityloop-tests", $"keys-{Guid.NewGuid():N}.keys");
        Features.Privacy.PersonalDataKeys.AddKey(path);
        return path;
    }
}
