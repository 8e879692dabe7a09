using System.Text;

namespace CityLoop.Domain.Catalogue;

/// <summary>One data record of a CSV file; <see cref="Row"/> is the 1-based line where it starts (header = 1).</summary>
public sealed record CsvRecord(int Row, IReadOnlyList<string> Fields);

/// <summary>
/// Minimal RFC 4180 reader/writer shared by the catalogue and routing seed files. Hand-written because the domain
/// project takes no CSV dependency; it handles quotes, doubled quotes, embedded newlines, CRLF and a UTF-8 BOM.
/// </summary>
public static class CsvText
{
    public static List<CsvRecord> Read(string text)
    {
        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordStart = 1, i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        bool quoted = false, fieldStarted = false;

        void EndField()
        {
            fields.Add(field.ToString());
            field.Clear();
            fieldStarted = false;
        }

        void EndRecord()
        {
            EndField();
            // A blank line is one empty field: skip it rather than reporting a broken row.
            if (fields.Count > 1 || fields[0].Length > 0)
                records.Add(new CsvRecord(recordStart, fields.ToArray()));
            fields.Clear();
        }

        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when !fieldStarted && field.Length == 0:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    EndField();
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordStart = line;
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
        if (field.Length > 0 || fields.Count > 0 || fieldStarted) EndRecord();
        return records;
    }

    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var sb = new StringBuilder();
        AppendRow(sb, header);
        foreach (var row in rows) AppendRow(sb, row);
        return sb.ToString();
    }

    private static void AppendRow(StringBuilder sb, IReadOnlyList<string?> row)
    {
        for (int i = 0; i < row.Count; i++)
        {
            if (i > 0) sb.Append(',');
            var value = row[i] ?? "";
            if (value.IndexOfAny([',', '"', '\n', '\r']) >= 0 || value != value.Trim())
                sb.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
            else
                sb.Append(value);
        }
        sb.Append('\n');
    }
}

/// <summary>Header-aware view of a CSV file: looks fields up by column name, reports missing columns.</summary>
internal sealed class CsvTable
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
        var all = CsvText.Read(text);
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
