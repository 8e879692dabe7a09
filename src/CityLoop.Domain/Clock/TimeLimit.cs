using System.Globalization;
using System.Text.RegularExpressions;

namespace CityLoop.Domain.Clock;

/// <summary>
/// A time limit such as "4 working hours". <see cref="Value"/> may be fractional (0.5 days, 1.5 hours).
/// Compact form used in data files (see <see cref="Parse"/>): <c>&lt;number&gt;&lt;unit&gt;-&lt;kind&gt;</c> with
/// <c>h-urgent</c> = urgent hours, <c>h-work</c> = working hours, <c>d-work</c> = working days, <c>d-cal</c> = calendar days,
/// e.g. "2h-urgent", "4h-work", "3d-work", "15d-cal", "0.5d-work". Case-insensitive, invariant decimal point.
/// </summary>
public readonly partial record struct TimeLimit
{
    /// <summary>Upper bound on <see cref="Value"/>; keeps every limit far inside DateTimeOffset's range.</summary>
    public const decimal MaxValue = 10_000m;

    public decimal Value { get; }
    public LimitType Type { get; }

    public TimeLimit(decimal value, LimitType type)
    {
        if (!Enum.IsDefined(type))
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown limit type.");
        if (value <= 0m)
            throw new ArgumentOutOfRangeException(nameof(value), value, "A time limit must be greater than zero.");
        if (value > MaxValue)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"A time limit may not exceed {MaxValue}.");
        Value = value;
        Type = type;
    }

    public void Deconstruct(out decimal value, out LimitType type) => (value, type) = (Value, Type);

    public static TimeLimit UrgentHours(decimal hours) => new(hours, LimitType.UrgentHours);
    public static TimeLimit WorkingHours(decimal hours) => new(hours, LimitType.WorkingHours);
    public static TimeLimit WorkingDays(decimal days) => new(days, LimitType.WorkingDays);
    public static TimeLimit CalendarDays(decimal days) => new(days, LimitType.CalendarDays);

    /// <summary>The amount of (business) time this limit grants: hours, or days × 24 h; rounded to the tick.</summary>
    public TimeSpan ToTimeSpan()
    {
        var hours = Type.IsDays() ? Value * 24m : Value;
        return TimeSpan.FromTicks((long)decimal.Round(hours * TimeSpan.TicksPerHour, MidpointRounding.AwayFromZero));
    }

    /// <summary>E.g. "4 working hours", "1 working day", "0.5 calendar days".</summary>
    public override string ToString()
    {
        var number = FormatValue(Value);
        var unit = Type switch
        {
            LimitType.UrgentHours => "urgent hour",
            LimitType.WorkingHours => "working hour",
            LimitType.WorkingDays => "working day",
            _ => "calendar day",
        };
        return Value == 1m ? $"{number} {unit}" : $"{number} {unit}s";
    }

    /// <summary>The compact data-file form, e.g. "4h-work"; <see cref="Parse"/> reads it back.</summary>
    public string ToCompactString()
    {
        var suffix = Type switch
        {
            LimitType.UrgentHours => "h-urgent",
            LimitType.WorkingHours => "h-work",
            LimitType.WorkingDays => "d-work",
            _ => "d-cal",
        };
        return FormatValue(Value) + suffix;
    }

    /// <summary>Parses the compact form ("2h-urgent", "4h-work", "3d-work", "15d-cal").</summary>
    /// <exception cref="FormatException">The text is not in the compact form or the value is out of range.</exception>
    public static TimeLimit Parse(string text)
    {
        if (TryParse(text, out var limit, out var error))
            return limit;
        throw new FormatException(error);
    }

    public static bool TryParse(string? text, out TimeLimit limit) => TryParse(text, out limit, out _);

    private static bool TryParse(string? text, out TimeLimit limit, out string error)
    {
        limit = default;
        const string expected = "expected <number><h|d>-<urgent|work|cal>, e.g. \"2h-urgent\", \"4h-work\", \"3d-work\", \"15d-cal\"";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"Time limit is empty; {expected}.";
            return false;
        }
        var match = CompactPattern().Match(text.Trim());
        if (!match.Success)
        {
            error = $"Time limit \"{text}\" is not in the compact form; {expected}.";
            return false;
        }
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        var kind = match.Groups["kind"].Value.ToLowerInvariant();
        LimitType? type = (unit, kind) switch
        {
            ("h", "urgent") => LimitType.UrgentHours,
            ("h", "work") => LimitType.WorkingHours,
            ("d", "work") => LimitType.WorkingDays,
            ("d", "cal") => LimitType.CalendarDays,
            _ => null,
        };
        if (type is null)
        {
            error = $"Time limit \"{text}\" combines unit '{unit}' with kind '{kind}', which is not a limit type; " +
                    "valid combinations are h-urgent, h-work, d-work and d-cal.";
            return false;
        }
        if (!decimal.TryParse(match.Groups["value"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value <= 0m || value > MaxValue)
        {
            error = $"Time limit \"{text}\" has value {match.Groups["value"].Value}; it must be greater than 0 and at most {MaxValue}.";
            return false;
        }
        limit = new TimeLimit(value, type.Value);
        error = "";
        return true;
    }

    private static string FormatValue(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)\s*(?<unit>[a-zA-Z])-(?<kind>[a-zA-Z]+)$")]
    private static partial Regex CompactPattern();
}
