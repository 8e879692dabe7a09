using CsvHelper;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>One data record of a CSV file; <see cref="Row"/> is the 1-based line where it starts (header = 1).</summary>
public sealed record CsvRecord(int Row, IReadOnlyList<string> Fields);

/// <summary>
/// A problem with one CSV row. <see cref="Row"/> is the 1-based line number as a spreadsheet shows it
/// (header = row 1, first data row = row 2); <see cref="File"/> is set when several files are combined.
/// </summary>
public sealed record CsvRowError(int Row, string Field, string Reason, string? File = null)
{
    public override string ToString() =>
        $"{(File is null ? "" : File + ", ")}row {Row}, {Field}: {Reason}";
}

/// <summary>Outcome of parsing a CSV file: every valid row is kept, every invalid row is reported.</summary>
public sealed record CsvParseResult<T>(IReadOnlyList<T> Rows, IReadOnlyList<CsvRowError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>RFC 4180 reading and writing through CsvHelper, with the conventions every reference file shares.</summary>
public static class Csv
{
    /// <summary>Comma separated, no header handling (callers read it as the first record), physical line numbers.</summary>
    public static readonly CsvReaderOptions ReaderOptions = CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = false,
        TrackLineNumbers = true,
    };

    /// <summary>
    /// Line-by-line files (holidays, divisions): a quote left open ends at the line break, so one bad quote cannot
    /// swallow the rest of the file. The lines with any quoting problem are added to <paramref name="malformed"/>;
    /// <see cref="LeftQuoteOpen"/> tells which of them to reject. Other stray quotes are kept as text.
    /// </summary>
    public static CsvReaderOptions LineOptions(ISet<long> malformed) => ReaderOptions with
    {
        AllowLineBreaksInQuotes = false,
        OnMalformedRecord = m =>
        {
            lock (malformed) malformed.Add(m.LineNumber);
        },
    };

    /// <summary>
    /// Whether the current record, read with <see cref="LineOptions"/>, has a quoted field that the line did not close.
    /// CsvHelper reports only a record's first quoting problem, so the open quote is looked for in its last field
    /// (where an open quote runs to the end of the line).
    /// </summary>
    public static bool LeftQuoteOpen(CsvReader reader, ISet<long> malformed)
    {
        if (!malformed.Contains(reader.LineNumber) || reader.FieldCount == 0) return false;
        var raw = reader.GetRawSpan(reader.FieldCount - 1);
        if (raw.Length == 0 || raw[0] != '"') return false;
        for (var i = 1; i < raw.Length; i++)
        {
            if (raw[i] != '"') continue;
            if (i + 1 < raw.Length && raw[i + 1] == '"') i++;
            else return false;
        }
        return true;
    }

    /// <summary>Comma separated, LF line ends, UTF-8 without BOM; fields quoted only where RFC 4180 needs it.</summary>
    public static readonly CsvWriterOptions PlainWriterOptions = CsvWriterOptions.Default with
    {
        Separator = ',',
        NewLine = "\n",
        WriteByteOrderMark = false,
        ValidateFieldCount = false,
    };

    static readonly CsvWriterOptions WriterOptions = PlainWriterOptions with
    {
        // Values with surrounding whitespace of any kind (also the ideographic space) are quoted so readers that trim keep it.
        ShouldQuote = (field, _, _, _) => field.Length > 0 && (char.IsWhiteSpace(field[0]) || char.IsWhiteSpace(field[^1])),
    };

    /// <summary>Every record of <paramref name="text"/>; a blank line (or a lone empty field) is skipped.</summary>
    public static List<CsvRecord> Read(string text)
    {
        using var reader = CsvReader.FromText(text, ReaderOptions);
        return Records(reader).ToList();
    }

    /// <summary>The records of an open reader, as strings with their starting line.</summary>
    public static IEnumerable<CsvRecord> Records(CsvReader reader)
    {
        while (reader.Read())
        {
            var fields = new string[reader.FieldCount];
            for (var i = 0; i < fields.Length; i++) fields[i] = reader.GetString(i);
            if (fields is [""]) continue;
            yield return new CsvRecord((int)reader.LineNumber, fields);
        }
    }

    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var text = new StringWriter();
        using (var writer = CsvWriter.Create(text, WriterOptions, leaveOpen: true))
        {
            writer.WriteRecord(header.ToArray());
            foreach (var row in rows) writer.WriteRecord(row.Select(v => v ?? "").ToArray());
        }
        return text.ToString();
    }
}

/// <summary>Header-aware view of a CSV file: looks fields up by column name, reports missing columns.</summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(Dictionary<string, int> columns, List<CsvRecord> records)
    {
        _columns = columns;
        Records = records;
    }

    public IReadOnlyList<CsvRecord> Records { get; }

    /// <summary>Parses <paramref name="text"/>; returns null (and adds errors) when a required column is missing.</summary>
    public static CsvTable? Parse(string text, IReadOnlyList<string> required, List<CsvRowError> errors)
    {
        var all = Csv.Read(text);
        if (all.Count == 0)
        {
            errors.Add(new CsvRowError(1, "header", "the file is empty"));
            return null;
        }
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < all[0].Fields.Count; i++) columns.TryAdd(all[0].Fields[i].Trim(), i);
        var missing = required.Where(r => !columns.ContainsKey(r)).ToList();
        foreach (var m in missing) errors.Add(new CsvRowError(all[0].Row, m, "required column is missing"));
        return missing.Count > 0 ? null : new CsvTable(columns, all.Skip(1).ToList());
    }

    /// <summary>Trimmed field value, or "" when the column is absent or the row is short.</summary>
    public string Get(CsvRecord record, string column) =>
        _columns.TryGetValue(column, out var i) && i < record.Fields.Count ? record.Fields[i].Trim() : "";

    public string? GetOrNull(CsvRecord record, string column)
    {
        var v = Get(record, column);
        return v.Length == 0 ? null : v;
    }
}
