using CityLoop.Domain.Clock;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Domain.Tests.Clock;

internal static class TestCalendars
{
    public static readonly TimeSpan China = TimeSpan.FromHours(8);

    public static WorkingCalendar ChinaDefault => ChinaCalendar.Default();

    /// <summary>Local Beijing time as an instant.</summary>
    public static DateTimeOffset Cn(int y, int mo, int d, int h = 0, int mi = 0) => new(y, mo, d, h, mi, 0, China);

    /// <summary>
    /// Europe/Berlin, every day 01:30–03:30 and 09:00–17:00: the first period straddles both DST transitions
    /// (02:00–03:00 is skipped in March and repeated in October), which stresses the local→UTC mapping.
    /// </summary>
    public static WorkingCalendar BerlinDst()
    {
        var periods = new[] { WorkingPeriod.Parse("01:30-03:30"), WorkingPeriod.Parse("09:00-17:00") };
        var schedule = Enum.GetValues<DayOfWeek>().ToDictionary(d => d, IReadOnlyList<WorkingPeriod> (_) => periods);
        var holidays = new[] { new CalendarException(new DateOnly(2025, 12, 25), CalendarExceptionKind.Holiday, "Weihnachten") };
        return new WorkingCalendar(new WorkingCalendarDefinition(
            TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), schedule, holidays));
    }

    /// <summary>A department working in three shifts around the clock on weekdays, with the national holidays.</summary>
    public static WorkingCalendar ChinaRoundTheClockWeekdays() => ChinaDefault.WithOverrides(new WorkingCalendarOverrides
    {
        WeeklySchedule = WorkingCalendarDefinition.MondayToFriday(WorkingPeriod.Parse("00:00-00:00")),
    });

    public static IEnumerable<object[]> Names() => [["china"], ["berlin-dst"], ["china-24h"]];

    public static WorkingCalendar ByName(string name) => name switch
    {
        "china" => ChinaDefault,
        "berlin-dst" => BerlinDst(),
        "china-24h" => ChinaRoundTheClockWeekdays(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
