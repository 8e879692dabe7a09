using System.Net.Mail;
using System.Text.Json;
using CityLoop.Server.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CityLoop.Server.Features.Notifications;

/// <summary>One way of reaching people. Returns the message's new status: sent, or recorded when nothing left the building.</summary>
public interface INotificationChannel
{
    string Name { get; }
    Task<string> SendAsync(OutboundMessage message, CancellationToken ct);

    /// <summary>
    /// Before a batch is sent message by message: what the channel would otherwise ask the database once per message,
    /// asked once for the batch. <see cref="EndBatch"/> follows when the batch has been sent (or given up).
    /// </summary>
    Task BeginBatchAsync(IReadOnlyCollection<OutboundMessage> batch, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Forgets what <see cref="BeginBatchAsync"/> read: the unit of work may be cleared or rolled back after it.</summary>
    void EndBatch() { }
}

/// <summary>
/// Stores the message in the user's inbox and pushes it to their open pages. A message about a case's phase brings the
/// user's unread message about the same case and phase up to date instead of adding another: one unread message per
/// person, case and phase says where it stands now (decision 034).
/// </summary>
public sealed class InAppChannel(CityLoopDb db, LivePush push) : INotificationChannel
{
    public string Name => "in-app";

    // The (user, case) pairs whose stored unread messages the batch has read into the unit of work.
    readonly HashSet<(Guid User, Guid Case)> _read = [];

    /// <summary>
    /// The stored unread messages that a batch's messages about a phase may bring up to date, read in one query (they
    /// stay tracked, and <see cref="SendAsync"/> finds them there) instead of one query per message: a dispatch tells
    /// every handler and head of the department. A batch of one keeps its own query.
    /// </summary>
    public async Task BeginBatchAsync(IReadOnlyCollection<OutboundMessage> batch, CancellationToken ct)
    {
        var keys = batch.Where(m => m.Channel == Name && m.Phase is not null && m.UserId is not null && m.CaseId is not null)
            .Select(m => (User: m.UserId!.Value, Case: m.CaseId!.Value)).Where(k => !_read.Contains(k)).Distinct().ToList();
        if (keys.Count < 2) return;
        var users = keys.Select(k => k.User).Distinct().ToList();
        var cases = keys.Select(k => k.Case).Distinct().ToList();
        await db.Set<Notification>().Where(x => x.ReadAt == null && x.CaseId != null && users.Contains(x.UserId) && cases.Contains(x.CaseId.Value)).LoadAsync(ct);
        _read.UnionWith(keys);
    }

    public void EndBatch() => _read.Clear();

    public async Task<string> SendAsync(OutboundMessage m, CancellationToken ct)
    {
        var user = m.UserId!.Value;
        Notification? n = null;
        if (m.Phase is { } phase && m.CaseId is { } caseId)
        {
            // One this unit of work holds first (added by this batch, or read by BeginBatchAsync), then the stored unread
            // one (a partial index holds only those) unless the batch has read them already.
            n = Unsaved().Where(x => x.UserId == user && x.CaseId == caseId && x.Phase == phase && x.ReadAt == null).MaxBy(x => x.CreatedAt)
                ?? (_read.Contains((user, caseId)) ? null : await db.Set<Notification>().Where(x => x.UserId == user && x.CaseId == caseId && x.ReadAt == null && x.Phase == phase)
                    .OrderByDescending(x => x.CreatedAt).FirstOrDefaultAsync(ct));
            if (n is not null && n.CreatedAt > m.CreatedAt) return "sent"; // the inbox already says something newer
        }
        var replaces = n is not null;
        if (n is null) db.Set<Notification>().Add(n = new Notification { UserId = user, CaseId = m.CaseId, Phase = m.Phase });
        n.Title = m.Subject;
        n.Body = m.Body;
        n.Template = m.Fields is null ? null : m.Template;
        n.Fields = m.Fields;
        n.CreatedAt = m.CreatedAt;
        await push.PublishAsync(n, replaces, ct);
        return "sent";
    }

