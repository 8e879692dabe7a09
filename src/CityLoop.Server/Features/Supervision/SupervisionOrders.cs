using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Supervision;

/// <summary>督办 levels: general, key (重点), leader-level (领导督办).</summary>
public enum SupervisionLevel { General, Key, LeaderLevel }

/// <summary>A supervision order (督办单) on one case: its own deadline and requirement, a reply from the department, closed by the supervisor.</summary>
public sealed class SupervisionOrder
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Orders issued together share a batch id.</summary>
    public Guid BatchId { get; set; }
    public Guid CaseId { get; set; }
    public string CaseNumber { get; set; } = "";
    public string? DepartmentCode { get; set; }
    public SupervisionLevel Level { get; set; }
    public string Requirement { get; set; } = "";
    public DateTimeOffset DueAt { get; set; }
    public string IssuedBy { get; set; } = "";
    public DateTimeOffset IssuedAt { get; set; }
    /// <summary>open, replied, closed.</summary>
    public string Status { get; set; } = "open";
    public string? Reply { get; set; }
    public string? RepliedBy { get; set; }
    public DateTimeOffset? RepliedAt { get; set; }
    public string? ClosedBy { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? ClosingOpinion { get; set; }

    /// <summary>The department's reply came late, or has not come and the deadline passed.</summary>
    public bool IsOverdueAt(DateTimeOffset now) => (RepliedAt ?? (Status == "closed" ? ClosedAt : null) ?? now) > DueAt;
}

sealed class SupervisionOrderConfiguration : IEntityTypeConfiguration<SupervisionOrder>
{
    public void Configure(EntityTypeBuilder<SupervisionOrder> e)
    {
        e.ToTable("supervision_orders");
        e.HasKey(x => x.Id);
        e.Property(x => x.Level).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Status).HasMaxLength(16);
        e.HasIndex(x => new { x.Status, x.DueAt });
        e.HasIndex(x => x.CaseId);
        e.HasIndex(x => x.DepartmentCode);
    }
}

public sealed record IssueSupervisionRequest(IReadOnlyList<Guid> CaseIds, SupervisionLevel Level, DateTimeOffset DueAt, string Requirement);
public sealed record SupervisionReplyRequest(string Reply);
public sealed record SupervisionCloseRequest(string? Opinion);

public sealed record SupervisionOrderDto(Guid Id, Guid BatchId, Guid CaseId, string CaseNumber, string? Department, SupervisionLevel Level,
    string Requirement, DateTimeOffset DueAt, string IssuedBy, DateTimeOffset IssuedAt, string Status, bool Overdue, string? Reply,
    string? RepliedBy, DateTimeOffset? RepliedAt, string? ClosedBy, DateTimeOffset? ClosedAt, string? ClosingOpinion)
{
    public static SupervisionOrderDto From(SupervisionOrder o, DateTimeOffset now) => new(o.Id, o.BatchId, o.CaseId, o.CaseNumber, o.DepartmentCode,
        o.Level, o.Requirement, o.DueAt, o.IssuedBy, o.IssuedAt, o.Status, o.IsOverdueAt(now), o.Reply, o.RepliedBy, o.RepliedAt, o.ClosedBy, o.ClosedAt, o.ClosingOpinion);
}

/// <summary>Counted apart from the case figures: per level, how many are open, replied, closed and overdue.</summary>
public sealed record SupervisionCountsDto(SupervisionLevel Level, int Open, int Replied, int Closed, int Overdue);

public sealed record SupervisionListDto(IReadOnlyList<SupervisionOrderDto> Items, IReadOnlyList<SupervisionCountsDto> Counts);

public static class SupervisionEndpoints
{
    static readonly Role[] Issuers = [Role.Supervisor];

