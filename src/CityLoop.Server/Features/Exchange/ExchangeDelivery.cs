using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// Sends the outbox to the peers: at least once (a message stays until the peer answers 2xx, or 409 duplicate-message —
/// it already has it), in order per case (only the oldest undelivered message of a case is ever sent), with a doubling
/// backoff after a failure. Nodes claim messages with a lease taken under FOR UPDATE SKIP LOCKED on PostgreSQL, so two
/// nodes never send the same message at once; a node that dies mid-send leaves a lease that runs out.
/// </summary>
public sealed class ExchangeDelivery(CityLoopDb db, IHttpClientFactory http, IOptions<ExchangeOptions> options, TimeProvider clock, ILogger<ExchangeDelivery> log,
    Attachments.AttachmentStore store)
{
    public const string HttpClientName = "exchange";
    static readonly string Node = $"{Environment.MachineName}:{Environment.ProcessId}";
    readonly ExchangeOptions _options = options.Value;

    /// <summary>Sends what is due now; returns how many messages were delivered.</summary>
    /// <summary>
    /// Forgets received message ids older than <see cref="ExchangeOptions.InboxDays"/>. A replay of such a message is
    /// still refused: its timestamp is outside the signature window, and a fresh signature of an old message meets the
    /// case's sequence number (409 duplicate-message).
    /// </summary>
    public async Task<int> PurgeInboxAsync(CancellationToken ct = default)
    {
        var before = clock.GetUtcNow().AddDays(-Math.Max(1, options.Value.InboxDays));
        var purged = await db.Set<ExchangeInboxRow>().Where(r => r.ReceivedAt < before).ExecuteDeleteAsync(ct);
        if (purged > 0) log.LogInformation("Forgot {Count} exchange message ids received before {Before:u}", purged, before);
        return purged;
    }

    public async Task<int> DeliverDueAsync(CancellationToken ct = default)
    {
        var delivered = 0;
        // Each round sends the head of every case's queue; the next message of a case becomes due in the next round.
        for (var round = 0; round < 100; round++)
        {
            var batch = await ClaimAsync(ct);
            if (batch.Count == 0) break;
            var progress = 0;
            foreach (var row in batch)
            {
                if (await SendAsync(row, ct)) { delivered++; progress++; }
            }
            if (progress == 0) break;
        }
        return delivered;
    }

    async Task<List<ExchangeOutboxRow>> ClaimAsync(CancellationToken ct)
    {
        const int batchSize = 50;
        var now = clock.GetUtcNow();
        var until = now.AddSeconds(_options.LeaseSeconds);
        var peers = _options.Peers.Select(p => p.Code).ToList();
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        List<ExchangeOutboxRow> rows;
        if (db.IsPostgres)
        {
            rows = await db.Set<ExchangeOutboxRow>().FromSqlRaw("""
                SELECT o.* FROM exchange_outbox o
                WHERE o.delivered_at IS NULL AND o.next_attempt_at <= {0} AND (o.lease_until IS NULL OR o.lease_until < {0})
                  AND o.peer_code = ANY({1})
                  AND NOT EXISTS (SELECT 1 FROM exchange_outbox e
                                  WHERE e.delivered_at IS NULL AND e.peer_code = o.peer_code AND e.case_id = o.case_id AND e.id < o.id)
                ORDER BY o.id LIMIT 50 FOR UPDATE SKIP LOCKED
                """, now, peers.ToArray()).ToListAsync(ct);
        }
        else
        {
            var outbox = db.Set<ExchangeOutboxRow>();
            rows = await outbox.Where(o => o.DeliveredAt == null && o.NextAttemptAt <= now && (o.LeaseUntil == null || o.LeaseUntil < now) && peers.Contains(o.PeerCode))
                .Where(o => !outbox.Any(e => e.DeliveredAt == null && e.PeerCode == o.PeerCode && e.CaseId == o.CaseId && e.Id < o.Id))
                .OrderBy(o => o.Id).Take(batchSize).ToListAsync(ct);
        }
        foreach (var row in rows)
        {
            row.LeaseUntil = until;
            row.LeasedBy = Node;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return rows;
    }

    async Task<bool> SendAsync(ExchangeOutboxRow row, CancellationToken ct)
    {
        var peer = _options.Find(row.PeerCode)!;
        string? error;
        try
        {
            var body = await WireBodyAsync(row, ct);
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, peer.BaseUrl.TrimEnd('/') + ExchangeSigning.Path)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") { CharSet = "utf-8" } } },
            };
            request.Headers.Add(ExchangeSigning.PeerHeader, OwnCode(peer, row));
            request.Headers.Add(ExchangeSigning.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(ExchangeSigning.SignatureHeader, ExchangeSigning.Sign(peer.Secret, "POST", ExchangeSigning.Path, timestamp, body));
            var client = http.CreateClient(HttpClientName);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            using var response = await client.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            error = response.IsSuccessStatusCode || IsDuplicate(response.StatusCode, text) ? null : Describe(response.StatusCode, text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            error = ex.Message;
        }

        var now = clock.GetUtcNow();
        row.LeaseUntil = null;
        row.LeasedBy = null;
        if (error is null)
        {
            row.DeliveredAt = now;
            row.LastError = null;
        }
        else
        {
            row.Attempts++;
            row.LastError = error.Length > 1000 ? error[..1000] : error;
            var wait = Math.Min(_options.MaxBackoffSeconds, _options.FirstRetrySeconds * Math.Pow(2, Math.Min(30, row.Attempts - 1)));
            row.NextAttemptAt = now.AddSeconds(wait);
            log.LogWarning("Message {MessageId} ({Kind} #{Seq}) to {Peer} failed (attempt {Attempt}): {Error}", row.MessageId, row.Kind, row.Seq, row.PeerCode, row.Attempts, row.LastError);
        }
        db.Update(row);
        await db.SaveChangesAsync(ct);
        await ExchangePeers.TouchAsync(db, row.PeerCode, s =>
        {
            if (error is null) s.LastSuccessAt = now;
            else { s.LastError = row.LastError; s.LastErrorAt = now; }
        }, ct);
        return error is null;
    }

    /// <summary>Our platform code as the peer knows us: the code the message says it comes from.</summary>
    static string OwnCode(PeerOptions peer, ExchangeOutboxRow row)
    {
        using var doc = JsonDocument.Parse(row.Body);
        return doc.RootElement.GetProperty("from").GetString() ?? peer.Code;
    }

    /// <summary>The stored message with its photos expanded: attachments never change, so every attempt sends the same bytes.</summary>
    async Task<byte[]> WireBodyAsync(ExchangeOutboxRow row, CancellationToken ct)
    {
        var node = JsonNode.Parse(row.Body)!.AsObject();
        if (node["attachmentIds"] is JsonArray ids)
        {
            var wanted = ids.Select(i => Guid.Parse(i!.GetValue<string>())).ToList();
            var files = await db.Attachments.AsNoTracking().Where(a => wanted.Contains(a.Id)).ToListAsync(ct);
            var photos = new JsonArray();
            foreach (var id in wanted)
                if (files.FirstOrDefault(f => f.Id == id) is { } f)
                    photos.Add(new JsonObject { ["fileName"] = f.FileName, ["contentType"] = f.ContentType, ["content"] = Convert.ToBase64String(await store.ReadAsync(f, ct)) });
            node.Remove("attachmentIds");
            node["photos"] = photos;
        }
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    static bool IsDuplicate(HttpStatusCode status, string body)
    {
        if (status != HttpStatusCode.Conflict) return false;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("type", out var t) && t.GetString() == ExchangeEndpoints.ProblemType("duplicate-message");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static string Describe(HttpStatusCode status, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var r = doc.RootElement;
            var detail = r.TryGetProperty("detail", out var d) ? d.GetString() : null;
            var title = r.TryGetProperty("title", out var t) ? t.GetString() : null;
            return $"HTTP {(int)status}: {detail ?? title}";
        }
        catch (JsonException)
        {
            return $"HTTP {(int)status}";
        }
    }
}

/// <summary>Runs the delivery every Exchange:DeliverySeconds on every node; the claim keeps nodes from sending the same message.</summary>
public sealed class ExchangeWorker(IServiceScopeFactory scopes, IOptions<ExchangeOptions> options, ILogger<ExchangeWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (options.Value.DeliverySeconds <= 0 || options.Value.Peers.Count == 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.DeliverySeconds));
        var nextPurge = DateTimeOffset.MinValue;
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var delivery = scope.ServiceProvider.GetRequiredService<ExchangeDelivery>();
                await delivery.DeliverDueAsync(ct);
                if (DateTimeOffset.UtcNow >= nextPurge)
                {
                    await delivery.PurgeInboxAsync(ct);
                    nextPurge = DateTimeOffset.UtcNow.AddHours(1);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Exchange delivery failed; the next round picks up where it stopped");
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }
}
