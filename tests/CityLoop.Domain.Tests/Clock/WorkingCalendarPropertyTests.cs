using CityLoop.Domain.Clock;
using CsCheck;

namespace CityLoop.Domain.Tests.Clock;

/// <summary>
/// Laws of the working calendar as CsCheck properties: 2000 random cases per calendar, a new seed each run; a failure
/// is shrunk to a small case and reported with the seed that reproduces it.
/// </summary>
public class WorkingCalendarPropertyTests
{
    internal const long Cases = 2000;

    // Spans the bundled holiday data (2025–2026) plus plain weeks either side of it.
    private static readonly DateTimeOffset RangeStart = new(2024, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long RangeTicks = TimeSpan.FromDays(800).Ticks;

    /// <summary>An instant in any UTC offset; half of them on whole quarter hours, so period boundaries are hit exactly.</summary>
    internal static readonly Gen<DateTimeOffset> Instant = Gen.Select(Gen.Long[0, RangeTicks - 1], Gen.Bool, Gen.Int[-11, 12],
        (ticks, quarter, offset) => RangeStart.AddTicks(quarter ? ticks - ticks % (TimeSpan.TicksPerMinute * 15) : ticks)
            .ToOffset(TimeSpan.FromHours(offset)));

    internal static readonly Gen<LimitType> Type = Gen.Int[0, 3].Select(t => (LimitType)t);

    /// <summary>Up to 30 days or 60 hours, in hundredths.</summary>
    internal static readonly Gen<TimeLimit> Limit =
        Type.SelectMany(type => Gen.Int[1, type.IsDays() ? 3000 : 6000].Select(hundredths => new TimeLimit(hundredths / 100m, type)));

    /// <summary>A share of a span that is only known once the other values are drawn.</summary>
    internal static readonly Gen<double> Share = Gen.Double[0, 1];

    /// <summary>Ticks in [0, <paramref name="span"/>) at <paramref name="share"/> of the way.</summary>
    internal static long Within(long span, double share) => Math.Clamp((long)(span * share), 0, Math.Max(0, span - 1));

    public static IEnumerable<object[]> Calendars() => TestCalendars.Names();

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_AddLimitThenElapsed_ReturnsTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        Gen.Select(Instant, Limit).Sample((start, limit) =>
        {
            var due = calendar.AddLimit(start, limit);
            Assert.True(due >= start, $"{limit} from {start:O}: due {due:O} before start");
            Assert.Equal(limit.ToTimeSpan(), calendar.Elapsed(start, due, limit.Type));
        }, iter: Cases);
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_Elapsed_IsAdditiveAndMonotonic(string name)
    {
        var calendar = TestCalendars.ByName(name);
        Gen.Select(Instant, Instant, Instant, Type).Sample((x, y, z, type) =>
        {
            var points = new[] { x, y, z }.Order().ToArray();
            var (a, b, c) = (points[0], points[1], points[2]);
            var ab = calendar.Elapsed(a, b, type);
            var bc = calendar.Elapsed(b, c, type);
            var ac = calendar.Elapsed(a, c, type);
            Assert.Equal(ac, ab + bc);
            Assert.True(ab >= TimeSpan.Zero && bc >= TimeSpan.Zero, "elapsed business time is never negative");
            Assert.True(ab <= ac, "monotonic in 'to'");
            Assert.True(ac <= c - a, "business time never exceeds wall time");
            Assert.Equal(TimeSpan.Zero, calendar.Elapsed(c, a, type));
        }, iter: Cases);
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_RemainingPlusElapsed_EqualsTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        Gen.Select(Instant, Limit, Share).Sample((start, limit, share) =>
        {
            var due = calendar.AddLimit(start, limit);
            // 'now' anywhere from start to well past the due.
            var now = start.AddTicks(Within((due - start).Ticks * 2 + TimeSpan.TicksPerDay * 3, share));
            var remaining = calendar.Remaining(now, due, limit.Type);
            Assert.Equal(limit.ToTimeSpan(), remaining + calendar.Elapsed(start, now, limit.Type));
            Assert.Equal(now > due, remaining < TimeSpan.Zero || (remaining == TimeSpan.Zero && now > due));
        }, iter: Cases);
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_AddLimit_IsEarliestInstantReachingTheLimit(string name)
    {
        var calendar = TestCalendars.ByName(name);
        Gen.Select(Instant, Limit).Sample((start, limit) =>
        {
            var due = calendar.AddLimit(start, limit);
            var justBefore = due.AddTicks(-TimeSpan.TicksPerSecond);
            if (justBefore > start)
                Assert.True(calendar.Elapsed(start, justBefore, limit.Type) < limit.ToTimeSpan());
        }, iter: Cases);
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Property_IsWorkingTime_MatchesElapsedWorkingHours(string name)
    {
        var calendar = TestCalendars.ByName(name);
        Instant.Sample(t =>
        {
            var counts = calendar.Elapsed(t, t.AddTicks(1), LimitType.WorkingHours) > TimeSpan.Zero;
            Assert.Equal(counts, calendar.IsWorkingTime(t));
        }, iter: Cases);
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
        Gen.Int[0, 365 * 55 - 1].Select(days => new DateOnly(1980, 1, 1).AddDays(days)).Sample(date =>
        {
            var local = date.ToDateTime(new TimeOnly(8, 30));
            if (tz.IsInvalidTime(local) || tz.IsAmbiguousTime(local))
                return;
            var expected = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, tz));
            // 8 h earlier is past midnight-ish, after the previous day's period ended at 17:30.
            Assert.Equal(expected, calendar.NextCountingInstant(expected.AddHours(-8)));
            Assert.Equal(TimeSpan.FromHours(9), calendar.Elapsed(expected, expected.AddHours(9), LimitType.WorkingHours));
        }, iter: Cases);
    }
}
