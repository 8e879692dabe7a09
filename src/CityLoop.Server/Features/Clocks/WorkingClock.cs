using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using CityLoop.Server.Features.Cases;
using CityLoop.Domain;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Clocks;

/// <summary>
/// Answers "by when" for a case: which calendar runs each phase (the command centre's for its own phases, 7×24 by
/// default; the lead department's for sign-for and handling) and which time limit each phase has (from the category's
/// filing condition, the request type, or the platform's configured phase limits).
/// </summary>
public interface IWorkingClock
{
    /// <summary>The calendar of a department (the platform's when it has none of its own).</summary>
    WorkingCalendar CalendarFor(string? departmentCode);

    /// <summary>The command centre's calendar (scope "centre"); around the clock unless configured otherwise.</summary>
    WorkingCalendar CentreCalendar { get; }

    /// <summary>The limit of <paramref name="phase"/> for this case, or null if the phase is not clocked.</summary>
    TimeLimit? LimitFor(Case c, CasePhase phase);

    /// <summary>The working calendar of a platform of the deployment (a sub-centre's, decision 026); the root's by default.</summary>
    WorkingCalendar PlatformCalendar(string? platformCode) => CalendarFor(null);

    /// <summary>The command centre's calendar of a platform of the deployment; the root centre's by default.</summary>
    WorkingCalendar CentreCalendarOf(string? platformCode) => CentreCalendar;
}

public static class WorkingClockExtensions
{
    /// <summary>The calendar a phase runs on: the department's for its phases, else the centre's.</summary>
    public static WorkingCalendar CalendarForPhase(this IWorkingClock clock, CasePhase phase, string? department, IReadOnlySet<CasePhase> departmentPhases) =>
        departmentPhases.Contains(phase) ? clock.CalendarFor(department) : clock.CentreCalendar;
}

/// <summary>Platform defaults: the China calendar and phase limits that a catalogue-backed clock refines.</summary>
public class DefaultWorkingClock(IOptions<ClockOptions>? options = null) : IWorkingClock
{
    static readonly WorkingCalendar China = Reference.Formats.ChinaCalendar.Default();
    static readonly WorkingCalendar AroundTheClock = new(WorkingCalendarDefinition.AroundTheClock(WorkingCalendar.ChinaTimeZone()));

    public static readonly IReadOnlyDictionary<CasePhase, TimeLimit> Defaults = new Dictionary<CasePhase, TimeLimit>
    {
        [CasePhase.Filing] = TimeLimit.WorkingHours(1),
        [CasePhase.Verification] = TimeLimit.WorkingHours(2),
        [CasePhase.Dispatch] = TimeLimit.WorkingHours(1),
        [CasePhase.SignFor] = TimeLimit.WorkingHours(2),
        [CasePhase.Handling] = TimeLimit.WorkingDays(3),
        [CasePhase.Review] = TimeLimit.WorkingHours(2),
        [CasePhase.Check] = TimeLimit.WorkingHours(4),
        [CasePhase.Close] = TimeLimit.WorkingHours(2),
        [CasePhase.FollowUp] = TimeLimit.WorkingDays(1),
    };

    readonly Dictionary<CasePhase, TimeLimit> _limits = Configured(options?.Value);

    static Dictionary<CasePhase, TimeLimit> Configured(ClockOptions? o)
    {
        var limits = new Dictionary<CasePhase, TimeLimit>(Defaults);
        foreach (var (name, text) in o?.PhaseLimits ?? [])
        {
            if (!Kebab.TryParse<CasePhase>(name, out var phase) && !Enum.TryParse(name, true, out phase))
                throw new InvalidOperationException($"Clocks:PhaseLimits names an unknown phase '{name}'.");
            if (!TimeLimit.TryParse(text, out var limit))
                throw new InvalidOperationException($"Clocks:PhaseLimits:{name} = '{text}' is not a limit such as 2h-work, 1d-work, 4h-urgent.");
            limits[phase] = limit;
        }
        return limits;
    }

    public virtual WorkingCalendar CalendarFor(string? departmentCode) => China;

    public virtual WorkingCalendar CentreCalendar => AroundTheClock;

    public virtual TimeLimit? LimitFor(Case c, CasePhase phase) =>
        c.Urgency != Urgency.Normal && phase is CasePhase.SignFor ? TimeLimit.UrgentHours(1) : _limits.GetValueOrDefault(phase);
}