    public static void MapSupervisionEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/supervision-orders").WithTags("Supervision").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapPost("/", Issue).WithName("IssueSupervisionOrders");
        g.MapGet("/", List).WithName("ListSupervisionOrders");
        g.MapPost("/{id:guid}/reply", Reply).WithName("ReplySupervisionOrder");
        g.MapPost("/{id:guid}/close", Close).WithName("CloseSupervisionOrder");
    }

    static async Task<Created<List<SupervisionOrderDto>>> Issue(IssueSupervisionRequest body, CurrentActor current, CityLoopDb db, CaseCommands commands,
        CaseQueries queries, Notifier notifier, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Created("/api/v1/supervision-orders", await IssueAsync(body, await current.GetAsync(), db, commands, queries, notifier, clock.GetUtcNow(), ct));

    static async Task<Ok<SupervisionListDto>> List(string? status, string? level, Guid? caseId, CurrentActor current, CityLoopDb db,
        TimeProvider clock, CancellationToken ct)
    {
        // The API spells levels in kebab-case (leader-level), as everywhere else.
        SupervisionLevel? parsed = null;
        if (!string.IsNullOrWhiteSpace(level))
            parsed = Domain.Kebab.TryParse<SupervisionLevel>(level, out var l) ? l
                : throw CaseValidationException.Single("level", $"Unknown level '{level}': general, key or leader-level.");
        return TypedResults.Ok(await ListAsync(await current.GetAsync(), status, parsed, caseId, db, clock.GetUtcNow(), ct));
    }

    static async Task<Ok<SupervisionOrderDto>> Reply(Guid id, SupervisionReplyRequest body, CurrentActor current, CityLoopDb db, CaseCommands commands,
        TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await ReplyAsync(id, body, await current.GetAsync(), db, commands, clock.GetUtcNow(), ct));

    static async Task<Ok<SupervisionOrderDto>> Close(Guid id, SupervisionCloseRequest body, CurrentActor current, CityLoopDb db, CaseCommands commands,
        TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await CloseAsync(id, body, await current.GetAsync(), db, commands, clock.GetUtcNow(), ct));

    // The use cases themselves, shared by the API above and the desk pages.

    /// <summary>Supervisors issue and close orders; shift leaders too where the platform is configured so (Workflow:ShiftLeaderSupervises).</summary>
    public static bool MayIssue(Actor actor, WorkflowSettings settings) =>
        actor.Roles.Any(Issuers.Contains) || (settings.ShiftLeaderSupervises && actor.Has(Role.ShiftLeader));

    public static bool MayReply(Actor actor, SupervisionOrderDto order) =>
        order.Status != "closed" && actor.Roles.Any(Roles.DepartmentBound.Contains) && actor.DepartmentCode is not null && actor.DepartmentCode == order.Department;

    public static async Task<List<SupervisionOrderDto>> IssueAsync(IssueSupervisionRequest body, Actor actor, CityLoopDb db, CaseCommands commands,
        CaseQueries queries, Notifier notifier, DateTimeOffset now, CancellationToken ct)
    {
        if (!MayIssue(actor, commands.Context(actor).Rules)) throw new CaseForbiddenException("Supervision orders are issued by supervisors.");
        var errors = new Dictionary<string, string[]>();
        if (body.CaseIds is not { Count: > 0 }) errors["caseIds"] = ["Name at least one case."];
        else if (body.CaseIds.Count > 500) errors["caseIds"] = ["At most 500 cases per batch."];
        if (string.IsNullOrWhiteSpace(body.Requirement)) errors["requirement"] = ["Say what is required."];
        else if (InputLimits.TextProblem(body.Requirement, InputLimits.Opinion) is { } tooLong) errors["requirement"] = [tooLong];
        if (body.DueAt <= now) errors["dueAt"] = ["The reply deadline must be in the future."];
        if (errors.Count > 0) throw new CaseValidationException(errors);

        var batch = Guid.CreateVersion7(now);
        var orders = new List<SupervisionOrder>();
        var cases = new List<Case>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var id in body.CaseIds!.Distinct())
        {
            var c = await queries.GetAsync(actor, id, track: true, ct);
            if (!c.State.IsOpen()) throw CaseValidationException.Single("caseIds", $"Case {c.Number} is {c.State.Api()}: only open cases are supervised.");
            cases.Add(c);
        }
        await commands.ChangeAsync(cases, actor, async (c, ctx) =>
        {
            var order = new SupervisionOrder
            {
                BatchId = batch, CaseId = c.Id, CaseNumber = c.Number, DepartmentCode = c.LeadDepartmentCode, Level = body.Level,
                Requirement = body.Requirement!.Trim(), DueAt = body.DueAt.ToUniversalTime(), IssuedBy = actor.Name, IssuedAt = now,
            };
            db.Set<SupervisionOrder>().Add(order);
            var payload = new { orderId = order.Id, level = order.Level, dueAt = order.DueAt, batchId = batch };
            // The first order puts the case under supervision (the workflow's 'supervise'); later ones are noted.
            if (!c.Supervised) c.Perform(CaseAction.Supervise, new ActionInput { Opinion = order.Requirement, DueAt = order.DueAt }, ctx);
            c.Note("supervision-order", ctx, order.Requirement, payload);
            var fields = await notifier.FieldsAsync(c, ct);
            fields["level"] = LevelName(order.Level);
            fields["level@en"] = Shared.Ui.InEnglish(() => Shared.Labels.Level(order.Level)) + " supervision";
            fields["requirement"] = order.Requirement;
            fields["dueAt"] = notifier.Format(order.DueAt);
            var users = new List<User>();
            foreach (var role in new[] { Role.DepartmentHandler, Role.DepartmentHead })
                users.AddRange(await notifier.StaffOfAsync(c, role, c.LeadDepartmentCode, ct));
            await notifier.ToStaffAsync(c, "supervision-issued", fields, users, ctx, ct);
            orders.Add(order);
        }, ct: ct);
        await tx.CommitAsync(ct);
        await notifier.DeliverPendingAsync(ct);
        return orders.Select(o => SupervisionOrderDto.From(o, now)).ToList();
    }

    public static async Task<SupervisionListDto> ListAsync(Actor actor, string? status, SupervisionLevel? level, Guid? caseId, CityLoopDb db,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!CaseQueries.CanReadCases(actor) || actor.Roles.All(r => r == Role.Inspector))
            throw new CaseForbiddenException("Supervision orders are for supervisors, the command centre and the departments they address.");
        var q = db.Set<SupervisionOrder>().AsNoTracking();
        // Department staff see the orders addressed to their department.
        if (!actor.Roles.Any(r => !Roles.DepartmentBound.Contains(r))) q = q.Where(o => o.DepartmentCode == actor.DepartmentCode);
        // A sub-centre's staff see the orders on their platform's cases only (decision 026).
        if (actor.PlatformCode is { } platformCode) q = q.Where(o => db.Cases.Any(c => c.Id == o.CaseId && c.PlatformCode == platformCode));

        // Counts are computed by the database, so the list stays cheap however many orders accumulate.
        var byStatus = await q.GroupBy(o => new { o.Level, o.Status }).Select(g => new { g.Key.Level, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        var overdue = await q.Where(o => (o.RepliedAt != null && o.RepliedAt > o.DueAt)
                || (o.RepliedAt == null && o.Status == "closed" && o.ClosedAt > o.DueAt)
                || (o.RepliedAt == null && o.Status != "closed" && o.DueAt < now))
            .GroupBy(o => o.Level).Select(g => new { Level = g.Key, Count = g.Count() }).ToListAsync(ct);
        var counts = byStatus.Select(x => x.Level).Distinct().Order().Select(l => new SupervisionCountsDto(l,
            byStatus.Where(x => x.Level == l && x.Status == "open").Sum(x => x.Count),
            byStatus.Where(x => x.Level == l && x.Status == "replied").Sum(x => x.Count),
            byStatus.Where(x => x.Level == l && x.Status == "closed").Sum(x => x.Count),
            overdue.Where(x => x.Level == l).Sum(x => x.Count))).ToList();

        if (status is not null) q = q.Where(o => o.Status == status);
        if (level is not null) q = q.Where(o => o.Level == level);
        if (caseId is not null) q = q.Where(o => o.CaseId == caseId);
        var rows = await q.OrderByDescending(o => o.IssuedAt).Take(500).ToListAsync(ct);
        return new SupervisionListDto(rows.Select(o => SupervisionOrderDto.From(o, now)).ToList(), counts);
    }

    public static async Task<SupervisionOrderDto> ReplyAsync(Guid id, SupervisionReplyRequest body, Actor actor, CityLoopDb db, CaseCommands commands,
        DateTimeOffset now, CancellationToken ct)
    {
        var order = await db.Set<SupervisionOrder>().FirstOrDefaultAsync(o => o.Id == id, ct) ?? throw new NotFoundException($"Supervision order {id} does not exist.");
        if (!actor.Roles.Any(Roles.DepartmentBound.Contains) || actor.DepartmentCode is null || actor.DepartmentCode != order.DepartmentCode)
            throw new CaseForbiddenException("The department the order is addressed to replies to it.");
        if (order.Status == "closed") throw new CaseRuleException("SupervisionClosed", "This supervision order is closed.", null);
        if (string.IsNullOrWhiteSpace(body.Reply)) throw CaseValidationException.Single("reply", "A reply says what was done.");
        if (InputLimits.TextProblem(body.Reply, InputLimits.Opinion) is { } tooLong) throw CaseValidationException.Single("reply", tooLong);
        order.Status = "replied";
        order.Reply = body.Reply.Trim();
        order.RepliedBy = actor.Name;
        order.RepliedAt = now;
        var c = await db.Cases.FirstAsync(x => x.Id == order.CaseId, ct);
        await commands.NoteAsync(c, "supervision-reply", actor, order.Reply, new { orderId = order.Id, onTime = now <= order.DueAt }, ct);
        return SupervisionOrderDto.From(order, now);
    }

    public static async Task<SupervisionOrderDto> CloseAsync(Guid id, SupervisionCloseRequest body, Actor actor, CityLoopDb db, CaseCommands commands,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!MayIssue(actor, commands.Context(actor).Rules)) throw new CaseForbiddenException("Supervisors close supervision orders.");
        var order = await db.Set<SupervisionOrder>().FirstOrDefaultAsync(o => o.Id == id, ct) ?? throw new NotFoundException($"Supervision order {id} does not exist.");
        if (order.Status != "replied") throw new CaseRuleException("SupervisionNotReplied", $"The order is {order.Status}: it is closed once the department has replied.", null);
        order.Status = "closed";
        order.ClosedBy = actor.Name;
        order.ClosedAt = now;
        order.ClosingOpinion = string.IsNullOrWhiteSpace(body.Opinion) ? null : body.Opinion.Trim();
        var c = await db.Cases.FirstAsync(x => x.Id == order.CaseId, ct);
        await commands.NoteAsync(c, "supervision-closed", actor, order.ClosingOpinion, new { orderId = order.Id, overdue = order.IsOverdueAt(now) }, ct);
        return SupervisionOrderDto.From(order, now);
    }

    public static string LevelName(SupervisionLevel level) => level switch
    {
        SupervisionLevel.Key => "重点督办",
        SupervisionLevel.LeaderLevel => "领导督办",
        _ => "一般督办",
    };
}
