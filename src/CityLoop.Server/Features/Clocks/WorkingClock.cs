using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;

namespace CityLoop.Server.Features.Clocks;

/// <summary>
/// Answers "by when" for a case: which calendar applies (the platform's, or the lead department's override) and
/// which time limit each phase has (from the category's filing condition, the request type, or the defaults).
/// </summary>
public interface IWorkingClock
{
    WorkingCalendar CalendarFor(string? departmentCode);

    /// <summary>The limit of <paramref name="phase"/> for this case, or null if the phase is not clocked.</summary>
    TimeLimit? LimitFor(Case c, CasePhase phase);
}

/// <summary>Platform defaults: the China calendar and phase limits that a catalogue-backed clock refines.</summary>
public class DefaultWorkingClock : IWorkingClock
{
    static readonly WorkingCalendar China = WorkingCalendar.ChinaDefault();

    public static readonly IReadOnlyDictionary<CasePhase, TimeLimit> Defaults = new Dictionary<CasePhase, TimeLimit>
    {
        [CasePhase.Filing] = TimeLimit.WorkingHours(1),
        [CasePhase.SignFor] = TimeLimit.WorkingHours(2),
        [CasePhase.Handling] = TimeLimit.WorkingDays(3),
        [CasePhase.Check] = TimeLimit.WorkingHours(4),
        [CasePhase.Close] = TimeLimit.WorkingHours(2),
        [CasePhase.FollowUp] = TimeLimit.WorkingDays(1),
    };

    public virtual WorkingCalendar CalendarFor(string? departmentCode) => China;

    public virtual TimeLimit? LimitFor(Case c, CasePhase phase) =>
        c.Urgency != Urgency.Normal && phase is CasePhase.SignFor ? TimeLimit.UrgentHours(1) : Defaults.GetValueOrDefault(phase);
}

/// <summary>Deadlines from the working clock: due = start + limit on the applicable calendar; pauses move it by their business time.</summary>
public sealed class WorkingClockDeadlinePolicy(IWorkingClock clock) : IDeadlinePolicy
{
    public DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start) =>
        clock.LimitFor(c, phase) is { } limit ? clock.CalendarFor(c.LeadDepartmentCode).AddLimit(start, limit).ToUniversalTime() : null;

    public DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt)
    {
        var type = clock.LimitFor(c, phase)?.Type ?? LimitType.CalendarDays;
        var calendar = clock.CalendarFor(c.LeadDepartmentCode);
        var paused = calendar.Elapsed(pausedAt, resumedAt, type);
        return calendar.AddBusinessTime(due, paused, type).ToUniversalTime();
    }
}