    /// <summary>
    /// The inbox rows this unit of work holds (added, or read and brought up to date), without a change-detection scan: the messages of a workflow
    /// step are delivered inside its unit of work, where the case and its derived rows are tracked too (decision 037).
    /// </summary>
    List<Notification> Unsaved() =>
        db.WithoutChangeScan(t => t.Entries<Notification>().Where(e => e.State != EntityState.Deleted).Select(e => e.Entity).ToList());
}

public interface ISmsProvider
{
    /// <summary>Hands the text to the provider; returns sent, or recorded when it only keeps it in the outbox.</summary>
    Task<string> SendAsync(string phone, string text, CancellationToken ct);
}

/// <summary>The default provider: the outbox row is the record, an operator reads it (GET /api/v1/notifications/outbox).</summary>
public sealed class OutboxSmsProvider : ISmsProvider
{
    public Task<string> SendAsync(string phone, string text, CancellationToken ct) => Task.FromResult("recorded");
}

/// <summary>A generic HTTP gateway: configuration gives the URL template and the method.</summary>
public sealed class HttpSmsProvider(HttpClient http, IOptions<NotificationOptions> options) : ISmsProvider
{
    public async Task<string> SendAsync(string phone, string text, CancellationToken ct)
    {
        var sms = options.Value.Sms;
        var url = (sms.UrlTemplate ?? throw new InvalidOperationException("Notifications:Sms:UrlTemplate is not set."))
            .Replace("{phone}", Uri.EscapeDataString(phone), StringComparison.Ordinal)
            .Replace("{text}", Uri.EscapeDataString(text), StringComparison.Ordinal);
        using var response = string.Equals(sms.Method, "POST", StringComparison.OrdinalIgnoreCase)
            ? await http.PostAsync(url, JsonContent(phone, text), ct)
            : await http.GetAsync(url, ct);
        response.EnsureSuccessStatusCode();
        return "sent";
    }

    static StringContent JsonContent(string phone, string text) =>
        new(JsonSerializer.Serialize(new { phone, text }), System.Text.Encoding.UTF8, "application/json");
}

public sealed class SmsChannel(ISmsProvider provider) : INotificationChannel
{
    public string Name => "sms";
    public Task<string> SendAsync(OutboundMessage m, CancellationToken ct) => provider.SendAsync(m.Recipient, m.Body, ct);
}

public sealed class EmailChannel(IOptions<NotificationOptions> options) : INotificationChannel
{
    public string Name => "email";

    public async Task<string> SendAsync(OutboundMessage m, CancellationToken ct)
    {
        var o = options.Value.Email;
        if (string.IsNullOrWhiteSpace(o.Host)) return "recorded";
        using var smtp = new SmtpClient(o.Host, o.Port) { EnableSsl = o.EnableSsl };
        if (o.UserName is not null) smtp.Credentials = new System.Net.NetworkCredential(o.UserName, o.Password);
        using var mail = new MailMessage(o.From, m.Recipient, m.Subject, m.Body)
        {
            SubjectEncoding = System.Text.Encoding.UTF8,
            BodyEncoding = System.Text.Encoding.UTF8,
        };
        await smtp.SendMailAsync(mail, ct);
        return "sent";
    }
}

[Authorize(Policy = Identity.AuthSetup.ApiPolicy)]
public sealed class NotificationHub : Hub;

/// <summary>
/// Live pushes to open pages. On PostgreSQL a NOTIFY (sent at commit, to every node) reaches the node that holds the
/// user's connection; <see cref="NotificationRelay"/> listens for it. On SQLite there is one node: push directly.
/// </summary>
public sealed class LivePush(CityLoopDb db, IHubContext<NotificationHub> hub)
{
    public const string ChannelName = "cityloop_notifications";
    const int PreviewChars = 500;
    List<string>? _held;
    List<string>? _notices;

