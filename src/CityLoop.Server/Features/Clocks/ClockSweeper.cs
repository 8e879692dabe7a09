using System.Diagnostics;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Clocks;

public sealed record SweepResult(int Cases, int Reminders, int MarkedOverdue, int Messages, TimeSpan Duration);

/// <summary>
/// Keeps lights and overdue flags current and sends reminders and escalations. It only reads cases whose
/// <see cref="Case.NextCheckAt"/> has come (an index range scan), locks them so that another node skips them,
/// and inserts each reminder under a unique key in the transaction that records it: once, on any number of nodes.
/// </summary>
public sealed class ClockSweeper(CityLoopDb db, CaseCommands commands, Notifier notifier, TimeProvider clock, IOptions<ClockOptions> options,
    ILogger<ClockSweeper> log)
{
    public static readonly Actor Worker = new("system:clock", "时限监控", new HashSet<Role> { Role.BackgroundWorker }, null, IsSystem: true);

    readonly ClockOptions _options = options.Value;

    public async Task<SweepResult> SweepAsync(CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var now = clock.GetUtcNow();
        int cases = 0, reminders = 0, overdue = 0;
        while (true)
        {
            var (n, r, o) = await SweepBatchAsync(now, ct);
            cases += n;
            reminders += r;
            overdue += o;
            if (n < _options.BatchSize) break;
        }
        var messages = await notifier.DeliverPendingAsync(ct);
        if (cases > 0) log.LogInformation("Clock sweep: {Cases} cases, {Reminders} reminders, {Overdue} newly overdue, {Messages} messages in {Ms} ms",
            cases, reminders, overdue, messages, watch.ElapsedMilliseconds);
        return new SweepResult(cases, reminders, overdue, messages, watch.Elapsed);
    }

    async Task<(int Cases, int Reminders, int Overdue)> SweepBatchAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = db.IsPostgres
            ? await db.Cases.FromSqlRaw(
                "SELECT * FROM cases WHERE next_check_at <= {0} ORDER BY next_check_at LIMIT {1} FOR UPDATE SKIP LOCKED", now, _options.BatchSize).ToListAsync(ct)
            : await db.Cases.Where(c => c.NextCheckAt <= now).OrderBy(c => c.NextCheckAt).Take(_options.BatchSize).ToListAsync(ct);
        if (batch.Count == 0) return (0, 0, 0);

        var ids = batch.Select(c => c.Id).ToList();
        var sent = (await db.Set<Reminder>().AsNoTracking().Where(r => ids.Contains(r.CaseId))
                .Select(r => new { r.CaseId, r.Phase, r.Kind, r.Level, r.DueAt }).ToListAsync(ct))
            .Select(r => (r.CaseId, r.Phase, r.Kind, r.Level, r.DueAt.UtcTicks)).ToHashSet();
        int reminders = 0, overdue = 0;
        await commands.ChangeAsync(batch, Worker, async (c, ctx) =>
        {
            c.RestoreClock(ctx);
            if (c.ClockPhase is not { } phase || c.ClockDueAt is not { } due)
            {
                c.ScheduleCheck(null);
                return;
            }
            var checkpoints = Checkpoints(phase, c.ClockWarnAt, due);
            // Everything that has come since the last sweep is recorded, each once: the log stays exact.
            var come = new List<(string Kind, int Level, IReadOnlyList<User> Recipients)>();
            foreach (var (at, kind, level) in checkpoints.Where(p => p.At <= now))
            {
                // A sweep that comes late skips the warning once the breach has come; the breach says more.
                if (kind == "warn" && now >= due) continue;
                if (kind == "due" && c.State.IsOpen() && c.MarkOverdue(true, ctx, phase)) overdue++;
                if (!sent.Add((c.Id, phase, kind, level, due.UtcTicks))) continue;
                come.Add((kind, level, await RecipientsAsync(c, phase, kind, level, ct)));
            }
            // A sweep that comes late (a node back after downtime, a database whose cases ran for weeks) finds several
            // checkpoints of the phase passed at once: each person is told once, by the latest of them — the breach and
            // the escalations it has reached — not once per missed checkpoint (decision 034).
            var toldLater = new HashSet<Guid>();
            var told = new List<User>[come.Count];
            for (var i = come.Count - 1; i >= 0; i--) told[i] = come[i].Recipients.Where(u => toldLater.Add(u.Id)).ToList();
            for (var i = 0; i < come.Count; i++)
            {
                var (kind, level, recipients) = come[i];
                var fields = await notifier.FieldsAsync(c, ct);
                if (level > 0)
                {
                    var step = _options.Escalation[level - 1];
                    fields["level"] = step.Title;
                    fields["level@en"] = Roles.TryParse(step.Role, out var role) ? Shared.Ui.InEnglish(() => Shared.Labels.Role(role)) : step.Role;
                }
                var count = await notifier.ToStaffAsync(c, "clock-" + kind, fields, told[i], ctx, ct, phase: phase);
                // The reminders table is the projection of this event: the unique key there makes it happen once.
                var folded = recipients.Count - told[i].Count;
                c.Note(kind == "escalate" ? "escalate" : "remind", ctx, payload: new
                {
                    phase, kind, level = level > 0 ? level : (int?)null, dueAt = due, recipients = count, toldByLater = folded > 0 ? folded : (int?)null,
                });
                reminders++;
            }
            c.ScheduleCheck(checkpoints.Select(p => p.At).Where(at => at > now).Order().Cast<DateTimeOffset?>().FirstOrDefault());
        }, now, ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (batch.Count, reminders, overdue);
    }

    /// <summary>
    /// The instants at which something happens to a clock: warning, breach, then — for the department's phases,
    /// whose chain runs up from the department head — each escalation level.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset At, string Kind, int Level)> Checkpoints(CasePhase phase, DateTimeOffset? warnAt, DateTimeOffset due)
    {
        var list = new List<(DateTimeOffset, string, int)>();
        if (warnAt is { } w && w < due) list.Add((w, "warn", 0));
        list.Add((due, "due", 0));
        if (phase is not (CasePhase.SignFor or CasePhase.Handling)) return list;
        for (var i = 0; i < _options.Escalation.Count; i++)
            list.Add((due.AddHours(_options.Escalation[i].AfterHours), "escalate", i + 1));
        return list;
    }

    /// <summary>Who is reminded: whoever holds the phase's work; escalations go up the configured chain.</summary>
    async Task<IReadOnlyList<User>> RecipientsAsync(Case c, CasePhase phase, string kind, int level, CancellationToken ct)
    {
        // A case assigned to a team is the team's to act on; its reminders go there.
        var dept = c.AssignedTeam is { } team && phase is CasePhase.SignFor or CasePhase.Handling && kind != "escalate" ? team : c.LeadDepartmentCode;
        Role[] roles = kind == "escalate"
            ? [Roles.TryParse(_options.Escalation[level - 1].Role, out var r) ? r : Role.Supervisor]
            : phase switch
            {
                CasePhase.Filing => [Role.ShiftLeader],
                CasePhase.Verification => [Role.Inspector, Role.IntakeOperator],
                CasePhase.Dispatch or CasePhase.Review => [Role.Dispatcher],
                CasePhase.SignFor or CasePhase.Handling => [Role.DepartmentHandler, Role.DepartmentHead],
                CasePhase.Check => c.AssignedInspector is null ? [Role.IntakeOperator] : [Role.Inspector],
                CasePhase.Close => [Role.ShiftLeader],
                CasePhase.FollowUp => [Role.HotlineAgent],
                _ => [],
            };
        var users = new List<User>();
        foreach (var role in roles)
        {
            // The case's own centre is reminded, never another sub-centre (decision 026, addendum).
            var found = await notifier.StaffOfAsync(c, role, dept, ct);
            // An inspector's task goes to the assigned inspector; a handler's to the one it is assigned to.
            if (role == Role.Inspector && c.AssignedInspector is { } assigned) found = found.Where(u => u.Id.ToString() == assigned).ToList();
            if (role == Role.DepartmentHandler && c.AssignedHandler is { } handler) found = found.Where(u => u.Id.ToString() == handler).ToList();
            users.AddRange(found);
        }
        return users;
    }
}

/// <summary>Runs the sweep every Clocks:SweepSeconds on every node; the database keeps the nodes from doing the same work twice.</summary>
public sealed class ClockWorker(IServiceScopeFactory scopes, IOptions<ClockOptions> options, ILogger<ClockWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (options.Value.SweepSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds));
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync(ct);
                await scope.ServiceProvider.GetRequiredService<CaseCommands>().PurgeIdempotencyKeysAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Clock sweep failed; the next one picks up where it stopped");
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }
}
