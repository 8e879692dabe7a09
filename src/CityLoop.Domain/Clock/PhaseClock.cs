using System.Collections.Immutable;

namespace CityLoop.Domain.Clock;

/// <summary>Traffic light of a running clock.</summary>
public enum ClockLight
{
    Green,
    /// <summary>At least the warning share (default 80 %) of the business time is used.</summary>
    Yellow,
    /// <summary>Past the due instant (breached). Takes precedence over <see cref="Paused"/>.</summary>
    Red,
    /// <summary>Paused (挂账/延期 approved) and not breached.</summary>
    Paused,
}

/// <summary>A pause of a phase clock; <see cref="ResumedAt"/> is null while it lasts.</summary>
public sealed record PauseInterval(DateTimeOffset PausedAt, DateTimeOffset? ResumedAt, string? Reason = null)
{
    public bool IsOpen => ResumedAt is null;
}

/// <summary>
/// Extra business time granted to a phase. <see cref="Limit"/> is set for <see cref="PhaseClock.Extend"/>,
/// <see cref="RequestedDue"/> for <see cref="PhaseClock.ExtendTo"/>; <see cref="BusinessTime"/> is what counts.
/// </summary>
public sealed record ClockExtension(TimeSpan BusinessTime, TimeLimit? Limit = null, DateTimeOffset? RequestedDue = null);

/// <summary>
/// Immutable running clock of one workflow phase (sign-for, handling, check, close) with pauses and extensions.
/// Business time is counted in the limit's <see cref="LimitType"/> by a <see cref="WorkingCalendar"/> passed to each
/// query, so the clock itself stays persistable data. Business time inside pauses does not count; a pause that ends
/// moves the due later by exactly the business time it covered (pause-neutral). A pause that starts after the
/// due does not move it: a breach stays a breach.
/// </summary>
public sealed record PhaseClock
{
    private readonly ImmutableArray<PauseInterval> _pauses;
    private readonly ImmutableArray<ClockExtension> _extensions;

    private PhaseClock(DateTimeOffset start, TimeLimit limit, ImmutableArray<PauseInterval> pauses, ImmutableArray<ClockExtension> extensions)
    {
        Start = start;
        Limit = limit;
        _pauses = pauses;
        _extensions = extensions;
    }

    public DateTimeOffset Start { get; }
    public TimeLimit Limit { get; }
    public IReadOnlyList<PauseInterval> Pauses => _pauses;
    public IReadOnlyList<ClockExtension> Extensions => _extensions;

    public LimitType Type => Limit.Type;

    /// <summary>True while the last pause has not been resumed.</summary>
    public bool IsPaused => _pauses.Length > 0 && _pauses[^1].IsOpen;

    /// <summary>Total business time allowed: the limit plus all extensions.</summary>
    public TimeSpan Budget => _extensions.Aggregate(Limit.ToTimeSpan(), (sum, e) => sum + e.BusinessTime);

    /// <summary>A new running clock.</summary>
    public static PhaseClock StartAt(DateTimeOffset start, TimeLimit limit)
    {
        if (limit.Value <= 0m)
            throw new ArgumentException("The time limit is uninitialised (value 0).", nameof(limit));
        return new PhaseClock(start, limit, [], []);
    }

    /// <summary>Rebuilds a clock from stored data, replaying every rule that the operations enforce.</summary>
    public static PhaseClock Restore(DateTimeOffset start, TimeLimit limit, IEnumerable<PauseInterval> pauses, IEnumerable<ClockExtension> extensions)
    {
        var clock = StartAt(start, limit);
        foreach (var p in pauses)
        {
            clock = clock.Pause(p.PausedAt, p.Reason);
            if (p.ResumedAt is { } resumed)
                clock = clock.Resume(resumed);
        }
        foreach (var e in extensions)
        {
            if (e.BusinessTime <= TimeSpan.Zero)
                throw new InvalidOperationException($"Stored extension grants {e.BusinessTime}; an extension must add business time.");
            clock = clock.WithExtensions(clock._extensions.Add(e));
        }
        return clock;
    }

    public PhaseClock Pause(DateTimeOffset at, string? reason = null)
    {
        if (IsPaused)
            throw new InvalidOperationException($"The clock is already paused since {_pauses[^1].PausedAt:O}; resume it before pausing again.");
        if (at < Start)
            throw new InvalidOperationException($"Cannot pause at {at:O}, before the clock started at {Start:O}.");
        if (_pauses.Length > 0 && at < _pauses[^1].ResumedAt)
            throw new InvalidOperationException($"Cannot pause at {at:O}, before the last resume at {_pauses[^1].ResumedAt:O}; time cannot go backwards.");
        return WithPauses(_pauses.Add(new PauseInterval(at, null, reason)));
    }

    public PhaseClock Resume(DateTimeOffset at)
    {
        if (!IsPaused)
            throw new InvalidOperationException("Cannot resume: the clock is not paused.");
        var open = _pauses[^1];
        if (at < open.PausedAt)
            throw new InvalidOperationException($"Cannot resume at {at:O}, before the pause began at {open.PausedAt:O}; time cannot go backwards.");
        return WithPauses(_pauses.SetItem(_pauses.Length - 1, open with { ResumedAt = at }));
    }

