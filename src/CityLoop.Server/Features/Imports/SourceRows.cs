using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using MiniExcelLibs;

namespace CityLoop.Server.Features.Imports;

/// <summary>One source row: its number as the user sees it (CSV line / sheet row / JSON line), its values by column, or why it could not be read.</summary>
public sealed record SourceRow(long Number, IReadOnlyDictionary<string, string?> Values, string? Unreadable = null, string? UnreadableZh = null);

/// <summary>
/// Streams the rows of a CSV, xlsx or JSON-lines file one at a time, so a file of any length is read in constant
/// memory. Values come as text; spreadsheet dates become "yyyy-MM-dd HH:mm:ss" and numbers their invariant text.
/// </summary>
public static class SourceRows
{
    public static IEnumerable<SourceRow> Read(Stream stream, string format, ImportMapping mapping) => format switch
    {
        "csv" => Csv(stream, mapping.Delimiter[0]),
        "xlsx" => Xlsx(stream, mapping.Sheet),
        "jsonl" => JsonLines(stream),
        _ => throw new ArgumentException($"Unknown format '{format}'."),
    };

    static IEnumerable<SourceRow> Csv(Stream stream, char delimiter)
    {
        var malformed = new HashSet<long>();
        var options = Reference.Formats.Csv.ReaderOptions with
        {
            Separator = delimiter,
            OnMalformedRecord = m => malformed.Add(m.LineNumber),
        };
        using var reader = CsvReader.Create(stream, options, leaveOpen: true);
        string[]? header = null;
        while (reader.Read())
        {
            var fields = new string[reader.FieldCount];
            for (var i = 0; i < fields.Length; i++) fields[i] = reader.GetString(i);
            if (header is null)
            {
                header = fields.Select(f => f.Trim().TrimStart('\uFEFF')).ToArray();
                continue;
            }
            if (fields is [""]) continue;
            var line = reader.LineNumber;
            if (malformed.Contains(line))
            {
                yield return new SourceRow(line, Empty, "The line's quoting is broken (a quote is not closed or stands inside a field).", "该行的引号不完整（引号未闭合或出现在字段中间）。");
                continue;
            }
            if (fields.Length != header.Length)
            {
                yield return new SourceRow(line, Empty, $"The line has {fields.Length} fields; the header has {header.Length}.", $"该行有 {fields.Length} 个字段，表头有 {header.Length} 个。");
                continue;
            }
            var values = new Dictionary<string, string?>(header.Length);
            for (var i = 0; i < header.Length; i++) values[header[i]] = fields[i];
            yield return new SourceRow(line, values);
        }
    }

    static IEnumerable<SourceRow> Xlsx(Stream stream, string? sheet)
    {
        long number = 1; // the header is row 1
        foreach (IDictionary<string, object?> row in MiniExcel.Query(stream, useHeaderRow: true, sheetName: sheet))
        {
            number++;
            var values = new Dictionary<string, string?>(row.Count);
            foreach (var (column, value) in row) values[column.Trim()] = Text(value);
            if (values.Values.All(string.IsNullOrWhiteSpace)) continue;
            yield return new SourceRow(number, values);
        }
    }

    static string? Text(object? value) => value switch
    {
        null => null,
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    static IEnumerable<SourceRow> JsonLines(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Dictionary<string, string?>? values = null;
            string? problem = null, problemZh = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) (problem, problemZh) = ("A line is one JSON object.", "每行应为一个 JSON 对象。");
                else
                {
                    values = [];
                    foreach (var p in doc.RootElement.EnumerateObject())
                        values[p.Name] = p.Value.ValueKind switch
                        {
                            JsonValueKind.String => p.Value.GetString(),
                            JsonValueKind.Null or JsonValueKind.Undefined => null,
                            // Numbers, booleans and nested history keep their JSON text.
                            _ => p.Value.GetRawText(),
                        };
                }
            }
            catch (JsonException ex)
            {
                (problem, problemZh) = ($"Not valid JSON: {ex.Message}", $"不是有效的 JSON：{ex.Message}");
            }
            yield return problem is null ? new SourceRow(number, values!) : new SourceRow(number, Empty, problem, problemZh);
        }
    }

    static readonly IReadOnlyDictionary<string, string?> Empty = new Dictionary<string, string?>();
}
