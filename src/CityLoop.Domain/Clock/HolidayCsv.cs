using System.Globalization;
using System.Text;

namespace CityLoop.Domain.Clock;

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
    /// <summary>Manifest name of the embedded China holiday file (Clock/Data/cn-holidays.csv).</summary>
    public const string EmbeddedChinaResource = "CityLoop.Domain.Clock.Data.cn-holidays.csv";

    private static readonly string[] Header = ["date", "kind", "name"];

    public static HolidayCsvResult Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var exceptions = new List<CalendarException>();
        var errors = new List<HolidayCsvError>();
        var seen = new Dictionary<DateOnly, int>();
        var headerSeen = false;
        var row = 0;

        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            row++;
            if (row == 1)
                line = line.TrimStart('\uFEFF');
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
                continue;

            var fields = SplitLine(line);
            if (fields is null)
            {
                errors.Add(new(row, "row", "unterminated quoted field"));
                continue;
            }
            if (!headerSeen)
            {
                headerSeen = true;
                if (!fields.Select(f => f.Trim().ToLowerInvariant()).SequenceEqual(Header))
                {
                    errors.Add(new(row, "row", $"expected header \"date,kind,name\" but found \"{line}\""));
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
            errors.Add(new(Math.Max(row, 1), "row", "the file is empty; expected header \"date,kind,name\""));
        exceptions.Sort((a, b) => a.Date.CompareTo(b.Date));
        return new HolidayCsvResult(exceptions, errors);
    }

    /// <summary>Parses the China holiday data embedded in this assembly.</summary>
    public static HolidayCsvResult LoadEmbeddedChina()
    {
        using var stream = typeof(HolidayCsv).Assembly.GetManifestResourceStream(EmbeddedChinaResource)
            ?? throw new InvalidOperationException($"Embedded resource {EmbeddedChinaResource} is missing from the domain assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader);
    }

    /// <summary>Splits one CSV line; returns null when a quoted field is not closed.</summary>
    private static List<string>? SplitLine(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var inQuotes = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (inQuotes)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                    inQuotes = false;
                else
                    current.Append(c);
            }
            else if (c == '"')
                inQuotes = true;
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
                current.Append(c);
        }
        if (inQuotes)
            return null;
        fields.Add(current.ToString());
        return fields;
    }
}
