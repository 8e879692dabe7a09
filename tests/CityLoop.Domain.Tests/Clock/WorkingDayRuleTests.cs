using CityLoop.Domain.Clock;

namespace CityLoop.Domain.Tests.Clock;

/// <summary>
/// The two readings of "N working days" across real holidays and 调休 make-up days (2021 National Day, 2026 Spring
/// Festival, from the bundled State Council data): the same clock time N working days on, or the close of business of
/// the Nth working day after the day of the start.
/// </summary>
public class WorkingDayRuleTests
{
    static readonly TimeSpan China = TimeSpan.FromHours(8);
    static readonly WorkingCalendar SameTime = TestCalendars.ChinaDefault;
    static readonly WorkingCalendar CloseOfBusiness = new(SameTime.Definition with { DayRule = WorkingDayRule.CloseOfBusiness });

    static DateTimeOffset At(int y, int m, int d, int h, int min = 0) => new(y, m, d, h, min, 0, China);

    [Theory]
    // 2021: Thu 30 Sep, then 1–7 Oct off, Sat 9 Oct a make-up workday.
    [InlineData(2021, 9, 30, 10, 0, 3, 2021, 10, 11, 10, 0)]
    [InlineData(2021, 9, 30, 10, 0, 1, 2021, 10, 8, 10, 0)]
    [InlineData(2021, 9, 25, 9, 0, 1, 2021, 9, 27, 0, 0)]
    // 2026: Fri 13 Feb, Sat 14 Feb worked, 15–23 Feb off.
    [InlineData(2026, 2, 13, 16, 0, 2, 2026, 2, 24, 16, 0)]
    [InlineData(2026, 2, 12, 9, 0, 3, 2026, 2, 24, 9, 0)]
    public void SameClockTime_CountsWorkingDatesOnly(int y, int m, int d, int h, int min, int days, int ey, int em, int ed, int eh, int emin) =>
        Assert.Equal(At(ey, em, ed, eh, emin), SameTime.AddLimit(At(y, m, d, h, min), TimeLimit.WorkingDays(days)));

    [Theory]
    [InlineData(2021, 9, 30, 10, 0, 3, 2021, 10, 11)]
    [InlineData(2021, 9, 30, 10, 0, 1, 2021, 10, 8)]
    [InlineData(2021, 9, 30, 10, 0, 2, 2021, 10, 9)]
    // A Saturday start: the make-up Sunday 26 Sep counts as the first working day.
    [InlineData(2021, 9, 25, 9, 0, 1, 2021, 9, 26)]
    [InlineData(2026, 2, 13, 16, 0, 1, 2026, 2, 14)]
    [InlineData(2026, 2, 13, 16, 0, 2, 2026, 2, 24)]
    [InlineData(2026, 2, 13, 8, 0, 2, 2026, 2, 24)]
    // Received on a holiday: the next working days count.
    [InlineData(2026, 2, 16, 11, 0, 1, 2026, 2, 24)]
    public void CloseOfBusiness_EndsAtTheCloseOfTheNthWorkingDayAfterTheStartDay(int y, int m, int d, int h, int min, int days, int ey, int em, int ed) =>
        Assert.Equal(At(ey, em, ed, 17, 30), CloseOfBusiness.AddLimit(At(y, m, d, h, min), TimeLimit.WorkingDays(days)));

    [Fact]
    public void CloseOfBusiness_LeavesHourLimitsAndFractionalDaysToTheWorkingTimeCount()
    {
        var start = At(2026, 2, 13, 16, 0);
        Assert.Equal(SameTime.AddLimit(start, TimeLimit.WorkingHours(4)), CloseOfBusiness.AddLimit(start, TimeLimit.WorkingHours(4)));
        Assert.Equal(SameTime.AddLimit(start, TimeLimit.WorkingDays(0.5m)), CloseOfBusiness.AddLimit(start, TimeLimit.WorkingDays(0.5m)));
    }

    [Fact]
    public void TheRule_IsKeptByADepartmentsOverrides_UnlessTheyChangeIt()
    {
        var dept = CloseOfBusiness.WithOverrides(new WorkingCalendarOverrides { WeeklySchedule = WorkingCalendarDefinition.MondayToFriday(new WorkingPeriod(new(9, 0), new(18, 0))) });
        Assert.Equal(WorkingDayRule.CloseOfBusiness, dept.DayRule);
        // Friday 16:00, one working day → close of Monday (the department closes at 18:00).
        Assert.Equal(At(2026, 3, 9, 18, 0), dept.AddLimit(At(2026, 3, 6, 16, 0), TimeLimit.WorkingDays(1)));
        var back = CloseOfBusiness.WithOverrides(new WorkingCalendarOverrides { DayRule = WorkingDayRule.SameClockTime });
        Assert.Equal(At(2026, 3, 9, 16, 0), back.AddLimit(At(2026, 3, 6, 16, 0), TimeLimit.WorkingDays(1)));
    }

    [Fact]
    public void TheCentresAroundTheClockCalendar_CountsEveryHour()
    {
        var centre = new WorkingCalendar(WorkingCalendarDefinition.AroundTheClock(WorkingCalendar.ChinaTimeZone()));
        // Saturday of the Spring Festival at 23:30: one working hour is one hour.
        Assert.Equal(At(2026, 2, 22, 0, 30), centre.AddLimit(At(2026, 2, 21, 23, 30), TimeLimit.WorkingHours(1)));
        Assert.True(centre.IsWorkingTime(At(2026, 2, 17, 3, 0)));
    }
}
