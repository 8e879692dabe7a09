using System.Diagnostics;
using CityLoop.Domain.Clock;
using static CityLoop.Domain.Tests.Clock.TestCalendars;

namespace CityLoop.Domain.Tests.Clock;

public class WorkingCalendarTests
{
    private static readonly WorkingCalendar Calendar = ChinaDefault;

    private static void AssertDue(DateTimeOffset start, TimeLimit limit, DateTimeOffset expected)
    {
        var due = Calendar.AddLimit(start, limit);
        Assert.Equal(expected, due);
        Assert.Equal(China, due.Offset);
        Assert.Equal(limit.ToTimeSpan(), Calendar.Elapsed(start, due, limit.Type));
    }

    [Fact]
    public void AddLimit_WorkingDays_SkipsNationalDayAndCountsMakeUpSaturday()
    {
        // Tue 09-30 10:00 → 14 h; 10-01..08 off; Thu 09 + Fri 10 → 62 h; make-up Sat 10-11 supplies the last 10 h.
        AssertDue(Cn(2025, 9, 30, 10), TimeLimit.WorkingDays(3), Cn(2025, 10, 11, 10));
    }

    [Fact]
    public void AddLimit_WorkingDays_CountsMakeUpSundayBeforeNationalDay()
    {
        // Fri 09-26 10:00 → 14 h; Sat off; Sun 09-28 make-up 24 h; Mon 24 h; Tue 10 h.
        AssertDue(Cn(2025, 9, 26, 10), TimeLimit.WorkingDays(3), Cn(2025, 9, 30, 10));
    }

    [Fact]
    public void AddLimit_WorkingHours_UsesMakeUpSaturdayBeforeSpringFestival2026()
    {
        // Fri 02-13 16:00–17:30 = 1.5 h; Sat 02-14 is a make-up workday: 08:30 + 2.5 h.
        AssertDue(Cn(2026, 2, 13, 16), TimeLimit.WorkingHours(4), Cn(2026, 2, 14, 11));
    }

    [Fact]
    public void AddLimit_WorkingHours_SkipsSpringFestival2026()
    {
        // A day has 6.5 h. 1.5 h Fri + 6.5 h make-up Sat; 02-15..23 off; Tue 02-24: 3.5 h morning + 2.5 h afternoon.
        AssertDue(Cn(2026, 2, 13, 16), TimeLimit.WorkingHours(14), Cn(2026, 2, 24, 17));
    }

    [Fact]
    public void AddLimit_WorkingHours_StartOnWeekendBeginsOnMakeUpSunday()
    {
        // Sat 09-27 is off; Sun 09-28 make-up: 08:30–12:00 = 3.5 h, then 14:30 + 0.5 h.
        AssertDue(Cn(2025, 9, 27, 9), TimeLimit.WorkingHours(4), Cn(2025, 9, 28, 15));
    }

    [Fact]
    public void AddLimit_WorkingDays_YearEndSkipsNewYearAndCountsMakeUpSunday()
    {
        // Wed 12-31 10:00 → 14 h; 2026-01-01..03 off; Sun 01-04 make-up 24 h; Mon 01-05 10 h.
        AssertDue(Cn(2025, 12, 31, 10), TimeLimit.WorkingDays(2), Cn(2026, 1, 5, 10));
    }

    [Fact]
    public void AddLimit_WorkingHours_YearEndContinuesOnMakeUpSunday()
    {
        AssertDue(Cn(2025, 12, 31, 16), TimeLimit.WorkingHours(4), Cn(2026, 1, 4, 11));
    }

    [Fact]
    public void AddLimit_UrgentHours_CrossesMidnightAndHolidayNaturally()
    {
        AssertDue(Cn(2025, 10, 1, 22, 30), TimeLimit.UrgentHours(2), Cn(2025, 10, 2, 0, 30));
    }

