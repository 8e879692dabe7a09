using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.FollowUps;

public sealed class FollowUpOptions
{
    /// <summary>
    /// A dissatisfied or unresolved answer reopens the case to the same department at once. Off by default: the task
    /// waits as awaiting-approval until a shift leader or supervisor performs 'reopen'.
    /// </summary>
    public bool AutoReopen { get; set; }
    /// <summary>At most this many reopenings per case, by the policy (a reviewer may still reopen with the 'reopen' action).</summary>
    public int MaxReopens { get; set; } = 2;
    /// <summary>How a closed case is followed up: auto (hotline reports are called back, others get a self-rating link), call, link.</summary>
    public string Method { get; set; } = "auto";
    /// <summary>A new report repeats a case closed within this many days (same caller, or same category within the distance).</summary>
    public int RepeatWindowDays { get; set; } = 30;
    public double RepeatDistanceMeters { get; set; } = 50;
    /// <summary>
    /// Whose rating counts for 满意率 where the follow-up call and the citizen's own rating on the portal both rated a
    /// closure: the call (default) or the citizen. A change applies to new ratings; rebuild-projections re-folds the past.
    /// </summary>
    public Domain.Indicators.CountedRating CountedRating { get; set; } = Domain.Indicators.CountedRating.Call;
}

/// <summary>One follow-up (回访) of one closure: a call for an agent, or a link for the citizen's own rating.</summary>
public sealed class FollowUpTask
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid CaseId { get; set; }
    public string CaseNumber { get; set; } = "";
    public string PlatformCode { get; set; } = "";
    /// <summary>call, link, none (anonymous: nobody to ask).</summary>
    public string Method { get; set; } = "call";
    /// <summary>open, done, skipped.</summary>
    public string Status { get; set; } = "open";
    /// <summary>After a negative answer: reopened, awaiting-approval, limit-reached.</summary>
    public string? Outcome { get; set; }
    public string? TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string? CompletedBy { get; set; }
    public bool? Resolved { get; set; }
    public Satisfaction? Satisfaction { get; set; }
    public string? Comment { get; set; }
    public string? DepartmentCode { get; set; }
}

sealed class FollowUpTaskConfiguration : IEntityTypeConfiguration<FollowUpTask>
{
    public void Configure(EntityTypeBuilder<FollowUpTask> e)
    {
        e.ToTable("follow_up_tasks");
        e.HasKey(x => x.Id);
        e.Property(x => x.Method).HasMaxLength(16);
        e.Property(x => x.Status).HasMaxLength(16);
        e.Property(x => x.Outcome).HasMaxLength(32);
        e.HasIndex(x => new { x.Status, x.CreatedAt });
        e.HasIndex(x => x.CaseId);
        e.HasIndex(x => x.TokenHash).IsUnique();
    }
}

/// <summary>
/// The follow-up policy: on every closure it decides how the citizen is asked (a call, a self-rating link, nobody) and
/// records that decision as an event; after a negative answer it records the outcome and, where configured, asks for
/// the reopening as a follow-on action of the same unit of work.
/// </summary>
public sealed class FollowUpPolicy(Notifier notifier, IOptions<FollowUpOptions> options, IOptions<NotificationOptions> notifications) : ICaseHook
{
    public static readonly Actor Policy = new("system:follow-up", "回访规则", new HashSet<Role> { Role.BackgroundWorker }, null, IsSystem: true);

    public int Order => 100;

