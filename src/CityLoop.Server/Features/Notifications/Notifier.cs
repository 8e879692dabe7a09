using System.Globalization;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Notifications;

/// <summary>
/// Composes messages from templates and queues them in the caller's unit of work, logging each batch on the case as a
/// 'notify' event; <see cref="DeliverPendingAsync"/> hands queued messages to their channels after the commit.
/// </summary>
public sealed class Notifier(CityLoopDb db, TimeProvider clock, IOptions<NotificationOptions> options, IOptions<PlatformOptions> platform,
    IEnumerable<INotificationChannel> channels, ILogger<Notifier> log)
{
    readonly NotificationOptions _options = options.Value;
    List<User>? _users;
    Dictionary<Guid, UserContact>? _contacts;
    Dictionary<string, string>? _departments;

    /// <summary>Active users holding <paramref name="role"/>; department-bound roles only within <paramref name="department"/>.</summary>
    public async Task<IReadOnlyList<User>> UsersAsync(Role role, string? department, CancellationToken ct)
    {
        _users ??= await db.Users.AsNoTracking().Where(u => !u.Disabled).ToListAsync(ct);
        return _users.Where(u => u.RoleSet().Contains(role) && (!Roles.DepartmentBound.Contains(role) || (department is not null && u.DepartmentCode == department))).ToList();
    }

    public async Task<Dictionary<string, string?>> FieldsAsync(Case c, CancellationToken ct)
    {
        _departments ??= await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, ct);
        return new Dictionary<string, string?>
        {
            ["number"] = c.Number,
            ["title"] = c.Title ?? Shorten(c.Description),
            ["department"] = c.LeadDepartmentCode is { } d ? _departments.GetValueOrDefault(d, d) : "未派遣",
            ["dueAt"] = Format(c.ClockDueAt),
            ["phase"] = c.ClockPhase is { } p ? PhaseName(p) : "",
        };
    }

    public string Format(DateTimeOffset? at) =>
        at is { } v ? TimeZoneInfo.ConvertTime(v, platform.Value.Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    public string Render(string template, IReadOnlyDictionary<string, string?> fields) =>
        Templates.Fill(_options.Templates.GetValueOrDefault(template) ?? Templates.Defaults[template], fields);

    /// <summary>Queues one message per user and staff channel, and logs them on the case; returns how many.</summary>
    public async Task<int> ToStaffAsync(Case c, string template, IReadOnlyDictionary<string, string?> fields, IEnumerable<User> users,
        TransitionContext ctx, CancellationToken ct, bool logOnCase = true)
    {
        _contacts ??= await db.Set<UserContact>().AsNoTracking().ToDictionaryAsync(x => x.UserId, ct);
        var body = Render(template, fields);
        var subject = body.Length > 40 ? body[..40] : body;
        var sent = new List<object>();
        foreach (var user in users.DistinctBy(u => u.Id))
        {
            var contact = _contacts.GetValueOrDefault(user.Id);
            foreach (var channel in _options.StaffChannels)
            {
                var to = channel switch
                {
                    "in-app" => user.Id.ToString(),
                    "sms" => contact?.Phone,
                    "email" => contact?.Email,
                    _ => null,
                };
                if (string.IsNullOrWhiteSpace(to)) continue;
                Queue(c, channel, to, user.Id, template, subject, body, ctx.Now);
                sent.Add(new { channel, to = channel == "in-app" ? user.DisplayName : to });
            }
        }
        if (sent.Count > 0 && logOnCase) c.Note("notify", ctx, payload: new { template, text = body, messages = sent });
        return sent.Count;
    }

    /// <summary>Queues an SMS to the citizen, logged on the case without the number (the reporter stays protected).</summary>
    public void ToCitizen(Case c, string template, IReadOnlyDictionary<string, string?> fields, string phone, TransitionContext ctx)
    {
        var body = Render(template, fields);
        Queue(c, "sms", phone, null, template, body, body, ctx.Now);
        c.Note("notify", ctx, payload: new { template, messages = new[] { new { channel = "sms", to = "reporter" } } });
    }

    void Queue(Case c, string channel, string to, Guid? userId, string template, string subject, string body, DateTimeOffset now) =>
        db.Set<OutboundMessage>().Add(new OutboundMessage
        {
            Channel = channel, Recipient = to, UserId = userId, CaseId = c.Id, Template = template, Subject = subject, Body = body, CreatedAt = now,
        });

    /// <summary>
    /// Delivers queued messages. Each batch is claimed with row locks that other nodes skip, so a message goes out once;
    /// a failed one is retried on later sweeps, up to three attempts.
    /// </summary>
    public async Task<int> DeliverPendingAsync(CancellationToken ct = default)
    {
        const int batchSize = 200;
        var delivered = 0;
        var byName = channels.ToDictionary(ch => ch.Name);
        var tried = new HashSet<Guid>();
        while (true)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = db.IsPostgres
                ? await db.Set<OutboundMessage>().FromSqlRaw(
                    "SELECT * FROM message_outbox WHERE status = 'pending' ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED").ToListAsync(ct)
                : await db.Set<OutboundMessage>().Where(m => m.Status == "pending").OrderBy(m => m.CreatedAt).Take(batchSize).ToListAsync(ct);
            batch = batch.Where(m => tried.Add(m.Id)).ToList();
            if (batch.Count == 0) break;
            foreach (var m in batch)
            {
                try
                {
                    m.Status = byName.TryGetValue(m.Channel, out var channel) ? await channel.SendAsync(m, ct) : "failed";
                    m.SentAt = clock.GetUtcNow();
                    delivered++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning(ex, "Sending {Channel} message {Id} failed", m.Channel, m.Id);
                    m.Attempts++;
                    m.Error = ex.Message;
                    if (m.Attempts >= 3) m.Status = "failed";
                }
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        return delivered;
    }

    public static string PhaseName(CasePhase phase) => phase switch
    {
        CasePhase.Filing => "立案",
        CasePhase.Verification => "核实",
        CasePhase.Dispatch => "派遣",
        CasePhase.SignFor => "签收",
        CasePhase.Handling => "处置",
        CasePhase.Review => "反馈审核",
        CasePhase.Check => "核查",
        CasePhase.Close => "结案",
        CasePhase.FollowUp => "回访",
        _ => phase.ToString(),
    };

    static string Shorten(string text) => text.Length > 20 ? text[..20] + "…" : text;
}