/// <summary>
/// Deadlines from the working clock: due = start + limit on the phase's calendar; pauses move it by their business
/// time; the extension and return rules of the platform.
/// </summary>
public sealed class WorkingClockDeadlinePolicy(IWorkingClock clock, IOptions<PlatformOptions> platform, IOptions<ClockOptions> clocks,
    IOptions<WorkflowOptions> workflow) : IDeadlinePolicy
{
    readonly IReadOnlySet<CasePhase> _departmentPhases = clocks.Value.DepartmentPhaseSet;

    /// <summary>The department's calendar for its phases, the centre's for the others: both of the case's platform (decision 026).</summary>
    WorkingCalendar CalendarOf(Case c, CasePhase phase, string? department) =>
        _departmentPhases.Contains(phase)
            ? department is null ? clock.PlatformCalendar(c.PlatformCode) : clock.CalendarFor(department)
            : clock.CentreCalendarOf(c.PlatformCode);

    public DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start) =>
        clock.LimitFor(c, phase) is { } limit ? CalendarOf(c, phase, c.LeadDepartmentCode).AddLimit(start, limit).ToUniversalTime() : null;

    public DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt)
    {
        var type = clock.LimitFor(c, phase)?.Type ?? LimitType.CalendarDays;
        var calendar = CalendarOf(c, phase, c.LeadDepartmentCode);
        var paused = calendar.Elapsed(pausedAt, resumedAt, type);
        return calendar.AddBusinessTime(due, paused, type).ToUniversalTime();
    }

    public DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due)
    {
        if (clock.LimitFor(c, phase) is not { } limit) return null;
        var window = limit.ToTimeSpan() * (1 - platform.Value.YellowShare);
        return WorkingTime.Before(CalendarOf(c, phase, c.LeadDepartmentCode), due, window, limit.Type);
    }

    public LimitType? KindOf(Case c, CasePhase phase) => clock.LimitFor(c, phase)?.Type;

    public TimeSpan BusinessTime(Case c, CasePhase phase, string? department, DateTimeOffset from, DateTimeOffset to) =>
        CalendarOf(c, phase, department).Elapsed(from, to, clock.LimitFor(c, phase)?.Type ?? LimitType.CalendarDays);

    /// <summary>Day limits: the configured number of working days before the due; hour limits: a share of the limit before it.</summary>
    public DateTimeOffset ExtensionLatestRequest(Case c, DateTimeOffset due)
    {
        var limit = clock.LimitFor(c, CasePhase.Handling) ?? TimeLimit.WorkingDays(1);
        var calendar = CalendarOf(c, CasePhase.Handling, c.LeadDepartmentCode);
        var w = workflow.Value;
        return limit.Type.IsDays()
            ? WorkingTime.Before(calendar, due, TimeSpan.FromDays((double)w.ExtensionLeadDays), LimitType.WorkingDays)
            : WorkingTime.Before(calendar, due, limit.ToTimeSpan() * w.ExtensionLeadShare, limit.Type);
    }

    public DateTimeOffset? ReturnWindowEnd(Case c, DateTimeOffset dispatchedAt) =>
        TimeLimit.TryParse(workflow.Value.ReturnWindow, out var window)
            ? CalendarOf(c, CasePhase.SignFor, c.LeadDepartmentCode).AddLimit(dispatchedAt, window).ToUniversalTime()
            : null;

    public DateTimeOffset WithinWorkingTime(Case c, CasePhase phase, DateTimeOffset instant)
    {
        var calendar = CalendarOf(c, phase, c.LeadDepartmentCode);
        if (calendar.IsWorkingTime(instant)) return instant.ToUniversalTime();
        // The end of the last working period before it: how much working time precedes the instant, counted back.
        var local = calendar.ToLocal(instant);
        for (var date = DateOnly.FromDateTime(local.DateTime); date > DateOnly.FromDateTime(local.DateTime).AddDays(-400); date = date.AddDays(-1))
        {
            if (!calendar.IsWorkingDay(date)) continue;
            var ends = calendar.GetWorkingPeriods(date)
                .Select(p => calendar.AtLocal(date, p.End == TimeOnly.MinValue ? TimeSpan.FromDays(1) : p.End.ToTimeSpan()))
                .Where(e => e <= instant).ToList();
            if (ends.Count > 0) return ends.Max().ToUniversalTime();
        }
        return instant.ToUniversalTime();
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