    [Fact]
    public void AddLimit_UtcInput_ReturnsBeijingOffsetForSameInstant()
    {
        var due = Calendar.AddLimit(new DateTimeOffset(2025, 10, 1, 14, 30, 0, TimeSpan.Zero), TimeLimit.UrgentHours(2));
        Assert.Equal(new DateTime(2025, 10, 2, 0, 30, 0), due.DateTime);
        Assert.Equal(China, due.Offset);
    }

    [Fact]
    public void AddLimit_CalendarDays_AreNatural24HourDaysInDstFreeZone()
    {
        AssertDue(Cn(2025, 9, 30, 10), TimeLimit.CalendarDays(15), Cn(2025, 10, 15, 10));
    }

    [Theory]
    [InlineData("24h-urgent", "2025-10-01T16:00")]
    [InlineData("3d-cal", "2025-10-03T16:00")]
    [InlineData("16h-work", "2025-10-11T10:00")]
    [InlineData("3d-work", "2025-10-11T16:00")]
    public void AddLimit_EachType_AcrossNationalDayAndMakeUpSaturday(string limit, string expectedLocal)
    {
        // Tue 2025-09-30 16:00, just before the 10-01..08 holiday; Sat 10-11 is a make-up workday.
        var expected = new DateTimeOffset(DateTime.Parse(expectedLocal, System.Globalization.CultureInfo.InvariantCulture), China);
        AssertDue(Cn(2025, 9, 30, 16), TimeLimit.Parse(limit), expected);
    }

    [Fact]
    public void AddLimit_WorkingDays_FromFridayMorningEndsWednesdaySameTime()
    {
        AssertDue(Cn(2025, 11, 14, 10), TimeLimit.WorkingDays(3), Cn(2025, 11, 19, 10));
    }

    [Fact]
    public void AddLimit_WorkingDays_FromSaturdayCountsFromMondayMidnight()
    {
        // Monday 00:00 + 72 h of working-date time = end of Wednesday = Thursday 00:00.
        AssertDue(Cn(2025, 11, 15, 10), TimeLimit.WorkingDays(3), Cn(2025, 11, 20));
    }

    [Fact]
    public void AddLimit_WorkingHours_StartInLunchBreakBeginsAtAfternoonPeriod()
    {
        AssertDue(Cn(2025, 10, 9, 12, 30), TimeLimit.WorkingHours(1), Cn(2025, 10, 9, 15, 30));
        AssertDue(Cn(2025, 10, 9, 7, 0), TimeLimit.WorkingHours(1), Cn(2025, 10, 9, 9, 30));
    }

    [Fact]
    public void AddLimit_WorkingHours_ExactlyFillingMorningEndsAtNoonNotAfterLunch()
    {
        AssertDue(Cn(2025, 10, 9, 8, 30), TimeLimit.WorkingHours(3.5m), Cn(2025, 10, 9, 12));
    }

    [Fact]
    public void AddLimit_FractionalValues_Work()
    {
        AssertDue(Cn(2025, 11, 17), TimeLimit.WorkingDays(0.5m), Cn(2025, 11, 17, 12));
        AssertDue(Cn(2025, 11, 17, 11), TimeLimit.WorkingHours(1.5m), Cn(2025, 11, 17, 15));
    }

