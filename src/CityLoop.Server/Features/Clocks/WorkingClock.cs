using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using CityLoop.Server.Features.Cases;
using Microsoft.Extensions.Options;

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
    static readonly WorkingCalendar China = Reference.Formats.ChinaCalendar.Default();

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
public sealed class WorkingClockDeadlinePolicy(IWorkingClock clock, IOptions<PlatformOptions> platform) : IDeadlinePolicy
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

    public DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due)
    {
        if (clock.LimitFor(c, phase) is not { } limit) return null;
        var window = limit.ToTimeSpan() * (1 - platform.Value.YellowShare);
        return WorkingTime.Before(clock.CalendarFor(c.LeadDepartmentCode), due, window, limit.Type);
    }
}

public static class WorkingTime
{
    /// <summary>
    /// The earliest instant from which at most <paramref name="amount"/> of business time remains until
    /// <paramref name="end"/>: the calendar only counts forwards, so this searches on its monotone Elapsed.
    /// </summary>
    public static DateTimeOffset Before(WorkingCalendar calendar, DateTimeOffset end, TimeSpan amount, LimitType type)
    {
        if (amount < TimeSpan.FromSeconds(1)) return end;
        if (type.IsNatural()) return end - amount;
        // Whole seconds before the end: 'fits' holds up to the answer and fails beyond it.
        bool Fits(long seconds) => calendar.Elapsed(end.AddSeconds(-seconds), end, type) <= amount;
        long good = (long)amount.TotalSeconds, bad = good * 2;
        while (Fits(bad))
        {
            good = bad;
            if (bad > 400L * 86_400) return end.AddSeconds(-bad);
            bad *= 2;
        }
        while (bad - good > 1)
        {
            var mid = good + (bad - good) / 2;
            if (Fits(mid)) good = mid;
            else bad = mid;
        }
        return end.AddSeconds(-good).ToUniversalTime();
    }
}
