namespace CityLoop.Domain.Clock;

/// <summary>How a time limit (时限) is counted.</summary>
public enum LimitType
{
    /// <summary>紧急工作时: natural hours, also outside office hours.</summary>
    UrgentHours,

    /// <summary>工作时: only time inside the configured working periods counts.</summary>
    WorkingHours,

    /// <summary>工作日: 24 h per working date; weekends and holidays excluded, 调休 make-up workdays included.</summary>
    WorkingDays,

    /// <summary>自然日: natural calendar days of 24 h.</summary>
    CalendarDays,
}

public static class LimitTypeExtensions
{
    /// <summary>True for the two types that are plain wall-clock time (no calendar needed).</summary>
    public static bool IsNatural(this LimitType type) => type is LimitType.UrgentHours or LimitType.CalendarDays;

    /// <summary>True when the limit's value is expressed in days rather than hours.</summary>
    public static bool IsDays(this LimitType type) => type is LimitType.WorkingDays or LimitType.CalendarDays;
}
