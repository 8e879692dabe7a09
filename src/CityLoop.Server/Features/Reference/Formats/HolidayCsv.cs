using System.Globalization;
using System.Text;
using CityLoop.Domain.Clock;
using CsvHelper;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>One problem found in a holiday CSV row; parsing continues past it.</summary>
/// <param name="Row">1-based line number in the file (the header is line 1).</param>
/// <param name="Field">Column name (date, kind, name) or "row" for whole-row problems.</param>
public sealed record HolidayCsvError(int Row, string Field, string Reason)
{
    public override string ToString() => $"row {Row}, {Field}: {Reason}";
}

public sealed record HolidayCsvResult(IReadOnlyList<CalendarException> Exceptions, IReadOnlyList<HolidayCsvError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Reads holiday data in the form <c>date,kind,name</c> (header required; ISO dates; kind = <c>holiday</c> for a day off,
/// <c>workday</c> for a weekend day worked instead). Blank lines and lines starting with '#' are skipped;
/// fields may be double-quoted. Row-level errors are collected, valid rows are still returned.
/// </summary>
public static class HolidayCsv
{
    /// <summary>The embedded China holiday file (Data/Clock/cn-holidays.csv).</summary>
    public const string ChinaFile = "cn-holidays.csv";

    private static readonly string[] Header = ["date", "kind", "name"];

    public static HolidayCsvResult Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var exceptions = new List<CalendarException>();
        var errors = new List<HolidayCsvError>();
        var seen = new Dictionary<DateOnly, int>();
        var headerSeen = false;
        var lastRow = 0;
        var malformed = new HashSet<long>();

        using var csv = CsvReader.Create(reader, Csv.LineOptions(malformed), leaveOpen: true);
        while (csv.Read())
        {
            var row = lastRow = (int)csv.LineNumber;
            if (Csv.LeftQuoteOpen(csv, malformed))
            {
                errors.Add(new(row, "row", "unterminated quoted field"));
                continue;
            }
            var fields = Enumerable.Range(0, csv.FieldCount).Select(csv.GetString).ToList();
            if (fields.Count == 0 || fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0]) || fields[0].TrimStart().StartsWith('#'))
                continue;
            if (!headerSeen)
            {
                headerSeen = true;
                if (!fields.Select(f => f.Trim().ToLowerInvariant()).SequenceEqual(Header))
                {
                    errors.Add(new(row, "row", $"expected header \"date,kind,name\" but found \"{Encoding.UTF8.GetString(csv.RawRecord)}\""));
                    return new HolidayCsvResult(exceptions, errors);
                }
                continue;
            }
            if (fields.Count != 3)
            {
                errors.Add(new(row, "row", $"expected 3 fields (date,kind,name) but found {fields.Count}"));
                continue;
            }

            var (dateText, kindText, name) = (fields[0].Trim(), fields[1].Trim(), fields[2].Trim());
            var rowOk = true;
            if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors.Add(new(row, "date", $"\"{dateText}\" is not an ISO date (yyyy-MM-dd)"));
                rowOk = false;
            }
            CalendarExceptionKind? kind = kindText.ToLowerInvariant() switch
            {
                "holiday" => CalendarExceptionKind.Holiday,
                "workday" => CalendarExceptionKind.MakeUpWorkday,
                _ => null,
            };
            if (kind is null)
            {
                errors.Add(new(row, "kind", $"\"{kindText}\" is not a kind; use \"holiday\" or \"workday\""));
                rowOk = false;
            }
            if (name.Length == 0)
            {
                errors.Add(new(row, "name", "name is empty"));
                rowOk = false;
            }
            if (!rowOk)
                continue;

            // A make-up workday on Mon–Fri changes nothing, so it almost certainly is a mistyped date.
            if (kind == CalendarExceptionKind.MakeUpWorkday && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                errors.Add(new(row, "kind", $"{dateText} is a {date.DayOfWeek}; a make-up workday must fall on a weekend"));
                continue;
            }
            if (seen.TryGetValue(date, out var firstRow))
            {
                errors.Add(new(row, "date", $"{dateText} is already listed on row {firstRow}"));
                continue;
            }
            seen[date] = row;
            exceptions.Add(new CalendarException(date, kind!.Value, name));
        }

        if (!headerSeen)
            errors.Add(new(Math.Max(lastRow, 1), "row", "the file is empty; expected header \"date,kind,name\""));
        exceptions.Sort((a, b) => a.Date.CompareTo(b.Date));
        return new HolidayCsvResult(exceptions, errors);
    }

    /// <summary>Parses the China holiday data bundled with the server.</summary>
    public static HolidayCsvResult LoadEmbeddedChina()
    {
        using var reader = new StreamReader(EmbeddedData.Open(ChinaFile), Encoding.UTF8);
        return Parse(reader);
    }
}

/// <summary>The China office calendar (<see cref="WorkingCalendar.China"/>) with the bundled holidays.</summary>
public static class ChinaCalendar
{
    private static readonly Lazy<WorkingCalendar> Calendar = new(() =>
    {
        var result = HolidayCsv.LoadEmbeddedChina();
        if (result.Errors.Count > 0)
            throw new InvalidOperationException("Embedded holiday data is invalid: " + string.Join("; ", result.Errors));
        return WorkingCalendar.China(result.Exceptions);
    });

    public static WorkingCalendar Default() => Calendar.Value;
}
