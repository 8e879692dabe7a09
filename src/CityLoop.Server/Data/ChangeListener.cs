using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CityLoop.Server.Data;

/// <summary>
/// Listens on PostgreSQL for the changes other nodes commit to what this node keeps in memory: accounts (the trigger of
/// migrations 0022 and 0042, decision 029 — the changed user is dropped from <see cref="UserCache"/>) and reference data
/// (the triggers of migration 0043, decision 052 — the parts the change touches are dropped from
/// <see cref="ReferenceCache"/>). Only while it listens are the caches live; on SQLite (one node) it does nothing.
/// </summary>
public sealed class ChangeListener(IServiceScopeFactory scopes, UserCache users, ReferenceCache reference, ILogger<ChangeListener> log) : BackgroundService
{
    public const string UsersChannel = "cityloop_users";
    public const string ReferenceChannel = "cityloop_reference";

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        string? connectionString;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (!db.IsPostgres) return;
            connectionString = db.Database.GetConnectionString();
        }
        // A dedicated connection outside the pool: it stays open and LISTENing for the life of the node.
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(connectionString);
                await conn.OpenAsync(ct);
                conn.Notification += (_, e) =>
                {
                    if (e.Channel == ReferenceChannel) reference.Heard(e.Payload);
                    else if (Guid.TryParse(e.Payload, out var id)) users.Forget(id);
                    else users.SetLive(true); // an unknown payload: drop everything, stay live
                };
                await using (var cmd = new NpgsqlCommand($"LISTEN {UsersChannel}; LISTEN {ReferenceChannel}", conn)) await cmd.ExecuteNonQueryAsync(ct);
                // Changes committed before LISTEN took effect were not heard: start from empty caches.
                users.SetLive(true);
                reference.SetLive(true);
                while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                users.SetLive(false);
                reference.SetLive(false);
                log.LogWarning(ex, "The change listener lost its connection; users and reference data are read from the database until it is back");
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        users.SetLive(false);
        reference.SetLive(false);
    }
}
