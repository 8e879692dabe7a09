namespace CityLoop.Domain.Cases;

/// <summary>
/// Gives a case its phase deadlines. The server's implementation reads the category's filing condition and the
/// working calendar; the domain only knows when to ask.
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
}

/// <summary>Natural-time limits per phase: what tests and a platform without calendars use.</summary>
public sealed class FixedDeadlinePolicy(IReadOnlyDictionary<CasePhase, TimeSpan> limits, double warnShare = 0.8) : IDeadlinePolicy
{
    public static readonly FixedDeadlinePolicy Default = new(new Dictionary<CasePhase, TimeSpan>
    {
        [CasePhase.Filing] = TimeSpan.FromHours(1),
        [CasePhase.SignFor] = TimeSpan.FromHours(2),
        [CasePhase.Handling] = TimeSpan.FromDays(3),
        [CasePhase.Check] = TimeSpan.FromHours(4),
        [CasePhase.Close] = TimeSpan.FromHours(2),
        [CasePhase.FollowUp] = TimeSpan.FromDays(1),
    });

    public DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start) =>
        limits.TryGetValue(phase, out var span) ? start + span : null;

    public DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt) =>
        due + (resumedAt - pausedAt);

    public DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due) =>
        limits.TryGetValue(phase, out var span) ? due - span * (1 - warnShare) : null;
}
