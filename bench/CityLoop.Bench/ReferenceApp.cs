using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CityLoop.Bench;

/// <summary>
/// The intake benchmark's fixed reference, the fastest an intake over HTTP could be on the same machine and cluster:
/// a minimal ASP.NET Core app that reads the same JSON body CityLoop's intake gets and stores it with one Npgsql
/// INSERT (autocommit), with no authentication, no validation and no event. Keep it this small: CityLoop's rate is
/// reported as a share of this one, so changing it changes every figure.
/// </summary>
public sealed partial class ReferenceApp : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly NpgsqlDataSource _data;

    public string Address { get; }

    ReferenceApp(WebApplication app, NpgsqlDataSource data, string address) => (_app, _data, Address) = (app, data, address);

    public sealed record Location(double Lat, double Lon);
    public sealed record Reporter(string? Name, string? Phone);
    public sealed record Body(string Source, string RequestType, string Description, Location? Location, Reporter? Reporter);

    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
    [JsonSerializable(typeof(Body))]
    [JsonSerializable(typeof(Created))]
    sealed partial class Json : JsonSerializerContext;

    public sealed record Created(Guid Id);

    public static async Task<ReferenceApp> StartAsync(string connectionString)
    {
        var data = NpgsqlDataSource.Create(connectionString);
        await using (var cmd = data.CreateCommand("""
            CREATE TABLE IF NOT EXISTS reference_cases (
                id uuid PRIMARY KEY, source text NOT NULL, request_type text NOT NULL, description text NOT NULL,
                lat double precision, lon double precision, reporter_name text, reporter_phone text, created_at timestamptz NOT NULL)
            """))
            await cmd.ExecuteNonQueryAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Json.Default));
        var app = builder.Build();
        app.MapPost("/cases", async (Body body) =>
        {
            var id = Guid.CreateVersion7();
            await using var cmd = data.CreateCommand("""
                INSERT INTO reference_cases (id, source, request_type, description, lat, lon, reporter_name, reporter_phone, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = body.Source });
            cmd.Parameters.Add(new NpgsqlParameter { Value = body.RequestType });
            cmd.Parameters.Add(new NpgsqlParameter { Value = body.Description });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Location?.Lat ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Location?.Lon ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Reporter?.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)body.Reporter?.Phone ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync();
            return Results.Created($"/cases/{id}", new Created(id));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReferenceApp(app, data, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _data.DisposeAsync();
    }
}
