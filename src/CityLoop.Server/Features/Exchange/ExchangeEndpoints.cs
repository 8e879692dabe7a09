using System.Globalization;
using System.Text.Json;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Admin;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Exchange;

public sealed record PeerLinkDto(string Code, string Name, string Role, string BaseUrl, string? Department, int QueueLength, DateTimeOffset? OldestPendingAt,
    int FailingMessages, DateTimeOffset? LastSuccessAt, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? LastReceivedAt, long Delivered);

/// <summary>The link status per configured peer (never its secret), for the system administrator.</summary>
public sealed class ExchangeStatus(CityLoopDb db, IOptions<ExchangeOptions> options)
{
    public async Task<IReadOnlyList<PeerLinkDto>> PeersAsync(Actor actor, CancellationToken ct = default)
    {
        UserAdmin.Require(actor, Role.SystemAdmin);
        // The peer links are the deployment's (configuration, the root's outbox): a sub-centre's administrator is refused.
        UserAdmin.RequireRoot(actor, "平台联网链路属于整个部署，", "The peer links belong to the whole deployment and are");
        var peers = options.Value.Peers;
        var codes = peers.Select(p => p.Code).ToList();
        var pending = await db.Set<ExchangeOutboxRow>().AsNoTracking().Where(o => o.DeliveredAt == null && codes.Contains(o.PeerCode))
            .GroupBy(o => o.PeerCode)
            .Select(g => new { Peer = g.Key, Count = g.Count(), Oldest = g.Min(o => o.CreatedAt), Failing = g.Count(o => o.Attempts > 0) })
            .ToListAsync(ct);
        var delivered = await db.Set<ExchangeOutboxRow>().AsNoTracking().Where(o => o.DeliveredAt != null && codes.Contains(o.PeerCode))
            .GroupBy(o => o.PeerCode).Select(g => new { Peer = g.Key, Count = g.LongCount() }).ToListAsync(ct);
        var states = await db.Set<ExchangePeerState>().AsNoTracking().Where(s => codes.Contains(s.Code)).ToListAsync(ct);
        return peers.Select(p =>
        {
            var q = pending.FirstOrDefault(x => x.Peer == p.Code);
            var s = states.FirstOrDefault(x => x.Code == p.Code);
            // An error older than the last success is history, not the link's state.
            var error = s?.LastErrorAt is { } at && (s.LastSuccessAt is null || at > s.LastSuccessAt) ? s.LastError : null;
            return new PeerLinkDto(p.Code, p.DisplayName, p.Role, p.BaseUrl, p.IsLower ? p.DepartmentCode : null, q?.Count ?? 0, q?.Oldest, q?.Failing ?? 0,
                s?.LastSuccessAt, error, error is null ? null : s?.LastErrorAt, s?.LastReceivedAt, delivered.FirstOrDefault(x => x.Peer == p.Code)?.Count ?? 0);
        }).ToList();
    }
}

public static class ExchangeEndpoints
{
    public static string ProblemType(string code) => "https://cityloop.dev/problems/exchange/" + code;

    /// <summary>A message with its photos; larger requests are refused before they are read.</summary>
    const long MaxBody = 64L * 1024 * 1024;

    public static void MapExchangeEndpoints(this WebApplication app)
    {
        // Peers are believed by their signature alone: no session, no API key.
        app.MapPost(ExchangeSigning.Path, ReceiveAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/api/v1/admin/exchange", async (CurrentActor current, ExchangeStatus status, CancellationToken ct) =>
            Results.Ok(await status.PeersAsync(await current.GetAsync(), ct)));
    }

    static async Task<IResult> ReceiveAsync(HttpContext http, IOptions<ExchangeOptions> options, ExchangeReceiver receiver, TimeProvider clock,
        ILoggerFactory logs, CancellationToken ct)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = MaxBody;
        var peerCode = http.Request.Headers[ExchangeSigning.PeerHeader].ToString();
        var peer = options.Value.Find(peerCode);
        if (peer is null)
            return Problem(401, "unknown-peer", "Unknown peer.", $"'{peerCode}' is not a peer of this platform.");
        if (!long.TryParse(http.Request.Headers[ExchangeSigning.TimestampHeader], NumberStyles.Integer, CultureInfo.InvariantCulture, out var timestamp))
            return Problem(401, "bad-signature", "The request is not signed.", $"{ExchangeSigning.TimestampHeader} (unix seconds) is required.");
        var skew = Math.Abs(clock.GetUtcNow().ToUnixTimeSeconds() - timestamp);
        if (skew > options.Value.ClockSkewSeconds)
            return Problem(401, "stale-timestamp", "The request is too old or too far ahead.",
                $"The timestamp is {skew} s from this platform's clock; at most {options.Value.ClockSkewSeconds:0} s is accepted.");
        using var ms = new MemoryStream();
        await http.Request.Body.CopyToAsync(ms, ct);
        var body = ms.ToArray();
        var signature = http.Request.Headers[ExchangeSigning.SignatureHeader].ToString();
        if (!peer.AcceptedSecrets.Any(secret => ExchangeSigning.Verify(secret, http.Request.Method, http.Request.Path.Value ?? "", timestamp, body, signature)))
        {
            logs.CreateLogger("CityLoop.Exchange").LogWarning("A message claiming to come from {Peer} had a wrong signature", peer.Code);
            return Problem(401, "bad-signature", "The signature does not match.", "Sign METHOD, path, timestamp and the body's SHA-256 with the secret shared with this platform.");
        }
        ExchangeMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<ExchangeMessage>(body, ExchangeMessage.Json);
        }
        catch (JsonException ex)
        {
            return Problem(400, "bad-message", "The message could not be read.", ex.Message);
        }
        if (message is null) return Problem(400, "bad-message", "The message could not be read.", "The body is empty.");
        try
        {
            return Results.Ok(await receiver.ReceiveAsync(peer, message, ct));
        }
        catch (ExchangeRefusedException r)
        {
            return Problem(r.Status, r.Code, r.Title, r.Message, r.ExpectedSeq);
        }
    }

    static IResult Problem(int status, string code, string title, string detail, int? expectedSeq = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: ProblemType(code),
            extensions: expectedSeq is null ? null : new Dictionary<string, object?> { ["expectedSeq"] = expectedSeq });
}
