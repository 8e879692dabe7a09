using CityLoop.Domain.Clock;

namespace CityLoop.Domain.Tests.Clock;

public class TimeLimitTests
{
    [Theory]
    [InlineData("2h-urgent", 2, LimitType.UrgentHours)]
    [InlineData("4h-work", 4, LimitType.WorkingHours)]
    [InlineData("3d-work", 3, LimitType.WorkingDays)]
    [InlineData("15d-cal", 15, LimitType.CalendarDays)]
    [InlineData(" 0.5D-WORK ", 0.5, LimitType.WorkingDays)]
    [InlineData("1.5h-work", 1.5, LimitType.WorkingHours)]
    public void Parse_CompactForm_ReadsValueAndType(string text, double value, LimitType type)
    {
        Assert.Equal(new TimeLimit((decimal)value, type), TimeLimit.Parse(text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("4 hours", "compact form")]
    [InlineData("2d-urgent", "valid combinations")]
    [InlineData("3h-cal", "valid combinations")]
    [InlineData("0h-work", "greater than 0")]
    [InlineData("99999d-cal", "at most")]
    [InlineData("-1h-work", "compact form")]
    [InlineData("1,5h-work", "compact form")]
    public void Parse_InvalidText_ThrowsFormatExceptionWithReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => TimeLimit.Parse(text));
        Assert.Contains(reason, ex.Message);
    }

    [Theory]
    [InlineData(4, LimitType.WorkingHours, "4 working hours", "4h-work")]
    [InlineData(1, LimitType.WorkingDays, "1 working day", "1d-work")]
    [InlineData(2, LimitType.UrgentHours, "2 urgent hours", "2h-urgent")]
    [InlineData(0.5, LimitType.CalendarDays, "0.5 calendar days", "0.5d-cal")]
    public void ToString_IsReadableAndCompactFormRoundTrips(double value, LimitType type, string text, string compact)
    {
        var limit = new TimeLimit((decimal)value, type);
        Assert.Equal(text, limit.ToString());
        Assert.Equal(compact, limit.ToCompactString());
        Assert.Equal(limit, TimeLimit.Parse(compact));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_NonPositiveValue_Throws(int value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeLimit(value, LimitType.WorkingHours));
    }

    [Fact]
    public void ToTimeSpan_DaysAre24HoursAndHoursAreHours()
    {
        Assert.Equal(TimeSpan.FromHours(36), TimeLimit.WorkingDays(1.5m).ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(90), TimeLimit.WorkingHours(1.5m).ToTimeSpan());
    }
}
