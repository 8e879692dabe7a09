using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Notifications;

public sealed record NotificationDto(Guid Id, Guid? CaseId, string Title, string Body, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);
public sealed record OutboxMessageDto(Guid Id, string Channel, string Recipient, Guid? CaseId, string Template, string Body, string Status,
    int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, string? Error, DateTimeOffset? NextAttemptAt = null);
public sealed record ContactRequest(string? Phone, string? Email);

public static class NotificationEndpoints
{
    static readonly Role[] OutboxReaders = [Role.SystemAdmin, Role.Supervisor];

    public static void MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/notifications").WithTags("Notifications").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/", Mine).WithName("ListMyNotifications");
        g.MapPost("/{id:guid}/read", Read).WithName("MarkNotificationRead");
        g.MapPost("/read-all", ReadAll).WithName("MarkAllNotificationsRead");
        g.MapPut("/contact", SetContact).WithName("SetMyContact");
        g.MapGet("/outbox", Outbox).WithName("ListOutbox");
    }

    static async Task<Guid> UserId(CurrentActor current)
    {
        var actor = await current.GetAsync();
        if (actor.IsSystem || !Guid.TryParse(actor.Id, out var id)) throw new CaseForbiddenException("Notifications belong to people, not to API keys.");
        return id;
    }

    static async Task<Ok<List<NotificationDto>>> Mine(bool? unread, CurrentActor current, CityLoopDb db, CancellationToken ct) =>
        TypedResults.Ok(await ListAsync(db, await UserId(current), unread == true, ct));

    static async Task<Results<NoContent, NotFound>> Read(Guid id, CurrentActor current, CityLoopDb db, TimeProvider clock, CancellationToken ct) =>
        await MarkReadAsync(db, await UserId(current), id, clock.GetUtcNow(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    static async Task<NoContent> ReadAll(CurrentActor current, CityLoopDb db, TimeProvider clock, CancellationToken ct)
    {
        await MarkAllReadAsync(db, await UserId(current), clock.GetUtcNow(), ct);
        return TypedResults.NoContent();
    }

    // The inbox itself, shared by the API above and the desk (the bell and the notifications page).

    public static async Task<List<NotificationDto>> ListAsync(CityLoopDb db, Guid me, bool unreadOnly, CancellationToken ct)
    {
        var q = db.Set<Notification>().AsNoTracking().Where(n => n.UserId == me);
        if (unreadOnly) q = q.Where(n => n.ReadAt == null);
        return (await q.OrderByDescending(n => n.CreatedAt).Take(200)
            .Select(n => new { n.Id, n.CaseId, n.Title, n.Body, n.Template, n.Fields, n.CreatedAt, n.ReadAt }).ToListAsync(ct))
            .Select(n => Dto(n.Id, n.CaseId, n.Title, n.Body, n.Template, n.Fields, n.CreatedAt, n.ReadAt)).ToList();
    }

    /// <summary>A stored message as the reader reads it: in English for an English request where the row keeps its template key.</summary>
    public static NotificationDto Dto(Guid id, Guid? caseId, string title, string body, string? template, string? fields, DateTimeOffset createdAt, DateTimeOffset? readAt)
    {
        var (t, b) = NotificationText.For(template, fields, title, body);
        return new NotificationDto(id, caseId, t, b, createdAt, readAt);
    }

    public static Task<int> UnreadCountAsync(CityLoopDb db, Guid me, CancellationToken ct) =>
        db.Set<Notification>().CountAsync(n => n.UserId == me && n.ReadAt == null, ct);

    public static async Task<bool> MarkReadAsync(CityLoopDb db, Guid me, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        var n = await db.Set<Notification>().FirstOrDefaultAsync(x => x.Id == id && x.UserId == me, ct);
        if (n is null) return false;
        n.ReadAt ??= now;
        await db.SaveChangesAsync(ct);
        return true;
    }

    public static async Task MarkAllReadAsync(CityLoopDb db, Guid me, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var n in await db.Set<Notification>().Where(x => x.UserId == me && x.ReadAt == null).ToListAsync(ct)) n.ReadAt = now;
        await db.SaveChangesAsync(ct);
    }

    static async Task<NoContent> SetContact(ContactRequest body, CurrentActor current, CityLoopDb db, CancellationToken ct)
    {
        var me = await UserId(current);
        if (InputLimits.TextProblem(body.Phone, InputLimits.Phone) is { } phoneProblem) throw CaseValidationException.Single("phone", phoneProblem);
        if (body.Phone is { Length: > 0 } phone && !phone.All(ch => char.IsDigit(ch) || ch is '-' or '+' or ' '))
            throw CaseValidationException.Single("phone", "A phone number has digits, spaces, '+' and '-' only.");
        if (InputLimits.TextProblem(body.Email, InputLimits.Email) is { } emailProblem) throw CaseValidationException.Single("email", emailProblem);
        if (body.Email is { Length: > 0 } email && !System.Net.Mail.MailAddress.TryCreate(email, out _))
            throw CaseValidationException.Single("email", "Not an e-mail address.");
        // Two first saves at once both insert: the loser updates the row the winner created.
        for (var attempt = 0; ; attempt++)
        {
            var contact = await db.Set<UserContact>().FirstOrDefaultAsync(x => x.UserId == me, ct);
            if (contact is null) db.Set<UserContact>().Add(contact = new UserContact { UserId = me });
            contact.Phone = string.IsNullOrWhiteSpace(body.Phone) ? null : body.Phone.Trim();
            contact.Email = string.IsNullOrWhiteSpace(body.Email) ? null : body.Email.Trim();
            try
            {
                await db.SaveChangesAsync(ct);
                return TypedResults.NoContent();
            }
            catch (DbUpdateException ex) when (attempt < 3 && DbErrors.IsUniqueViolation(ex))
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Every message queued or sent, newest first: what an operator reads when SMS goes to the outbox.</summary>
    /// <summary>
    /// Phone numbers are masked (138****1234) and follow-up links lose their token: with the token anyone can rate
    /// the case, and staff have no use for it. Every read is audited.
    /// </summary>
    static async Task<Ok<List<OutboxMessageDto>>> Outbox(string? channel, string? status, Guid? caseId, CurrentActor current, CityLoopDb db, Audit audit,
        Microsoft.Extensions.Options.IOptions<NotificationOptions> options, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Roles.Any(OutboxReaders.Contains)) throw new CaseForbiddenException("The message outbox is for system administrators and supervisors.");
        var q = db.Set<OutboundMessage>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(channel)) q = q.Where(m => m.Channel == channel);
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(m => m.Status == status);
        if (caseId is { } id) q = q.Where(m => m.CaseId == id);
        var rows = await q.OrderByDescending(m => m.CreatedAt).Take(500).ToListAsync(ct);
        var redact = TokenPattern(options.Value.PublicFollowUpUrl);
        var list = rows.Select(m => new OutboxMessageDto(m.Id, m.Channel, m.Channel == "sms" ? MaskPhone(m.Recipient) : m.Recipient, m.CaseId, m.Template,
            redact.Replace(m.Body, x => x.Groups["pre"].Value + "••••••" + x.Groups["post"].Value), m.Status, m.Attempts, m.CreatedAt, m.SentAt, m.Error, m.NextAttemptAt)).ToList();
        await audit.WriteAsync(actor.Id, actor.Name, "outbox-read", caseId?.ToString() ?? "outbox", detail: $"channel={channel}; status={status}; {list.Count} messages");
        return TypedResults.Ok(list);
    }

    public static string MaskPhone(string phone) =>
        phone.Length >= 7 ? phone[..3] + new string('*', phone.Length - 7) + phone[^4..] : new string('*', phone.Length);

    /// <summary>Finds the token in a follow-up link built from the configured URL template.</summary>
    static System.Text.RegularExpressions.Regex TokenPattern(string urlTemplate)
    {
        var at = urlTemplate.IndexOf("{token}", StringComparison.Ordinal);
        var (pre, post) = at < 0 ? ("/follow-up/", "") : (urlTemplate[..at], urlTemplate[(at + "{token}".Length)..]);
        return new System.Text.RegularExpressions.Regex($"(?<pre>{System.Text.RegularExpressions.Regex.Escape(pre)})[A-Za-z0-9_\\-%.~]+(?<post>{System.Text.RegularExpressions.Regex.Escape(post)})");
    }
}
