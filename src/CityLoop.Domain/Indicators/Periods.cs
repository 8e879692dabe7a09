using System.Globalization;
using System.Text.RegularExpressions;

namespace CityLoop.Domain.Indicators;

/// <summary>The calendar periods figures and reports are counted over, in the platform's local days.</summary>
public enum PeriodKind { Day, Week, HalfMonth, Month, Quarter, Year }

/// <summary>A period of local days: [Start, End) with its stable key ("2026-W23", "2026-06-H2", "2026-06", "2026-Q2", "2026").</summary>
public sealed record Period(PeriodKind Kind, DateOnly Start, DateOnly End)
{
    public string Key => Periods.Key(Kind, Start);
    public Period Previous() => Periods.Of(Kind, Start.AddDays(-1));
    /// <summary>The same period a year earlier (week 23 of last year, the second half of last June …).</summary>
    public Period YearEarlier()
    {
        if (Kind != PeriodKind.Week) return Periods.Of(Kind, Start.AddYears(-1));
        var day = Start.ToDateTime(TimeOnly.MinValue);
        var year = ISOWeek.GetYear(day) - 1;
        var week = Math.Min(ISOWeek.GetWeekOfYear(day), ISOWeek.GetWeeksInYear(year));
        return Periods.Of(Kind, DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday)));
    }
}

/// <summary>
/// Period arithmetic: weeks run Monday–Sunday (ISO weeks), half-months 1–15 and 16–end (issue 8), quarters and years
/// the calendar's. Pure functions of local dates, so the API, the reports and the tests agree.
/// </summary>
public static partial class Periods
{
    public static readonly IReadOnlyDictionary<string, PeriodKind> Names = new Dictionary<string, PeriodKind>
    {
        ["day"] = PeriodKind.Day, ["week"] = PeriodKind.Week, ["half-month"] = PeriodKind.HalfMonth,
        ["month"] = PeriodKind.Month, ["quarter"] = PeriodKind.Quarter, ["year"] = PeriodKind.Year,
    };

    public static string Name(PeriodKind kind) => Names.First(n => n.Value == kind).Key;

    /// <summary>The period of the given kind that contains the day.</summary>
    public static Period Of(PeriodKind kind, DateOnly day)
    {
        var start = kind switch
        {
            PeriodKind.Day => day,
            PeriodKind.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            PeriodKind.HalfMonth => new DateOnly(day.Year, day.Month, day.Day <= 15 ? 1 : 16),
            PeriodKind.Month => new DateOnly(day.Year, day.Month, 1),
            PeriodKind.Quarter => new DateOnly(day.Year, (day.Month - 1) / 3 * 3 + 1, 1),
            _ => new DateOnly(day.Year, 1, 1),
        };
        var end = kind switch
        {
            PeriodKind.Day => start.AddDays(1),
            PeriodKind.Week => start.AddDays(7),
            PeriodKind.HalfMonth => start.Day == 1 ? start.AddDays(15) : new DateOnly(start.Year, start.Month, 1).AddMonths(1),
            PeriodKind.Month => start.AddMonths(1),
            PeriodKind.Quarter => start.AddMonths(3),
            _ => start.AddYears(1),
        };
        return new Period(kind, start, end);
    }

    /// <summary>The last period of the kind that ended on or before <paramref name="today"/> began.</summary>
    public static Period LatestComplete(PeriodKind kind, DateOnly today) => Of(kind, today).Previous();

    /// <summary>The periods of the kind that overlap [from, to), in order.</summary>
    public static IEnumerable<Period> Between(PeriodKind kind, DateOnly from, DateOnly to)
    {
        for (var p = Of(kind, from); p.Start < to; p = Of(kind, p.End)) yield return p;
    }

    public static string Key(PeriodKind kind, DateOnly start) => kind switch
    {
        PeriodKind.Day => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        PeriodKind.Week => $"{ISOWeek.GetYear(start.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(start.ToDateTime(TimeOnly.MinValue)):00}",
        PeriodKind.HalfMonth => start.ToString("yyyy-MM", CultureInfo.InvariantCulture) + (start.Day <= 15 ? "-H1" : "-H2"),
        PeriodKind.Month => start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        PeriodKind.Quarter => $"{start.Year}-Q{(start.Month - 1) / 3 + 1}",
        _ => start.Year.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads a period's key, or any day inside it (yyyy-MM-dd); null when the text is neither.</summary>
    public static Period? Parse(PeriodKind kind, string text)
    {
        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day.Year is >= 1900 and <= 9000 ? Of(kind, day) : null;
        var m = KeyPattern().Match(text);
        if (!m.Success) return null;
        var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        if (year is < 1900 or > 9000) return null;
        int Num(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        switch (kind)
        {
            case PeriodKind.Year when m.Groups["rest"].Value == "":
                return Of(kind, new DateOnly(year, 1, 1));
            case PeriodKind.Quarter when m.Groups["q"].Success && Num("q") is >= 1 and <= 4:
                return Of(kind, new DateOnly(year, (Num("q") - 1) * 3 + 1, 1));
            case PeriodKind.Month when m.Groups["m"].Success && !m.Groups["h"].Success && Num("m") is >= 1 and <= 12:
                return Of(kind, new DateOnly(year, Num("m"), 1));
            case PeriodKind.HalfMonth when m.Groups["m"].Success && m.Groups["h"].Success && Num("m") is >= 1 and <= 12:
                return Of(kind, new DateOnly(year, Num("m"), Num("h") == 1 ? 1 : 16));
            case PeriodKind.Week when m.Groups["w"].Success && Num("w") >= 1 && Num("w") <= ISOWeek.GetWeeksInYear(year):
                return Of(kind, DateOnly.FromDateTime(ISOWeek.ToDateTime(year, Num("w"), DayOfWeek.Monday)));
            default:
                return null;
        }
    }

    [GeneratedRegex(@"^(?<y>\d{4})(?<rest>(-Q(?<q>\d))?(-W(?<w>\d{2}))?(-(?<m>\d{2})(-H(?<h>[12]))?)?)$")]
    private static partial Regex KeyPattern();
}
