using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CityLoop.Server.Data;

/// <summary>
/// A node's dedicated PostgreSQL connection that LISTENs on some channels for the life of the node, reconnecting when
/// it is lost; on SQLite (one node) it does nothing.
/// </summary>
public abstract class PostgresListener(IServiceScopeFactory scopes, ILogger log) : BackgroundService
{
    protected abstract IReadOnlyList<string> Channels { get; }

    /// <summary>Waited after a lost connection before the next try.</summary>
    protected abstract TimeSpan RetryAfter { get; }

    /// <summary>Logged when the connection is lost: what the node does meanwhile.</summary>
    protected abstract string LostMessage { get; }

    protected abstract void OnNotification(NpgsqlNotificationEventArgs e);

    /// <summary>LISTEN has taken effect: from now on every notification is heard (none sent before it was).</summary>
    protected virtual void OnListening() { }

    /// <summary>The connection is lost, or the node stops: notifications are not heard until <see cref="OnListening"/>.</summary>
    protected virtual void OnLost() { }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        string? connectionString;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (!db.IsPostgres) return;
            connectionString = db.Database.GetConnectionString();
        }
        // Outside the pool: a listening connection is never handed to a request, nor back to the pool still listening.
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
        var listen = string.Join("; ", Channels.Select(c => $"LISTEN {c}"));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(connectionString);
                await conn.OpenAsync(ct);
                conn.Notification += (_, e) => OnNotification(e);
                await using (var cmd = new NpgsqlCommand(listen, conn)) await cmd.ExecuteNonQueryAsync(ct);
                OnListening();
                while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                OnLost();
                log.LogWarning(ex, "{What}", LostMessage);
                await Task.Delay(RetryAfter, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        OnLost();
    }
}

/// <summary>
/// Listens for the changes other nodes commit to what this node keeps in memory: accounts (the triggers of migrations
/// 0022, 0042 and 0044, decision 029 — the changed user is dropped from <see cref="UserCache"/>) and reference data
/// (the triggers of migration 0043, decision 052 — the parts the change touches are dropped from
/// <see cref="ReferenceCache"/>). Only while it listens are the caches live.
/// </summary>
public sealed class ChangeListener(IServiceScopeFactory scopes, UserCache users, ReferenceCache reference, ILogger<ChangeListener> log)
    : PostgresListener(scopes, log)
{
    public const string UsersChannel = "cityloop_users";
    public const string ReferenceChannel = "cityloop_reference";

    protected override IReadOnlyList<string> Channels => [UsersChannel, ReferenceChannel];
    protected override TimeSpan RetryAfter => TimeSpan.FromSeconds(2);
    protected override string LostMessage => "The change listener lost its connection; users and reference data are read from the database until it is back";

    protected override void OnNotification(NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == ReferenceChannel) reference.Heard(e.Payload);
        else if (Guid.TryParse(e.Payload, out var id)) users.Forget(id);
        else users.SetLive(true); // an unknown payload: drop everything, stay live
    }

    // Changes committed before LISTEN took effect were not heard: start from empty caches.
    protected override void OnListening()
    {
        users.SetLive(true);
        reference.SetLive(true);
    }

    protected override void OnLost()
    {
        users.SetLive(false);
        reference.SetLive(false);
    }
}