    [Fact]
    public void Elapsed_ReversedOrEqualBounds_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, Calendar.Elapsed(Cn(2025, 11, 18, 10), Cn(2025, 11, 17, 10), LimitType.WorkingHours));
        Assert.Equal(TimeSpan.Zero, Calendar.Elapsed(Cn(2025, 11, 18, 10), Cn(2025, 11, 18, 10), LimitType.UrgentHours));
    }

    [Fact]
    public void Elapsed_WorkingHours_OneNormalWeekIs32AndAHalfHours()
    {
        Assert.Equal(TimeSpan.FromHours(32.5), Calendar.Elapsed(Cn(2025, 11, 17), Cn(2025, 11, 24), LimitType.WorkingHours));
        Assert.Equal(TimeSpan.FromDays(5), Calendar.Elapsed(Cn(2025, 11, 17), Cn(2025, 11, 24), LimitType.WorkingDays));
    }

    [Fact]
    public void Remaining_AfterDue_IsNegativeBusinessTime()
    {
        var due = Cn(2025, 11, 21, 17, 30); // Friday evening
        Assert.Equal(TimeSpan.FromHours(-1), Calendar.Remaining(Cn(2025, 11, 24, 9, 30), due, LimitType.WorkingHours));
        Assert.Equal(TimeSpan.FromHours(2), Calendar.Remaining(Cn(2025, 11, 21, 15, 30), due, LimitType.WorkingHours));
    }

    [Theory]
    [InlineData("2025-10-01", false)] // National Day, a Wednesday
    [InlineData("2025-10-09", true)]
    [InlineData("2025-10-11", true)]  // make-up Saturday
    [InlineData("2025-10-12", false)] // ordinary Sunday
    [InlineData("2026-01-04", true)]  // make-up Sunday
    [InlineData("2027-03-01", true)]  // beyond the data: plain weekday schedule
    public void IsWorkingDay_FollowsHolidaysAndMakeUpDays(string date, bool expected)
    {
        Assert.Equal(expected, Calendar.IsWorkingDay(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void IsWorkingTime_RespectsPeriodsHolidaysAndMakeUpDays()
    {
        Assert.True(Calendar.IsWorkingTime(Cn(2025, 10, 11, 9)));
        Assert.False(Calendar.IsWorkingTime(Cn(2025, 10, 11, 13)));
        Assert.False(Calendar.IsWorkingTime(Cn(2025, 10, 4, 10)));
        Assert.True(Calendar.IsWorkingTime(Cn(2025, 10, 9, 8, 30)));
        Assert.False(Calendar.IsWorkingTime(Cn(2025, 10, 9, 12)));
        Assert.True(Calendar.IsWorkingTime(new DateTimeOffset(2025, 10, 9, 1, 0, 0, TimeSpan.Zero))); // 09:00 Beijing
    }

    [Fact]
    public void HasExceptionsForYear_ReportsWhichYearsHaveHolidayData()
    {
        Assert.True(Calendar.HasExceptionsForYear(2026));
        Assert.True(Calendar.HasExceptionsForYear(2021));
        Assert.False(Calendar.HasExceptionsForYear(2027));
    }

    [Fact]
    public void NextCountingInstant_FromHolidayIsFirstWorkingPeriodAfterIt()
    {
        Assert.Equal(Cn(2025, 10, 9, 8, 30), Calendar.NextCountingInstant(Cn(2025, 10, 3, 10)));
        Assert.Equal(Cn(2025, 10, 9), Calendar.NextCountingInstant(Cn(2025, 10, 3, 10), LimitType.WorkingDays));
    }

    [Fact]
    public void WithOverrides_DepartmentHoursChangeButNationalHolidaysStay()
    {
        var saturdayMorning = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>
        {
            [DayOfWeek.Saturday] = [WorkingPeriod.Parse("09:00-12:00")],
            [DayOfWeek.Monday] = [WorkingPeriod.Parse("08:00-12:00"), WorkingPeriod.Parse("13:00-17:00")],
        };
        var department = WorkingCalendar.Merge(Calendar, new WorkingCalendarOverrides { WeeklySchedule = saturdayMorning });

        Assert.True(department.IsWorkingDay(new DateOnly(2025, 11, 15)));   // ordinary Saturday now works
        Assert.False(department.IsWorkingDay(new DateOnly(2025, 10, 4)));   // but a holiday Saturday does not
        Assert.False(department.IsWorkingDay(new DateOnly(2025, 10, 12)));  // Sundays untouched
        Assert.Equal(2, department.GetWorkingPeriods(new DateOnly(2025, 11, 18)).Count); // Tuesday kept from the base
        // Make-up days follow the new Monday: 08:00 start.
        Assert.Equal(Cn(2025, 10, 11, 9), department.AddLimit(Cn(2025, 10, 10, 17, 30), TimeLimit.WorkingHours(1)));
    }

    [Fact]
    public void WithOverrides_ExtraDepartmentHolidayWinsOverBase()
    {
        var department = Calendar.WithOverrides(new WorkingCalendarOverrides
        {
            AdditionalExceptions = [new CalendarException(new DateOnly(2025, 10, 11), CalendarExceptionKind.Holiday, "区级调整")],
        });
        Assert.False(department.IsWorkingDay(new DateOnly(2025, 10, 11)));
        Assert.True(Calendar.IsWorkingDay(new DateOnly(2025, 10, 11)));
    }

    [Fact]
    public void MakeUpDaySchedule_WhenConfigured_IsUsedOnMakeUpDays()
    {
        var definition = Calendar.Definition with { MakeUpDaySchedule = [WorkingPeriod.Parse("10:00-11:00")] };
        var calendar = new WorkingCalendar(definition);
        Assert.Equal(TimeSpan.FromHours(1), calendar.Elapsed(Cn(2025, 10, 11), Cn(2025, 10, 12), LimitType.WorkingHours));
    }

    [Fact]
    public void Constructor_RejectsOverlappingPeriodsAndEmptySchedules()
    {
        var tz = WorkingCalendar.ChinaTimeZone();
        Assert.Throws<ArgumentException>(() => new WorkingCalendar(new WorkingCalendarDefinition(tz,
            WorkingCalendarDefinition.MondayToFriday(WorkingPeriod.Parse("08:00-12:00"), WorkingPeriod.Parse("11:00-13:00")), [])));
        Assert.Throws<ArgumentException>(() => new WorkingCalendar(new WorkingCalendarDefinition(tz,
            new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>(), [])));
        Assert.Throws<ArgumentException>(() => WorkingPeriod.Parse("12:00-08:00"));
    }

    [Fact]
    public void Dst_WorkingDaysOnSpringForwardSundayCount23Hours()
    {
        var berlin = BerlinDst();
        var from = new DateTimeOffset(2025, 3, 30, 0, 0, 0, TimeSpan.FromHours(1));
        var to = new DateTimeOffset(2025, 3, 31, 0, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.FromHours(23), berlin.Elapsed(from, to, LimitType.WorkingDays));
        // 01:30–03:30 local loses the skipped hour: 02:00–03:00 does not exist.
        Assert.Equal(TimeSpan.FromHours(1 + 8), berlin.Elapsed(from, to, LimitType.WorkingHours));
    }

    [Fact]
    public void Dst_FallBackNightCountsTheRepeatedHour()
    {
        var berlin = BerlinDst();
        var from = new DateTimeOffset(2025, 10, 26, 0, 0, 0, TimeSpan.FromHours(2));
        var to = new DateTimeOffset(2025, 10, 27, 0, 0, 0, TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.FromHours(25), berlin.Elapsed(from, to, LimitType.WorkingDays));
        Assert.Equal(TimeSpan.FromHours(3 + 8), berlin.Elapsed(from, to, LimitType.WorkingHours));
    }

    [Fact]
    public void Dst_CalendarDaysAreNatural24Hours()
    {
        var berlin = BerlinDst();
        var due = berlin.AddLimit(new DateTimeOffset(2025, 3, 29, 12, 0, 0, TimeSpan.FromHours(1)), TimeLimit.CalendarDays(1));
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 13, 0, 0, TimeSpan.FromHours(2)), due);
        Assert.Equal(TimeSpan.FromHours(2), due.Offset);
    }

    [Fact]
    public void Elapsed_OverAYear_IsFast()
    {
        var calendar = Calendar;
        var from = Cn(2025, 1, 1, 9);
        var to = Cn(2026, 1, 1, 9);
        calendar.Elapsed(from, to, LimitType.WorkingHours); // warm-up
        const int runs = 200;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++)
        {
            calendar.Elapsed(from, to, LimitType.WorkingHours);
            calendar.AddLimit(from, TimeLimit.WorkingDays(250));
        }
        var perCall = watch.Elapsed / (2 * runs);
        // Typical is well under 1 ms; the bound is loose because CI machines are shared.
        Assert.True(perCall < TimeSpan.FromMilliseconds(10), $"one year took {perCall.TotalMilliseconds:F3} ms per call");
    }
}