    /// <summary>
    /// Holds the pushes of a unit of work that delivers its in-app messages before its own commit (decision 037): a page
    /// hears of a message only once it is stored. SQLite (one node, no NOTIFY) sends them to this node's pages at
    /// <see cref="ReleaseAsync"/>; PostgreSQL's NOTIFY is transactional and goes out at the commit by itself, so the
    /// held ones are sent by <see cref="FlushAsync"/> inside the transaction, all in one statement instead of one round
    /// trip per message.
    /// </summary>
    public void Hold()
    {
        if (db.IsPostgres) _notices ??= [];
        else _held ??= [];
    }

    /// <summary>PostgreSQL: sends the held NOTIFYs in one statement, in the unit of work's transaction (delivered at its commit).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var notices = _notices;
        _notices = null;
        if (notices is { Count: > 0 }) await NotifyAsync(notices, ct);
    }

    /// <summary>Sends the held pushes (after the commit), or drops them (<paramref name="send"/> false: the unit of work failed).</summary>
    public async Task ReleaseAsync(bool send, CancellationToken ct)
    {
        var (held, notices) = (_held, _notices);
        (_held, _notices) = (null, null);
        if (!send) return;
        if (notices is { Count: > 0 }) await NotifyAsync(notices, ct);
        foreach (var json in held ?? []) await Deliver(hub, json, ct);
    }

    public async Task PublishAsync(Notification n, bool replaces, CancellationToken ct)
    {
        // NOTIFY carries at most 8,000 bytes: the push holds a preview, the inbox the whole text.
        static string Preview(string text) => text.Length > PreviewChars ? text[..PreviewChars] + "…" : text;
        var body = Preview(n.Body);
        var english = NotificationText.English(n.Template, n.Fields);
        var title = n.Title.Length > 200 ? n.Title[..200] : n.Title;
        // Both languages: the page shows the one it is in. A message that brought an unread one up to date does not add to the count.
        var json = JsonSerializer.Serialize(new { n.Id, n.UserId, n.CaseId, Title = title, Body = body, BodyEn = english is null ? null : Preview(english), Replaces = replaces, n.CreatedAt },
            JsonSerializerOptions.Web);
        if (_notices is not null) _notices.Add(json);
        else if (db.IsPostgres) await NotifyAsync([json], ct);
        else if (_held is not null) _held.Add(json);
        else await Deliver(hub, json, ct);
    }

    /// <summary>NOTIFY of these payloads, in the current transaction if there is one: one statement whatever their number.</summary>
    async Task NotifyAsync(List<string> payloads, CancellationToken ct)
    {
        var opened = db.Database.GetDbConnection().State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            cmd.Parameters.Add(new NpgsqlParameter("c", ChannelName));
            if (payloads.Count == 1)
            {
                cmd.CommandText = "SELECT pg_notify(@c, @p)";
                cmd.Parameters.Add(new NpgsqlParameter("p", payloads[0]));
            }
            else
            {
                cmd.CommandText = "SELECT pg_notify(@c, p) FROM unnest(@ps) AS p";
                cmd.Parameters.Add(new NpgsqlParameter("ps", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = payloads.ToArray() });
            }
            await cmd.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }

    public static Task Deliver(IHubContext<NotificationHub> hub, string json, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(json);
        var user = doc.RootElement.GetProperty("userId").GetGuid().ToString();
        return hub.Clients.User(user).SendAsync("notification", doc.RootElement.Clone(), ct);
    }
}

/// <summary>Relays NOTIFY from any node to this node's SignalR connections (PostgreSQL only).</summary>
public sealed class NotificationRelay(IServiceScopeFactory scopes, IHubContext<NotificationHub> hub, ILogger<NotificationRelay> log)
    : PostgresListener(scopes, log)
{
    protected override IReadOnlyList<string> Channels => [LivePush.ChannelName];
    protected override TimeSpan RetryAfter => TimeSpan.FromSeconds(5);
    protected override string LostMessage => "Notification relay lost its connection; retrying";

    protected override void OnNotification(NpgsqlNotificationEventArgs e) => _ = Deliver(e.Payload);

    async Task Deliver(string json)
    {
        try
        {
            await LivePush.Deliver(hub, json, CancellationToken.None);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Live push failed");
        }
    }
}
