using CityLoop.Domain.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Notifications;

public sealed class NotificationOptions
{
    /// <summary>Channels used for staff reminders, by name: in-app, sms, email (all three if none are configured).</summary>
    public List<string> StaffChannels { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultStaffChannels = ["in-app", "sms", "email"];
    public SmsOptions Sms { get; set; } = new();
    public EmailOptions Email { get; set; } = new();
    /// <summary>Overrides of the Chinese message templates, by key (see <see cref="Templates.Defaults"/>).</summary>
    public Dictionary<string, string> Templates { get; set; } = [];
    /// <summary>Where citizens open a follow-up link: {token} is replaced.</summary>
    public string PublicFollowUpUrl { get; set; } = "http://127.0.0.1:5080/follow-up/{token}";
}

public sealed class SmsOptions
{
    /// <summary>"outbox" keeps messages in the outbox for an operator; "http" calls a gateway.</summary>
    public string Provider { get; set; } = "outbox";
    /// <summary>Gateway URL with {phone} and {text} (URL-encoded when substituted).</summary>
    public string? UrlTemplate { get; set; }
    public string Method { get; set; } = "GET";
}

public sealed class EmailOptions
{
    /// <summary>No host: e-mail is not sent (messages stay recorded in the outbox).</summary>
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public bool EnableSsl { get; set; }
    public string From { get; set; } = "cityloop@localhost";
    public string? UserName { get; set; }
    public string? Password { get; set; }
}

/// <summary>
/// Every message to anyone, on any channel: written in the transaction that decided to send it, delivered after the
/// commit by whichever node claims it. For SMS with the default provider this table is the outbox an operator reads.
/// </summary>
public sealed class OutboundMessage
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Channel { get; set; } = "";
    /// <summary>A user id (in-app), a phone number (sms) or an address (email).</summary>
    public string Recipient { get; set; } = "";
    public Guid? UserId { get; set; }
    public Guid? CaseId { get; set; }
    public string Template { get; set; } = "";
    public string Subject { get; set; } = "";
    /// <summary>The Chinese text (what SMS and e-mail carry); the inbox renders <see cref="Template"/> and <see cref="Fields"/> in the reader's language.</summary>
    public string Body { get; set; } = "";
    /// <summary>The fields the template was filled with, as JSON (<see cref="NotificationText"/>); null for messages from before 0028.</summary>
    public string? Fields { get; set; }
    /// <summary>The phase of the case the message is about (reminders, act-now): superseded once the case has left it.</summary>
    public CasePhase? Phase { get; set; }
    /// <summary>pending, sent, recorded (kept in the outbox, no gateway), failed, superseded (the case had left the phase before delivery).</summary>
    public string Status { get; set; } = "pending";
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? Error { get; set; }
    /// <summary>After a failed attempt: not before this instant (the backoff doubles with each attempt).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
}

/// <summary>An in-app message in a user's inbox.</summary>
public sealed class Notification
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public Guid? CaseId { get; set; }
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
    /// <summary>The template key and its fields (JSON): the message is rendered in the reader's language. Null on rows from before 0028.</summary>
    public string? Template { get; set; }
    public string? Fields { get; set; }
    /// <summary>The case's phase the message is about: an unread message per person, case and phase is brought up to date, not repeated.</summary>
    public CasePhase? Phase { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ReadAt { get; set; }
}

/// <summary>Where a user is reached outside the application.</summary>
public sealed class UserContact
{
    public Guid UserId { get; set; }
    public string? Phone { get; set; }
    public string? Email { get; set; }
}

sealed class OutboundMessageConfiguration : IEntityTypeConfiguration<OutboundMessage>
{
    public void Configure(EntityTypeBuilder<OutboundMessage> e)
    {
        e.ToTable("message_outbox");
        e.HasKey(x => x.Id);
        e.Property(x => x.Channel).HasMaxLength(16);
        e.Property(x => x.Status).HasMaxLength(16);
        e.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
        // Only undelivered messages are looked up by the delivery loop; the log itself grows without bound.
        e.HasIndex(x => x.CreatedAt).HasFilter("status = 'pending'");
        e.HasIndex(x => x.CaseId);
    }
}

sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> e)
    {
        e.ToTable("notifications");
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.UserId, x.CreatedAt });
        e.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
        // The unread message about a case, looked up when a newer one about the same phase arrives (migration 0028).
        e.HasIndex(x => new { x.UserId, x.CaseId }).HasFilter("read_at IS NULL");
    }
}

sealed class UserContactConfiguration : IEntityTypeConfiguration<UserContact>
{
    public void Configure(EntityTypeBuilder<UserContact> e)
    {
        e.ToTable("user_contacts");
        e.HasKey(x => x.UserId);
    }
}

/// <summary>
/// Message texts with {field} placeholders filled from the case: Chinese (the stored body, SMS and e-mail; overridable by
/// configuration) and English (rendered for a reader who chose English). A field may carry its English twin under
/// "name@en" (a phase, a role, what to do); fields without one (case number, title, department name) are data and read
/// the same in both languages.
/// </summary>
public static class Templates
{
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["clock-warn"] = "【催办】案件{number}「{title}」{phase}时限将至，请于{dueAt}前办理。（{department}）",
        ["clock-due"] = "【超期催办】案件{number}「{title}」{phase}已于{dueAt}超过时限，请立即办理。（{department}）",
        ["clock-escalate"] = "【超期升级】案件{number}「{title}」{phase}已超期（时限{dueAt}），责任单位{department}，请{level}督促办理。",
        ["supervision-issued"] = "【{level}】案件{number}「{title}」：{requirement}。请于{dueAt}前回复。（{department}）",
        ["act-now"] = "【待办】案件{number}「{title}」：{what}。（{department}，时限{dueAt}）",
        ["follow-up-link"] = "您反映的问题（编号{number}）已办结，请点击链接评价办理结果：{link}",
    };

    /// <summary>The same messages in English, by the same keys.</summary>
    public static readonly IReadOnlyDictionary<string, string> English = new Dictionary<string, string>
    {
        ["clock-warn"] = "[Reminder] Case {number} \"{title}\": the {phase} limit is near; act before {dueAt}. ({department})",
        ["clock-due"] = "[Overdue] Case {number} \"{title}\": {phase} passed its limit at {dueAt}; act now. ({department})",
        ["clock-escalate"] = "[Escalated] Case {number} \"{title}\": {phase} is overdue (limit {dueAt}), responsible: {department}; {level}, please see it done.",
        ["supervision-issued"] = "[{level}] Case {number} \"{title}\": {requirement}. Reply by {dueAt}. ({department})",
        ["act-now"] = "[To do] Case {number} \"{title}\": {what}. ({department}, limit {dueAt})",
        ["follow-up-link"] = "Your report (number {number}) has been handled; rate the result: {link}",
    };

    public static string Fill(string template, IReadOnlyDictionary<string, string?> fields, bool english = false)
    {
        var text = template;
        foreach (var (key, value) in fields)
        {
            if (key.EndsWith("@en", StringComparison.Ordinal)) continue;
            var v = english && fields.TryGetValue(key + "@en", out var en) && en is not null ? en : value;
            text = text.Replace("{" + key + "}", v ?? "", StringComparison.Ordinal);
        }
        return text;
    }
}

/// <summary>
/// A stored message in the reader's language: rows that keep their template key and fields are rendered from them (in
/// English for an English reader, the stored Chinese text otherwise); rows from before migration 0028 read as stored.
/// </summary>
public static class NotificationText
{
    public const int SubjectLength = 40;

    public static string Subject(string body) => body.Length > SubjectLength ? body[..SubjectLength] : body;

    public static string? Json(IReadOnlyDictionary<string, string?> fields) => System.Text.Json.JsonSerializer.Serialize(fields);

    public static Dictionary<string, string?>? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try { return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string?>>(json); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The body in English, or null when the row cannot be rendered (no key, unknown key, no fields).</summary>
    public static string? English(string? template, string? fields) =>
        template is not null && Templates.English.TryGetValue(template, out var t) && Parse(fields) is { } f ? Templates.Fill(t, f, english: true) : null;

    /// <summary>(title, body) for the current UI culture.</summary>
    public static (string Title, string Body) For(string? template, string? fields, string title, string body) =>
        Shared.Ui.English && English(template, fields) is { } en ? (Subject(en), en) : (title, body);
}
