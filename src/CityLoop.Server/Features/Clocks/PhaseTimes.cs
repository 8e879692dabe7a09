using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Clocks;

/// <summary>When a transition ends a phase, records its wall time and its business time (pauses excluded).</summary>
public sealed class PhaseTimeHook(CityLoopDb db, IWorkingClock clock) : ICaseHook
{
    public async Task PerformedAsync(Case c, CaseAction action, TransitionContext ctx, CancellationToken ct)
    {
        if (c.LastEndedPhase is not { } ended) return;
        var limit = clock.LimitFor(c, ended.Phase);
        var type = limit?.Type ?? LimitType.CalendarDays;
        var calendar = clock.CalendarFor(c.LeadDepartmentCode);
        var pauses = await PausesAsync(c, ended.StartedAt, ended.EndedAt, ct);
        var paused = pauses.Aggregate(TimeSpan.Zero, (sum, p) => sum + calendar.Elapsed(p.From, p.To, type));
        db.Set<CasePhaseTime>().Add(new CasePhaseTime
        {
            CaseId = c.Id,
            Phase = ended.Phase,
            StartedAt = ended.StartedAt,
            EndedAt = ended.EndedAt,
            DueAt = ended.DueAt,
            LimitType = limit?.Type,
            WallSeconds = (long)(ended.EndedAt - ended.StartedAt).TotalSeconds,
            BusinessSeconds = (long)(calendar.Elapsed(ended.StartedAt, ended.EndedAt, type) - paused).TotalSeconds,
            PausedSeconds = (long)paused.TotalSeconds,
            OnTime = ended.DueAt is null || ended.EndedAt <= ended.DueAt,
            DepartmentCode = ended.Phase is CasePhase.SignFor or CasePhase.Handling ? c.LeadDepartmentCode : null,
        });
    }

    /// <summary>Approved suspensions inside the phase, from the event log (an open one ends with the phase).</summary>
    async Task<List<(DateTimeOffset From, DateTimeOffset To)>> PausesAsync(Case c, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var events = await db.CaseEvents.AsNoTracking()
            .Where(e => e.CaseId == c.Id && (e.Action == "approve-suspension" || e.Action == "resume"))
            .OrderBy(e => e.Seq).Select(e => new { e.Action, e.At }).ToListAsync(ct);
        var result = new List<(DateTimeOffset, DateTimeOffset)>();
        DateTimeOffset? open = null;
        foreach (var e in events.Where(e => e.At >= start && e.At <= end))
        {
            if (e.Action == "approve-suspension") open = e.At;
            else if (open is { } from) { result.Add((from, e.At)); open = null; }
        }
        if (open is { } still) result.Add((still, end));
        return result;
    }
}
