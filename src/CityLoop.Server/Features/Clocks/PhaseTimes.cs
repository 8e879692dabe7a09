using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Clocks;

/// <summary>Reads the clock part of an event.</summary>
public static class EventClock
{
    public static ClockRecord? Of(CaseEvent e) => e.Clock is null ? null : JsonSerializer.Deserialize<ClockRecord>(e.Clock, Case.ClockJson);
}

/// <summary>
/// The persisted clock on the case row (phase, start, due, warning), as the events recorded it. Incrementally the
/// domain has already set the same values; in a rebuild this restores them from the log.
/// </summary>
public sealed class CaseClockProjection : ICaseProjection
{
    public int Order => 10;
    public string Name => "case-clock";

    public Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct)
    {
        if (EventClock.Of(e) is { } record) c.RestoreClockFrom(record);
        else if (e.Seq == 1) c.RestoreClockFrom(new ClockRecord());
        return Task.CompletedTask;
    }

    public Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Business and wall time of every finished phase, with its on-time verdict, from the event that ended it.</summary>
public sealed class PhaseTimeProjection(CityLoopDb db) : ICaseProjection
{
    public int Order => 20;
    public string Name => "phase-times";

    public Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct)
    {
        if (EventClock.Of(e)?.Ended is not { } ended) return Task.CompletedTask;
        db.Set<CasePhaseTime>().Add(new CasePhaseTime
        {
            CaseId = c.Id,
            PlatformCode = e.PlatformCode,
            Phase = ended.Phase,
            StartedAt = ended.StartedAt,
            EndedAt = ended.EndedAt,
            DueAt = ended.DueAt,
            LimitType = ended.LimitType,
            WallSeconds = ended.WallSeconds,
            BusinessSeconds = ended.BusinessSeconds,
            PausedSeconds = ended.PausedSeconds,
            OnTime = ended.OnTime,
            DepartmentCode = ended.Department,
            UserId = ended.User,
            EndedBySeq = e.Seq,
        });
        return Task.CompletedTask;
    }

    public Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) =>
        db.Set<CasePhaseTime>().Where(p => caseIds.Contains(p.CaseId)).ExecuteDeleteAsync(ct);
}

/// <summary>The reminders and escalations sent, one row per remind/escalate event: the worker's once-only key.</summary>
public sealed class ReminderProjection(CityLoopDb db) : ICaseProjection
{
    public int Order => 40;
    public string Name => "reminders";

    sealed record Sent(CasePhase Phase, string Kind, int? Level, DateTimeOffset DueAt, int Recipients);

    public Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct)
    {
        if (e.Action is not ("remind" or "escalate") || e.Payload is null) return Task.CompletedTask;
        var sent = JsonSerializer.Deserialize<Sent>(e.Payload, Case.ClockJson)!;
        db.Set<Reminder>().Add(new Reminder
        {
            CaseId = c.Id, PlatformCode = e.PlatformCode, Phase = sent.Phase, Kind = sent.Kind, Level = sent.Level ?? 0, DueAt = sent.DueAt,
            SentAt = e.At, Recipients = sent.Recipients,
        });
        return Task.CompletedTask;
    }

    public Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) =>
        db.Set<Reminder>().Where(r => caseIds.Contains(r.CaseId)).ExecuteDeleteAsync(ct);
}
