using CityLoop.Domain.Clock;

namespace CityLoop.Domain.Tests.Clock;

/// <summary>Seeded random property tests (no FsCheck): each runs 2000 cases per calendar with a fixed seed.</summary>
public class WorkingCalendarPropertyTests
{
    private const int Cases = 2000;

    // Spans the embedded holiday data (2025–2026) plus plain weeks either side of it.
    private static readonly DateTimeOffset RangeStart = new(2024, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long RangeTicks = TimeSpan.FromDays(800).Ticks;

    internal static DateTimeOffset RandomInstant(Random random)
    {
        // Half the cases land on whole quarter hours, so period boundaries are hit exactly.
        var ticks = random.NextInt64(RangeTicks);
        if (random.Next(2) == 0)
            ticks -= ticks % (TimeSpan.TicksPerMinute * 15);
        return RangeStart.AddTicks(ticks).ToOffset(TimeSpan.FromHours(random.Next(-11, 13)));
    }

    internal static TimeLimit RandomLimit(Random random)
    {
        var type = (LimitType)random.Next(4);
        var max = type.IsDays() ? 3000 : 6000; // hundredths: up to 30 days / 60 hours
        return new TimeLimit(random.Next(1, max + 1) / 100m, type);
    }

    internal static LimitType RandomType(Random random) => (LimitType)random.Next(4);

    public static IEnumerable<object[]> Calendars() => TestCalendars.Names();

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_AddLimitThenElapsed_ReturnsTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        var random = new Random(20250930);
        for (var i = 0; i < Cases; i++)
        {
            var start = RandomInstant(random);
            var limit = RandomLimit(random);
            var due = calendar.AddLimit(start, limit);
            Assert.True(due >= start, $"{limit} from {start:O}: due {due:O} before start");
            Assert.Equal(limit.ToTimeSpan(), calendar.Elapsed(start, due, limit.Type));
        }
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_Elapsed_IsAdditiveAndMonotonic(string name)
    {
        var calendar = TestCalendars.ByName(name);
        var random = new Random(12345);
        for (var i = 0; i < Cases; i++)
        {
            var points = new[] { RandomInstant(random), RandomInstant(random), RandomInstant(random) }.Order().ToArray();
            var (a, b, c) = (points[0], points[1], points[2]);
            var type = RandomType(random);
            var ab = calendar.Elapsed(a, b, type);
            var bc = calendar.Elapsed(b, c, type);
            var ac = calendar.Elapsed(a, c, type);
            Assert.Equal(ac, ab + bc);
            Assert.True(ab >= TimeSpan.Zero && bc >= TimeSpan.Zero, "elapsed business time is never negative");
            Assert.True(ab <= ac, "monotonic in 'to'");
            Assert.True(ac <= c - a, "business time never exceeds wall time");
            Assert.Equal(TimeSpan.Zero, calendar.Elapsed(c, a, type));
        }
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_RemainingPlusElapsed_EqualsTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        var random = new Random(777);
        for (var i = 0; i < Cases; i++)
        {
            var start = RandomInstant(random);
            var limit = RandomLimit(random);
            var due = calendar.AddLimit(start, limit);
            // 'now' anywhere from start to well past the due.
            var now = start.AddTicks(random.NextInt64((due - start).Ticks * 2 + TimeSpan.TicksPerDay * 3));
            var remaining = calendar.Remaining(now, due, limit.Type);
            Assert.Equal(limit.ToTimeSpan(), remaining + calendar.Elapsed(start, now, limit.Type));
            Assert.Equal(now > due, remaining < TimeSpan.Zero || (remaining == TimeSpan.Zero && now > due));
        }
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_AddLimit_IsEarliestInstantReachingTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        var random = new Random(4242);
        for (var i = 0; i < Cases; i++)
        {
            var start = RandomInstant(random);
            var limit = RandomLimit(random);
            var due = calendar.AddLimit(start, limit);
            var justBefore = due.AddTicks(-TimeSpan.TicksPerSecond);
            if (justBefore > start)
                Assert.True(calendar.Elapsed(start, justBefore, limit.Type) < limit.ToTimeSpan());
        }
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_IsWorkingTime_MatchesElapsedWorkingHours(string name)
    {
        var calendar = TestCalendars.ByName(name);
        var random = new Random(99);
        for (var i = 0; i < Cases; i++)
        {
            var t = RandomInstant(random);
            var counts = calendar.Elapsed(t, t.AddTicks(1), LimitType.WorkingHours) > TimeSpan.Zero;
            Assert.Equal(counts, calendar.IsWorkingTime(t));
        }
    }

    [Theory]
    [InlineData("Asia/Shanghai")]
    [InlineData("Europe/Berlin")]
    [InlineData("America/Sao_Paulo")]
    public void Property_PeriodStarts_MatchTimeZoneInfoConversion(string zoneId)
    {
        // Cross-checks the calendar's cached offsets against TimeZoneInfo, including historic DST years (China until 1991).
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var period = WorkingPeriod.Parse("08:30-17:30");
        var schedule = Enum.GetValues<DayOfWeek>().ToDictionary(d => d, IReadOnlyList<WorkingPeriod> (_) => [period]);
        var calendar = new WorkingCalendar(new WorkingCalendarDefinition(tz, schedule, []));
        var random = new Random(1986);
        for (var i = 0; i < Cases; i++)
        {
            var date = new DateOnly(1980, 1, 1).AddDays(random.Next(365 * 55));
            var local = date.ToDateTime(new TimeOnly(8, 30));
            if (tz.IsInvalidTime(local) || tz.IsAmbiguousTime(local))
                continue;
            var expected = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, tz));
            // 8 h earlier is past midnight-ish, after the previous day's period ended at 17:30.
            Assert.Equal(expected, calendar.NextCountingInstant(expected.AddHours(-8)));
            Assert.Equal(TimeSpan.FromHours(9), calendar.Elapsed(expected, expected.AddHours(9), LimitType.WorkingHours));
        }
    }
}