    public async Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        var c = change.Case;
        if ((change.Is(CaseAction.Close) || change.Is(CaseAction.AnswerDirectly)) && !c.SelfHandled) await ScheduleAsync(c, change.Context, ct);
        else if (change.Is(CaseAction.FollowUp)) Review(change);
    }

    async Task ScheduleAsync(Case c, TransitionContext ctx, CancellationToken ct)
    {
        var o = options.Value;
        // Anonymous: nobody to ask. Confidential: only the hotline calls, nothing is sent to the number.
        var method = c.Anonymous ? "none"
            : c.Confidential || o.Method == "call" ? "call"
            : o.Method == "link" || c.Source != CaseSource.Hotline ? "link" : "call";
        string? tokenHash = null;
        if (method == "link")
        {
            var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            tokenHash = Hash(token);
            if (c.ReporterPhone is { } phone)
            {
                var fields = await notifier.FieldsAsync(c, ct);
                fields["link"] = notifications.Value.PublicFollowUpUrl.Replace("{token}", token, StringComparison.Ordinal);
                notifier.ToCitizen(c, "follow-up-link", fields, phone, ctx);
            }
        }
        // The decision is an event, so the task is rebuilt from the log exactly as it was opened.
        c.Note("follow-up-scheduled", ctx with { Actor = Policy }, payload: new FollowUpScheduled(Guid.CreateVersion7(ctx.Now), method, tokenHash, c.FollowUpDueAt, c.LeadDepartmentCode));
    }

    void Review(CaseChange change)
    {
        var c = change.Case;
        if (c.FollowUpResolved != false && c.FollowUpSatisfaction != Satisfaction.Dissatisfied) return;
        var o = options.Value;
        var outcome = c.ReopenedCount >= o.MaxReopens ? "limit-reached" : o.AutoReopen ? "reopened" : "awaiting-approval";
        c.Note("follow-up-reviewed", change.Context with { Actor = Policy }, payload: new { outcome });
        if (outcome == "reopened")
            change.Then(CaseAction.Reopen, new ActionInput { Reason = "回访不满意或未解决，按规则退回原单位重办" }, Policy);
    }

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

public sealed record FollowUpScheduled(Guid TaskId, string Method, string? TokenHash, DateTimeOffset? DueAt, string? Department);

/// <summary>Follow-up tasks, from the events alone: scheduled, answered, reviewed.</summary>
public sealed class FollowUpTaskProjection(CityLoopDb db) : ICaseProjection
{
    public int Order => 30;
    public string Name => "follow-up-tasks";

    sealed record Answer(bool? Resolved, Satisfaction? Satisfaction, string? Comment);
    sealed record Reviewed(string Outcome);

    public async Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct)
    {
        switch (e.Action)
        {
            case "follow-up-scheduled":
                var s = JsonSerializer.Deserialize<FollowUpScheduled>(e.Payload!, Case.ClockJson)!;
                db.Set<FollowUpTask>().Add(new FollowUpTask
                {
                    Id = s.TaskId, CaseId = c.Id, CaseNumber = c.Number, PlatformCode = e.PlatformCode, Method = s.Method,
                    Status = s.Method == "none" ? "skipped" : "open", TokenHash = s.TokenHash, CreatedAt = e.At, DueAt = s.DueAt, DepartmentCode = s.Department,
                });
                break;
            case "follow-up":
                var a = JsonSerializer.Deserialize<Answer>(e.Payload ?? "{}", Case.ClockJson)!;
                if (await LatestAsync(c.Id, "open", ct) is { } open)
                {
                    open.Status = "done";
                    open.CompletedAt = e.At;
                    open.CompletedBy = e.ActorName;
                    open.Resolved = a.Resolved;
                    open.Satisfaction = a.Satisfaction;
                    open.Comment = a.Comment;
                }
                break;
            case "follow-up-reviewed":
                var r = JsonSerializer.Deserialize<Reviewed>(e.Payload!, Case.ClockJson)!;
                if (await LatestAsync(c.Id, "done", ct) is { } done) done.Outcome = r.Outcome;
                break;
        }
    }

    /// <summary>The newest task of the case in a status: rows added in this unit of work first, then stored ones.</summary>
    async Task<FollowUpTask?> LatestAsync(Guid caseId, string status, CancellationToken ct) =>
        db.Set<FollowUpTask>().Local.Where(t => t.CaseId == caseId && t.Status == status).OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).FirstOrDefault()
        ?? await db.Set<FollowUpTask>().Where(t => t.CaseId == caseId && t.Status == status).OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).FirstOrDefaultAsync(ct);

    public Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) =>
        db.Set<FollowUpTask>().Where(t => caseIds.Contains(t.CaseId)).ExecuteDeleteAsync(ct);
}

/// <summary>Links a new report to a recently closed case from the same caller, or of the same category at the same place.</summary>
public sealed class RepeatFinder(CityLoopDb db, IOptions<FollowUpOptions> options) : ICaseHook
{
    /// <summary>
    /// The newest case closed since an instant whose caller's phone has this keyed hash, compiled once per model: EF
    /// keeps a compiled query's translation for the provider and model it first ran with, and one process may hold
    /// several (the tests' hosts). Every intake with a phone asks it, once per personal-data key (decision 051).
    /// </summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel,
        Func<CityLoopDb, DateTimeOffset, string, CancellationToken, Task<ClosedByPhone?>>> LatestClosedByPhone = [];

