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
    IEnumerable<INotificationChannel> channels, ILogger<Notifier> log, LivePush? push = null, Identity.UserCache? directory = null, Reference.ReferenceCache? reference = null)
{
    readonly NotificationOptions _options = options.Value;
    // Remembered for the unit of work (a sweep notifies about many cases): each question is asked of the database once,
    // and only for the rows it needs — not the whole users, departments and contacts tables on every notifying step.
    readonly Dictionary<(Role, string?), List<User>> _users = [];
    readonly Dictionary<Guid, UserContact?> _contacts = [];
    readonly Dictionary<string, string> _departments = new(StringComparer.Ordinal);

    /// <summary>Active users holding <paramref name="role"/>; department-bound roles only within <paramref name="department"/>.</summary>
    public async Task<IReadOnlyList<User>> UsersAsync(Role role, string? department, CancellationToken ct)
    {
        var bound = Roles.DepartmentBound.Contains(role);
        if (bound && department is null) return [];
        var key = (role, bound ? department : null);
        if (_users.TryGetValue(key, out var known)) return known;
        List<User> found;
        if (directory is { Live: true, DirectoryTooLarge: false })
        {
            // PostgreSQL: the node's staff directory, read once and kept until any account changes (decision 050).
            var staff = directory.Staff();
            if (staff is null)
            {
                var generation = directory.Generation;
                var active = await db.Users.AsNoTracking().Where(u => !u.Disabled).ToListAsync(ct);
                staff = directory.KeepStaff(active, await db.Set<UserContact>().AsNoTracking().ToListAsync(ct), generation);
            }
            found = staff.Where(m => m.Roles.Contains(role) && (!bound || m.User.DepartmentCode == department)).Select(m => m.User).ToList();
        }
        else
        {
            // The roles column is a list of kebab names: the LIKE narrows the rows, the parsed set decides.
            var kebab = role.ToKebab();
            var q = db.Users.AsNoTracking().Where(u => !u.Disabled && u.Roles.ToLower().Contains(kebab));
            if (bound) q = q.Where(u => u.DepartmentCode == department);
            found = (await q.ToListAsync(ct)).Where(u => u.RoleSet().Contains(role)).ToList();
        }
        _users[key] = found;
        return found;
    }

    /// <summary>
    /// The staff of the centre that holds a case (decision 026, addendum): active users holding <paramref name="role"/>
    /// on the case's platform (department-bound roles within <paramref name="department"/>, and only that platform's
    /// people even there). Where a sub-centre has nobody in a centre role (no supervisor of its own, say), the root's
    /// holders of the role are told — the city supervises its sub-centres; another sub-centre's people never are.
    /// </summary>
    public async Task<IReadOnlyList<User>> StaffOfAsync(Case c, Role role, string? department, CancellationToken ct)
    {
        var root = platform.Value.Code;
        var found = await UsersAsync(role, department, ct);
        var own = found.Where(u => (u.PlatformCode ?? root) == c.PlatformCode).ToList();
        if (own.Count > 0 || Roles.DepartmentBound.Contains(role) || c.PlatformCode == root) return own;
        return found.Where(u => u.PlatformCode is null).ToList();
    }

    public async Task<Dictionary<string, string?>> FieldsAsync(Case c, CancellationToken ct)
    {
        string? department = null;
        if (c.LeadDepartmentCode is { } d && !_departments.TryGetValue(d, out department))
        {
            // The node's copy of the departments while it hears every change at commit (decision 052), else the database.
            department = (reference is { Live: true } ? reference.Departments.NameOf(d)
                : await db.Departments.AsNoTracking().Where(x => x.Code == d).Select(x => x.Name).FirstOrDefaultAsync(ct)) ?? d;
            _departments[d] = department;
        }
        var fields = new Dictionary<string, string?>
        {
            ["number"] = c.Number,
            ["title"] = c.Title ?? Shorten(c.Description),
            ["department"] = c.LeadDepartmentCode is not null ? department : "未派遣",
            ["dueAt"] = Format(c.ClockDueAt),
            ["phase"] = c.ClockPhase is { } p ? PhaseName(p) : "",
        };
        // The English twins of the words the system writes (the case's own data reads the same in both languages).
        if (c.LeadDepartmentCode is null) fields["department@en"] = "not dispatched";
        if (c.ClockPhase is { } phase) fields["phase@en"] = PhaseNameEnglish(phase);
        return fields;
    }

    /// <summary>The contact rows (phone, e-mail) of these users, read once per unit of work and only where a channel needs them.</summary>
    async Task ContactsAsync(IEnumerable<Guid> userIds, CancellationToken ct)
    {
        if (!_options.StaffChannels.Any(ch => ch is "sms" or "email")) return;
        var missing = userIds.Where(id => !_contacts.ContainsKey(id)).Distinct().ToList();
        if (missing.Count == 0) return;
        // The staff directory carries the active accounts' contact rows, dropped on every node when one changes
        // (decision 052, addendum); only people it does not hold are asked for.
        if (directory is { Live: true } && directory.Staff() is { } staff)
        {
            var wanted = missing.ToHashSet();
            foreach (var member in staff)
                if (wanted.Remove(member.User.Id)) _contacts[member.User.Id] = member.Contact;
            missing = [.. wanted];
            if (missing.Count == 0) return;
        }
        var rows = await db.Set<UserContact>().AsNoTracking().Where(x => missing.Contains(x.UserId)).ToListAsync(ct);
        foreach (var id in missing) _contacts[id] = null;
        foreach (var row in rows) _contacts[row.UserId] = row;
    }

    public string Format(DateTimeOffset? at) =>
        at is { } v ? TimeZoneInfo.ConvertTime(v, platform.Value.Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    public string Render(string template, IReadOnlyDictionary<string, string?> fields) =>
        Templates.Fill(_options.Templates.GetValueOrDefault(template) ?? Templates.Defaults[template], fields);

    /// <summary>Queues one message per user and staff channel, and logs them on the case; returns how many.</summary>
    /// <remarks>
    /// A message about a phase (<paramref name="phase"/>: the clock's reminders, the act-now notices) is set aside at
    /// delivery if the case has left that phase by then, and in the inbox it brings the person's unread message about
    /// the same case and phase up to date instead of adding another (decision 034).
    /// </remarks>
    public async Task<int> ToStaffAsync(Case c, string template, IReadOnlyDictionary<string, string?> fields, IEnumerable<User> users,
        TransitionContext ctx, CancellationToken ct, bool logOnCase = true, CasePhase? phase = null)
    {
        var recipients = users.DistinctBy(u => u.Id).ToList();
        await ContactsAsync(recipients.Select(u => u.Id), ct);
        var body = Render(template, fields);
        var subject = NotificationText.Subject(body);
        var json = NotificationText.Json(fields);
        var sent = new List<object>();
        foreach (var user in recipients)
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
                Queue(c, channel, to, user.Id, template, subject, body, ctx.Now, json, phase);
                // The case's log names the person and the channel, never the address: a staff member's phone or mail
                // lives in their contact row and the outbox (both editable and purgeable), not in the append-only events.
                sent.Add(new { channel, to = user.DisplayName });
            }
        }
        if (sent.Count > 0 && logOnCase) c.Note("notify", ctx, payload: new { template, text = body, messages = sent });
        return sent.Count;
    }

    /// <summary>Queues an SMS to the citizen, logged on the case without the number (the reporter stays protected).</summary>
    public void ToCitizen(Case c, string template, IReadOnlyDictionary<string, string?> fields, string phone, TransitionContext ctx)
    {
        var body = Render(template, fields);
        Queue(c, "sms", phone, null, template, body, body, ctx.Now, null, null);
        c.Note("notify", ctx, payload: new { template, messages = new[] { new { channel = "sms", to = "reporter" } } });
    }

    /// <summary>Longest message text: a reminder or order is read on a phone; the case page holds the whole requirement.</summary>
    public const int MaxBody = 1000;

    void Queue(Case c, string channel, string to, Guid? userId, string template, string subject, string body, DateTimeOffset now, string? fields, CasePhase? phase) =>
        db.Set<OutboundMessage>().Add(new OutboundMessage
        {
            Channel = channel, Recipient = to, UserId = userId, CaseId = c.Id, Template = template, Subject = Bound(subject, 200), Body = Bound(body, MaxBody), CreatedAt = now,
            Fields = fields, Phase = phase,
        });

    /// <summary>Attempts before a message is set aside as failed; the waits between them double from one minute.</summary>
    public const int MaxAttempts = 6;

    /// <summary>
    /// Delivers queued messages that are due. Each batch is claimed with row locks that other nodes skip, so a message
    /// goes out once. Each message is delivered inside its own savepoint: one that cannot be delivered (a gateway
    /// down, a payload the database refuses) is rolled back alone, keeps its error and waits with a doubling backoff,
    /// and is set aside as failed after <see cref="MaxAttempts"/>, while the rest of the batch flows.
    /// </summary>
    public async Task<int> DeliverPendingAsync(CancellationToken ct = default)
    {
        const int batchSize = 200;
        var delivered = 0;
        var byName = channels.ToDictionary(ch => ch.Name);
        var tried = new HashSet<Guid>();
        var now = clock.GetUtcNow();
        while (true)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = db.IsPostgres
                ? await db.Set<OutboundMessage>().FromSqlRaw(
                    "SELECT * FROM message_outbox WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= {0}) ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED", now).ToListAsync(ct)
                : await db.Set<OutboundMessage>().Where(m => m.Status == "pending" && (m.NextAttemptAt == null || m.NextAttemptAt <= now))
                    .OrderBy(m => m.CreatedAt).Take(batchSize).ToListAsync(ct);
            batch = batch.Where(m => tried.Add(m.Id)).ToList();
            if (batch.Count == 0) break;
            batch = await SetAsideSupersededAsync(batch, ct);
            if (batch.Count == 0)
            {
                await tx.CommitAsync(ct);
                db.ChangeTracker.Clear();
                continue;
            }
            // The savepoints below are ours: none from EF around each save as well.
            db.Database.AutoSavepointsEnabled = false;
            // Most batches deliver without a failure: all at once, with one save, under one savepoint. Only when
            // something fails is the batch undone and retried message by message, each under its own savepoint.
            if (await DeliverAllAsync(tx, batch, byName, ct))
            {
                delivered += batch.Count;
                await tx.CommitAsync(ct);
                db.ChangeTracker.Clear();
                continue;
            }
            foreach (var m in batch)
            {
                await tx.CreateSavepointAsync("message", ct);
                try
                {
                    m.Status = byName.TryGetValue(m.Channel, out var channel) ? await channel.SendAsync(m, ct) : "failed";
                    m.SentAt = clock.GetUtcNow();
                    m.NextAttemptAt = null;
                    await db.SaveChangesAsync(ct);
                    delivered++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning(ex, "Sending {Channel} message {Id} failed (attempt {Attempt})", m.Channel, m.Id, m.Attempts + 1);
                    await tx.RollbackToSavepointAsync("message", ct);
                    // Whatever the failed delivery added or changed (an inbox row) goes with it; the message keeps its error.
                    await ForgetUnsavedAsync(batch, [m], ct);
                    m.Attempts++;
                    m.Error = Bound(ex.Message, 1000);
                    m.SentAt = null;
                    if (m.Attempts >= MaxAttempts)
                    {
                        m.Status = "failed";
                        m.NextAttemptAt = null;
                    }
                    else m.NextAttemptAt = clock.GetUtcNow().AddMinutes(Math.Pow(2, m.Attempts - 1));
                    await db.SaveChangesAsync(ct);
                }
            }
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        return delivered;
    }

    /// <summary>
    /// Delivers, inside the caller's unit of work, the in-app messages it queued about <paramref name="cases"/>
    /// (decision 037): an inbox row lives in the same database, so it commits with the step that caused it — or not at
    /// all — and needs no delivery transaction of its own after the commit. A notice about a phase or state the case
    /// has already left within this unit of work (a follow-on step moved it on) is set aside as superseded, as the
    /// outbox delivery would. Messages for other channels (SMS, e-mail: a gateway that may be down) stay in the
    /// outbox for <see cref="DeliverPendingAsync"/>. Returns whether any message is still pending.
    /// </summary>
    public async Task<bool> DeliverInAppAsync(IReadOnlyList<Case> cases, CancellationToken ct)
    {
        var inApp = channels.FirstOrDefault(ch => ch.Name == "in-app");
        var queued = db.WithoutChangeScan(t => t.Entries<OutboundMessage>().Where(e => e.State == EntityState.Added && e.Entity.Status == "pending")
            .Select(e => e.Entity).OrderBy(m => m.CreatedAt).ToList());
        if (inApp is null) return queued.Count > 0;
        // The pushes to open pages wait for the commit (SQLite; PostgreSQL's NOTIFY does by itself).
        push?.Hold();
        var byId = cases.ToDictionary(c => c.Id);
        var pending = false;
        var send = new List<OutboundMessage>();
        foreach (var m in queued)
        {
            if (m.Channel != inApp.Name || m.UserId is null || m.CaseId is not { } caseId || !byId.TryGetValue(caseId, out var c))
                pending = true;
            else if (m.Phase is { } phase && (c.ClockPhase != phase || StateOf(m) is { } state && state != c.State.ToString()))
                m.Status = "superseded";
            else send.Add(m);
        }
        // A dispatch tells every handler and head of the department: their unread messages about the case are read in one
        // query, and the pushes go out in one NOTIFY statement, instead of two round trips per person.
        await inApp.BeginBatchAsync(send, ct);
        try
        {
            foreach (var m in send)
            {
                m.Status = await inApp.SendAsync(m, ct);
                m.SentAt = clock.GetUtcNow();
            }
        }
        finally
        {
            inApp.EndBatch();
        }
        if (push is not null) await push.FlushAsync(ct);
        return pending;
    }

    /// <summary>After the unit of work of <see cref="DeliverInAppAsync"/>: sends its held pushes if it was stored, else drops them.</summary>
    public Task AfterUnitOfWorkAsync(bool stored, CancellationToken ct) => push?.ReleaseAsync(stored, ct) ?? Task.CompletedTask;

    /// <summary>
    /// Sets aside (status 'superseded', kept in the outbox as the record) the messages about a phase the case has left
    /// (or, for an act-now notice, a state it has left: a request already decided) before they went out — the act-now notices and reminders queued while the clock worker or the delivery was
    /// behind (a node back after downtime, a seeded history): nobody is asked to act on a step already taken. Returns
    /// the messages still to deliver.
    /// </summary>
    async Task<List<OutboundMessage>> SetAsideSupersededAsync(List<OutboundMessage> batch, CancellationToken ct)
    {
        var ids = batch.Where(m => m.Phase is not null && m.CaseId is not null).Select(m => m.CaseId!.Value).Distinct().ToList();
        if (ids.Count == 0) return batch;
        var cases = await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.ClockPhase, c.State }).ToDictionaryAsync(c => c.Id, ct);
        var stale = batch.Where(m => m.Phase is { } p && m.CaseId is { } id && cases.TryGetValue(id, out var now)
            && (now.ClockPhase != p || StateOf(m) is { } state && state != now.State.ToString())).ToList();
        if (stale.Count == 0) return batch;
        foreach (var m in stale)
        {
            m.Status = "superseded";
            m.NextAttemptAt = null;
        }
        await db.SaveChangesAsync(ct);
        return batch.Except(stale).ToList();
    }

    /// <summary>The field of a notice that names the case state it asks someone to act in (not a template placeholder).</summary>
    public const string StateField = "@state";

    static string? StateOf(OutboundMessage m) =>
        m.Fields is { } json && json.Contains(StateField, StringComparison.Ordinal) && NotificationText.Parse(json) is { } f ? f.GetValueOrDefault(StateField) : null;

    /// <summary>Delivers a whole batch under one savepoint; false (and the batch as it was) when any message failed.</summary>
    async Task<bool> DeliverAllAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, List<OutboundMessage> batch,
        Dictionary<string, INotificationChannel> byName, CancellationToken ct)
    {
        await tx.CreateSavepointAsync("batch", ct);
        try
        {
            foreach (var channel in byName.Values) await channel.BeginBatchAsync(batch, ct);
            try
            {
                foreach (var m in batch)
                {
                    m.Status = byName.TryGetValue(m.Channel, out var channel) ? await channel.SendAsync(m, ct) : "failed";
                    m.SentAt = clock.GetUtcNow();
                    m.NextAttemptAt = null;
                }
            }
            finally
            {
                foreach (var channel in byName.Values) channel.EndBatch();
            }
            await db.SaveChangesAsync(ct);
            await tx.ReleaseSavepointAsync("batch", ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogDebug(ex, "A batch of {Count} messages did not go out at once; delivering them one by one", batch.Count);
            await tx.RollbackToSavepointAsync("batch", ct);
            await ForgetUnsavedAsync(batch, batch, ct);
            return false;
        }
    }

    /// <summary>
    /// After a rollback to a savepoint the unit of work still holds what the rolled-back deliveries did: inbox rows
    /// added, and unread ones brought up to date with a message that did not go out. All of it is let go (the
    /// database has the rows as they were; a later delivery reads them again), so that the next save does not write
    /// an undelivered message into an inbox. The batch's messages stay tracked, and <paramref name="reload"/> are read back.
    /// </summary>
    async Task ForgetUnsavedAsync(List<OutboundMessage> batch, IEnumerable<OutboundMessage> reload, CancellationToken ct)
    {
        var kept = batch.ToHashSet();
        foreach (var entry in db.ChangeTracker.Entries().ToList())
            if (entry.Entity is not OutboundMessage m || !kept.Contains(m)) entry.State = EntityState.Detached;
        foreach (var m in reload) await db.Entry(m).ReloadAsync(ct);
    }

    static string Bound(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

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

    public static string PhaseNameEnglish(CasePhase phase) => phase switch
    {
        CasePhase.Filing => "filing",
        CasePhase.Verification => "verification",
        CasePhase.Dispatch => "dispatch",
        CasePhase.SignFor => "sign-for",
        CasePhase.Handling => "handling",
        CasePhase.Review => "report review",
        CasePhase.Check => "check",
        CasePhase.Close => "close",
        CasePhase.FollowUp => "follow-up",
        _ => phase.ToString(),
    };

    static string Shorten(string text) => text.Length > 20 ? text[..20] + "…" : text;
}