    /// <summary>Grants more time of the clock's own limit type (mixing e.g. working days into working hours is ambiguous).</summary>
    public PhaseClock Extend(TimeLimit additional)
    {
        if (additional.Value <= 0m)
            throw new ArgumentException("The extension is uninitialised (value 0).", nameof(additional));
        if (additional.Type != Limit.Type)
            throw new InvalidOperationException($"Cannot extend a clock counting {Limit.Type} by {additional}; the extension must be in the same limit type.");
        return WithExtensions(_extensions.Add(new ClockExtension(additional.ToTimeSpan(), additional)));
    }

    /// <summary>
    /// Moves the due to <paramref name="newDue"/> by granting the business time between the current due and it
    /// (so later pauses keep working). If <paramref name="newDue"/> lies in non-working time the due becomes the end of
    /// the preceding working time, which is business-time equivalent. Not allowed while paused (the due is open).
    /// </summary>
    public PhaseClock ExtendTo(WorkingCalendar calendar, DateTimeOffset newDue)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var due = Due(calendar)
            ?? throw new InvalidOperationException("Cannot extend to a fixed due while the clock is paused; resume it first or use Extend.");
        var extra = Used(calendar, newDue) - Budget;
        if (newDue <= due || extra <= TimeSpan.Zero)
            throw new InvalidOperationException($"New due {newDue:O} adds no {Limit.Type} time after the current due {due:O}.");
        return WithExtensions(_extensions.Add(new ClockExtension(extra, null, newDue)));
    }

    /// <summary>
    /// The due instant given pauses and extensions, or null while paused (unless the due passed before the pause began).
    /// </summary>
    public DateTimeOffset? Due(WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var left = Budget;
        var running = Start;
        foreach (var pause in _pauses)
        {
            var beforePause = calendar.Elapsed(running, pause.PausedAt, Type);
            if (beforePause >= left)
                return calendar.AddBusinessTime(running, left, Type);
            left -= beforePause;
            if (pause.ResumedAt is not { } resumed)
                return null;
            running = resumed;
        }
        return calendar.AddBusinessTime(running, left, Type);
    }

    /// <summary>
    /// Due assuming an open pause is resumed at <paramref name="now"/>: what the deadline would be if work went on now.
    /// </summary>
    public DateTimeOffset ProjectedDue(WorkingCalendar calendar, DateTimeOffset now) =>
        Due(calendar) ?? (now < _pauses[^1].PausedAt ? Resume(_pauses[^1].PausedAt) : Resume(now)).Due(calendar)!.Value;

    /// <summary>Business time since start including pauses (what a naive clock would show).</summary>
    public TimeSpan BusinessTime(WorkingCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return calendar.Elapsed(Start, now, Type);
    }

    /// <summary>Business time inside pauses up to <paramref name="now"/>.</summary>
    public TimeSpan PausedTime(WorkingCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var sum = TimeSpan.Zero;
        foreach (var p in _pauses)
        {
            var end = p.ResumedAt is { } r && r < now ? r : now;
            sum += calendar.Elapsed(p.PausedAt, end, Type);
        }
        return sum;
    }

    /// <summary>Business time consumed up to <paramref name="now"/>: business time minus paused business time.</summary>
    public TimeSpan Used(WorkingCalendar calendar, DateTimeOffset now) => BusinessTime(calendar, now) - PausedTime(calendar, now);

    /// <summary>Business time left (negative once overdue).</summary>
    public TimeSpan Remaining(WorkingCalendar calendar, DateTimeOffset now) => Budget - Used(calendar, now);

    /// <summary>Share of the budget used: 0 at start, 1 at the due, above 1 when overdue in business time.</summary>
    public double FractionUsed(WorkingCalendar calendar, DateTimeOffset now) => (double)Used(calendar, now).Ticks / Budget.Ticks;

    /// <summary>Natural time since start, pauses included (the 'wall time' recorded next to business time).</summary>
    public TimeSpan WallTime(DateTimeOffset now) => now > Start ? now - Start : TimeSpan.Zero;

    /// <summary>True when <paramref name="now"/> falls inside a pause (history-aware: works for past instants too).</summary>
    public bool IsPausedAt(DateTimeOffset now) =>
        _pauses.Any(p => p.PausedAt <= now && (p.ResumedAt is not { } r || now < r));

    /// <summary>Red once past the due; otherwise Paused while paused; Yellow from <paramref name="yellowShare"/> of the budget.</summary>
    public ClockLight Light(WorkingCalendar calendar, DateTimeOffset now, double yellowShare = 0.8)
    {
        if (!(yellowShare > 0 && yellowShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(yellowShare), yellowShare, "The warning share must be in (0, 1].");
        if (Due(calendar) is { } due && now > due)
            return ClockLight.Red;
        if (IsPausedAt(now))
            return ClockLight.Paused;
        return FractionUsed(calendar, now) >= yellowShare ? ClockLight.Yellow : ClockLight.Green;
    }

    private PhaseClock WithPauses(ImmutableArray<PauseInterval> pauses) => new(Start, Limit, pauses, _extensions);

    private PhaseClock WithExtensions(ImmutableArray<ClockExtension> extensions) => new(Start, Limit, _pauses, extensions);

    public bool Equals(PhaseClock? other) =>
        other is not null && Start.Equals(other.Start) && Limit.Equals(other.Limit)
        && _pauses.SequenceEqual(other._pauses) && _extensions.SequenceEqual(other._extensions);

    public override int GetHashCode() => HashCode.Combine(Start, Limit, _pauses.Length, _extensions.Length);
}
