using CityLoop.Domain.Clock;

namespace CityLoop.Domain.Cases;

/// <summary>
/// Gives a case its phase deadlines and the time rules around them. The server's implementation reads the category's
/// filing condition, the platform's limits and the working calendars (the centre's for its own phases, the lead
/// department's for sign-for and handling); the domain only knows when to ask.
/// </summary>
public interface IDeadlinePolicy
{
    /// <summary>The due instant of <paramref name="phase"/> when it starts at <paramref name="start"/>, or null if unclocked.</summary>
    DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start);

    /// <summary>Moves a due instant later by the business time that passed between pause and resume.</summary>
    DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt);

    /// <summary>
    /// When the phase's light turns yellow: the instant from which only (1 − warning share) of the phase's limit is
    /// left before <paramref name="due"/>, counted in the limit's own kind of time.
    /// </summary>
    DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due);

    /// <summary>The kind of time the phase's limit counts (working hours, working days…), or null if unclocked.</summary>
    LimitType? KindOf(Case c, CasePhase phase);

    /// <summary>Business time of <paramref name="phase"/> between two instants, on the calendar of that phase (department given).</summary>
    TimeSpan BusinessTime(Case c, CasePhase phase, string? department, DateTimeOffset from, DateTimeOffset to);

    /// <summary>The latest instant at which an extension of the handling deadline <paramref name="due"/> may still be asked.</summary>
    DateTimeOffset ExtensionLatestRequest(Case c, DateTimeOffset due);

    /// <summary>Until when the department may return a case dispatched at <paramref name="dispatchedAt"/>; null: no window.</summary>
    DateTimeOffset? ReturnWindowEnd(Case c, DateTimeOffset dispatchedAt);

    /// <summary>The instant itself if it lies in the phase's working time, else the end of the last working period before it.</summary>
    DateTimeOffset WithinWorkingTime(Case c, CasePhase phase, DateTimeOffset instant);
}

/// <summary>Platform switches of the workflow that are configuration, not code.</summary>
public sealed record WorkflowSettings
{
    /// <summary>The dispatcher accepts or sends back the department's handling report before the check (处置反馈审核).</summary>
    public bool ReviewFeedback { get; init; }
    /// <summary>Shift leaders may issue supervision (督办) as well as supervisors.</summary>
    public bool ShiftLeaderSupervises { get; init; }
    /// <summary>The deployment has sub-centres, so its centres hand cases to each other (移交, decision 026).</summary>
    public bool HandOver { get; init; }

    public static readonly WorkflowSettings Default = new();
}

/// <summary>Natural-time limits per phase: what tests and a platform without calendars use.</summary>
public sealed class FixedDeadlinePolicy(IReadOnlyDictionary<CasePhase, TimeSpan> limits, double warnShare = 0.8) : IDeadlinePolicy
{
    public static readonly FixedDeadlinePolicy Default = new(new Dictionary<CasePhase, TimeSpan>
    {
        [CasePhase.Filing] = TimeSpan.FromHours(1),
        [CasePhase.Verification] = TimeSpan.FromHours(2),
        [CasePhase.Dispatch] = TimeSpan.FromHours(1),
        [CasePhase.SignFor] = TimeSpan.FromHours(2),
        [CasePhase.Handling] = TimeSpan.FromDays(3),
        [CasePhase.Review] = TimeSpan.FromHours(2),
        [CasePhase.Check] = TimeSpan.FromHours(4),
        [CasePhase.Close] = TimeSpan.FromHours(2),
        [CasePhase.FollowUp] = TimeSpan.FromDays(1),
    });

    /// <summary>How long after dispatch a department may return a case.</summary>
    public TimeSpan ReturnWindow { get; init; } = TimeSpan.FromDays(2);

    public DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start) =>
        limits.TryGetValue(phase, out var span) ? start + span : null;

    public DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt) =>
        due + (resumedAt - pausedAt);

    public DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due) =>
        limits.TryGetValue(phase, out var span) ? due - span * (1 - warnShare) : null;

    public LimitType? KindOf(Case c, CasePhase phase) => limits.ContainsKey(phase) ? LimitType.UrgentHours : null;

    public TimeSpan BusinessTime(Case c, CasePhase phase, string? department, DateTimeOffset from, DateTimeOffset to) =>
        to > from ? to - from : TimeSpan.Zero;

    public DateTimeOffset ExtensionLatestRequest(Case c, DateTimeOffset due) =>
        due - (limits.TryGetValue(CasePhase.Handling, out var span) && span < TimeSpan.FromDays(1) ? span / 4 : TimeSpan.FromDays(1));

    public DateTimeOffset? ReturnWindowEnd(Case c, DateTimeOffset dispatchedAt) => dispatchedAt + ReturnWindow;

    public DateTimeOffset WithinWorkingTime(Case c, CasePhase phase, DateTimeOffset instant) => instant;
}