    sealed record ClosedByPhone(string Number, DateTimeOffset? ClosedAt);

    static Func<CityLoopDb, DateTimeOffset, string, CancellationToken, Task<ClosedByPhone?>> CompileLatestClosedByPhone() => EF.CompileAsyncQuery(
        (CityLoopDb db, DateTimeOffset since, string hash, CancellationToken ct) => db.Cases.AsNoTracking()
            .Where(c => c.State == CaseState.Closed && c.ClosedAt >= since && EF.Property<string?>(c, PersonalDataConfiguration.PhoneHashColumn) == hash)
            .OrderByDescending(c => c.ClosedAt).Select(c => new ClosedByPhone(c.Number, c.ClosedAt)).FirstOrDefault());

    /// <summary>Closed cases read at a time when looking for a repeat at the same place.</summary>
    internal const int PlacePage = 20;

    public async Task<NewCase> BeforeCreateAsync(NewCase input, DateTimeOffset now, CancellationToken ct)
    {
        var o = options.Value;
        var since = now.AddDays(-o.RepeatWindowDays);
        var phone = input.Anonymous ? null : input.ReporterPhone?.Trim();
        if (!string.IsNullOrEmpty(phone))
        {
            // One hash per personal-data key (two while a rotation is under way): the newest match under any of them.
            var latest = LatestClosedByPhone.GetValue(db.Model, _ => CompileLatestClosedByPhone());
            ClosedByPhone? byPhone = null;
            foreach (var hash in db.PersonalData.PhoneHashes(phone))
                if (await latest(db, since, hash, ct) is { } found && (byPhone is null || found.ClosedAt > byPhone.ClosedAt)) byPhone = found;
            if (byPhone is not null) return input with { RepeatOfNumber = byPhone.Number };
        }
        if (input.CategoryCode is { } category && input.Latitude is { } lat && input.Longitude is { } lon)
        {
            // A box around the point narrows the candidates in SQL, newest closed first, a page at a time; the exact
            // distance is checked here. A place the city hears about again and again (a chronic noise source, a
            // flooded underpass) has hundreds of closed cases in the box: the newest within the distance is almost
            // always on the first page, and the intake reads that page, not every one of them.
            var dLat = o.RepeatDistanceMeters / 111_320.0;
            var dLon = dLat / Math.Max(0.01, Math.Cos(lat * Math.PI / 180));
            var code = category.Trim();
            // Built here, not for every intake: an expression tree costs CPU to make even when no query runs.
            var recent = db.Cases.AsNoTracking().Where(c => c.State == CaseState.Closed && c.ClosedAt >= since);
            var box = recent.Where(c => c.CategoryCode == code && c.Latitude >= lat - dLat && c.Latitude <= lat + dLat
                && c.Longitude >= lon - dLon && c.Longitude <= lon + dLon);
            (DateTimeOffset ClosedAt, string Number)? after = null;
            while (true)
            {
                var page = box;
                if (after is { } k) page = page.Where(c => c.ClosedAt < k.ClosedAt || (c.ClosedAt == k.ClosedAt && string.Compare(c.Number, k.Number) < 0));
                var rows = await page.OrderByDescending(c => c.ClosedAt).ThenByDescending(c => c.Number).Take(PlacePage)
                    .Select(c => new { c.Number, c.Latitude, c.Longitude, c.ClosedAt }).ToListAsync(ct);
                var match = rows.FirstOrDefault(c => Meters(lat, lon, c.Latitude!.Value, c.Longitude!.Value) <= o.RepeatDistanceMeters);
                if (match is not null) return input with { RepeatOfNumber = match.Number };
                if (rows.Count < PlacePage) break;
                after = (rows[^1].ClosedAt!.Value, rows[^1].Number);
            }
        }
        return input;
    }

    public static double Meters(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6_371_000;
        var dLat = (lat2 - lat1) * Math.PI / 180;
        var dLon = (lon2 - lon1) * Math.PI / 180;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Sqrt(a));
    }
}

public sealed record FollowUpTaskDto(Guid Id, Guid CaseId, string CaseNumber, string? Title, string Method, string Status, string? Outcome,
    DateTimeOffset CreatedAt, DateTimeOffset? DueAt, DateTimeOffset? CompletedAt, bool? Resolved, Satisfaction? Satisfaction, string? Comment,
    string? DepartmentCode, ReporterDto Reporter);

