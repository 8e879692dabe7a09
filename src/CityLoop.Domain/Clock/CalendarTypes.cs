namespace CityLoop.Domain.Clock;

/// <summary>
/// One working period of a day, [Start, End). An <see cref="End"/> of 00:00 means midnight at the end of the day,
/// so 00:00–00:00 is a whole-day (24 h) period.
/// </summary>
public readonly record struct WorkingPeriod
{
    public TimeOnly Start { get; }
    public TimeOnly End { get; }

    public WorkingPeriod(TimeOnly start, TimeOnly end)
    {
        if (end != TimeOnly.MinValue && end <= start)
            throw new ArgumentException($"Working period {start:HH\\:mm}–{end:HH\\:mm} must end after it starts (use 00:00 as end for midnight).");
        Start = start;
        End = end;
    }

    public void Deconstruct(out TimeOnly start, out TimeOnly end) => (start, end) = (Start, End);

    /// <summary>Parses "08:30-12:00" (also accepts an en dash).</summary>
    public static WorkingPeriod Parse(string text)
    {
        var parts = text.Split('-', '–');
        if (parts.Length != 2 || !TimeOnly.TryParse(parts[0].Trim(), out var s) || !TimeOnly.TryParse(parts[1].Trim(), out var e))
            throw new FormatException($"Working period \"{text}\" is not in the form HH:mm-HH:mm.");
        return new WorkingPeriod(s, e);
    }

    /// <summary>Length of the period; midnight end counts as 24:00.</summary>
    public TimeSpan Duration => (End == TimeOnly.MinValue ? TimeSpan.FromDays(1) : End.ToTimeSpan()) - Start.ToTimeSpan();

    internal TimeSpan EndOffset => End == TimeOnly.MinValue ? TimeSpan.FromDays(1) : End.ToTimeSpan();

    public override string ToString() => $"{Start:HH\\:mm}-{End:HH\\:mm}";
}

public enum CalendarExceptionKind
{
    /// <summary>A day off (放假), even if it falls on a weekday.</summary>
    Holiday,

    /// <summary>A weekend day worked instead (调休上班); uses the calendar's make-up-day schedule.</summary>
    MakeUpWorkday,
}

/// <summary>A date that differs from the weekly schedule.</summary>
public sealed record CalendarException(DateOnly Date, CalendarExceptionKind Kind, string Name);

/// <summary>
/// Everything a <see cref="WorkingCalendar"/> is built from.
/// <see cref="WeeklySchedule"/>: a day missing from the dictionary, or mapped to an empty list, is not a working day.
/// <see cref="MakeUpDaySchedule"/>: periods used on a make-up workday; null means "Monday's periods".
/// </summary>
public sealed record WorkingCalendarDefinition(
    TimeZoneInfo TimeZone,
    IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>> WeeklySchedule,
    IReadOnlyList<CalendarException> Exceptions,
    IReadOnlyList<WorkingPeriod>? MakeUpDaySchedule = null)
{
    /// <summary>How a limit of whole working days ends (local rules differ).</summary>
    public WorkingDayRule DayRule { get; init; } = WorkingDayRule.SameClockTime;

    /// <summary>Every day, all day, no holidays: a command centre that works around the clock (7×24).</summary>
    public static WorkingCalendarDefinition AroundTheClock(TimeZoneInfo zone) =>
        new(zone, Enumerable.Range(0, 7).ToDictionary(d => (DayOfWeek)d, _ => (IReadOnlyList<WorkingPeriod>)[new WorkingPeriod(TimeOnly.MinValue, TimeOnly.MinValue)]), []);

    /// <summary>The same periods Monday to Friday, nothing at weekends.</summary>
    public static IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>> MondayToFriday(params WorkingPeriod[] periods)
    {
        var schedule = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>();
        for (var d = DayOfWeek.Monday; d <= DayOfWeek.Friday; d++)
            schedule[d] = periods;
        return schedule;
    }
}

/// <summary>
/// Per-department changes on top of a base calendar (see <see cref="WorkingCalendar.WithOverrides"/>).
/// Null members keep the base value. <see cref="WeeklySchedule"/> replaces only the days it contains
/// (map a day to an empty list to close it). <see cref="AdditionalExceptions"/> win over the base's entry for the same date.
/// </summary>
public sealed record WorkingCalendarOverrides
{
    public TimeZoneInfo? TimeZone { get; init; }
    public IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>? WeeklySchedule { get; init; }
    public IReadOnlyList<WorkingPeriod>? MakeUpDaySchedule { get; init; }
    public IReadOnlyList<CalendarException>? AdditionalExceptions { get; init; }
    public WorkingDayRule? DayRule { get; init; }
}

/// <summary>What "N working days" means on a calendar.</summary>
public enum WorkingDayRule
{
    /// <summary>The same clock time N working days later (3 working days from Friday 10:00 = Wednesday 10:00).</summary>
    SameClockTime,
    /// <summary>The close of business of the Nth working day after the day of the start (many 12345 rules).</summary>
    CloseOfBusiness,
}