public sealed record SelfRatingRequest(bool Resolved, Satisfaction Satisfaction, string? Comment);

public static class FollowUpEndpoints
{
    static readonly Actor Citizen = new("system:portal-follow-up", "市民自评", new HashSet<Role> { Role.PortalChannel }, null, IsSystem: true);
    public static readonly IReadOnlyList<Role> Readers = [Role.HotlineAgent, Role.ShiftLeader, Role.Supervisor];

    public static void MapFollowUpEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/follow-ups", List).WithTags("Follow-up").RequireAuthorization(AuthSetup.ApiPolicy).WithName("ListFollowUps");
        app.MapPost("/api/v1/public/follow-up/{token}", Rate).WithTags("Public").AllowAnonymous()
            .RequireRateLimiting(RateLimits.Public).WithName("RateFollowUp");
    }

    /// <summary>Tasks by status (open, done, skipped) or outcome (awaiting-approval…), oldest first: an agent's call list.</summary>
    static async Task<Ok<List<FollowUpTaskDto>>> List(string? status, string? outcome, CurrentActor current, CityLoopDb db, CancellationToken ct) =>
        TypedResults.Ok(await ListAsync(await current.GetAsync(), status, outcome, db, ct));

    /// <summary>The same list for the API and the desk's call list.</summary>
    public static async Task<List<FollowUpTaskDto>> ListAsync(Actor actor, string? status, string? outcome, CityLoopDb db, CancellationToken ct)
    {
        if (!actor.Roles.Any(Readers.Contains)) throw new CaseForbiddenException("Follow-up lists are for hotline agents, shift leaders and supervisors.");
        var q = db.Set<FollowUpTask>().AsNoTracking();
        // A sub-centre's staff call back on their platform's cases only (decision 026).
        if (actor.PlatformCode is { } platformCode) q = q.Where(t => db.Cases.Any(c => c.Id == t.CaseId && c.PlatformCode == platformCode));
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(t => t.Status == status);
        if (!string.IsNullOrWhiteSpace(outcome)) q = q.Where(t => t.Outcome == outcome);
        var tasks = await q.OrderBy(t => t.CreatedAt).Take(500).ToListAsync(ct);
        var ids = tasks.Select(t => t.CaseId).ToList();
        var cases = await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        return tasks.Select(t =>
        {
            var c = cases[t.CaseId];
            return new FollowUpTaskDto(t.Id, t.CaseId, t.CaseNumber, c.Title ?? c.Description, t.Method, t.Status, t.Outcome, t.CreatedAt, t.DueAt,
                t.CompletedAt, t.Resolved, t.Satisfaction, t.Comment, t.DepartmentCode, CaseQueries.Reporter(c, actor));
        }).ToList();
    }

    /// <summary>The citizen's own rating through the link: the token is the only authority, and it works once.</summary>
    static async Task<Results<Ok<object>, NotFound>> Rate(string token, SelfRatingRequest body, CityLoopDb db, CaseCommands commands, CancellationToken ct)
    {
        var rated = await RateAsync(token, body, db, commands, ct);
        return rated is null ? TypedResults.NotFound() : TypedResults.Ok<object>(new { number = rated.Value.Number, state = rated.Value.State.Api() });
    }

    /// <summary>The open task behind a self-rating link, or null when the link is unknown or already used.</summary>
    public static async Task<FollowUpTask?> OpenTaskAsync(string token, CityLoopDb db, CancellationToken ct)
    {
        var hash = FollowUpPolicy.Hash(token);
        return await db.Set<FollowUpTask>().AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash && t.Status == "open", ct);
    }

    /// <summary>Records the citizen's answer as the case's follow-up (the API and the public page share this).</summary>
    public static async Task<(string Number, CaseState State)?> RateAsync(string token, SelfRatingRequest body, CityLoopDb db, CaseCommands commands, CancellationToken ct)
    {
        var task = await OpenTaskAsync(token, db, ct);
        if (task is null) return null;
        var c = await db.Cases.FirstAsync(x => x.Id == task.CaseId, ct);
        var answer = new ActionInput { Contacted = true, Resolved = body.Resolved, Satisfaction = body.Satisfaction, Comment = body.Comment };
        await commands.ChangeAsync([c], Citizen, (x, ctx) => x.Perform(CaseAction.FollowUp, answer, ctx), ct: ct);
        return (c.Number, c.State);
    }
}
