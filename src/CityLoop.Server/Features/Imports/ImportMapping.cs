using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CityLoop.Server.Features.Imports;

/// <summary>
/// The column-mapping file of a historical case import (README "Importing historical cases"): which source column
/// feeds which case field, value maps (complaint type → category, agency → department…), date formats and time zone,
/// the stable key of a row, and — where the source has them — the workflow steps. JSON, read with comments allowed.
/// </summary>
public sealed record ImportMapping
{
    /// <summary>Names the source system or data set; marks every imported case and, with the key, makes re-runs idempotent.</summary>
    public string Origin { get; init; } = "";
    /// <summary>csv, xlsx or jsonl; by default from the file's extension.</summary>
    public string? Format { get; init; }
    public string? Sheet { get; init; }
    public string Delimiter { get; init; } = ",";
    /// <summary>The zone of source times written without an offset (IANA id).</summary>
    public string TimeZone { get; init; } = "Asia/Shanghai";
    /// <summary>.NET date formats tried in order; "excel-serial" accepts Excel's day numbers (43855.38).</summary>
    public IReadOnlyList<string> DateFormats { get; init; } = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy/M/d H:mm:ss", "yyyy/M/d H:mm", "yyyy-MM-dd"];
    /// <summary>Columns whose values, joined, are the row's id in its source; none: a hash of the whole row.</summary>
    public IReadOnlyList<string> Key { get; init; } = [];
    /// <summary>Case field → source column(s); with several columns the first non-empty value is taken.</summary>
    public Dictionary<string, ColumnRef> Fields { get; init; } = [];
    /// <summary>Field → (source value → CityLoop value). A value not in a field's map leaves the field empty and flags the row.</summary>
    public Dictionary<string, Dictionary<string, string>> Values { get; init; } = [];
    /// <summary>Values for fields the source does not have (e.g. source = hotline, requestType = complaint).</summary>
    public Dictionary<string, string> Defaults { get; init; } = [];
    /// <summary>Steps in columns: each applied, in order, where its time column has a value.</summary>
    public IReadOnlyList<StepColumns> Steps { get; init; } = [];
    /// <summary>A column holding the whole history as a JSON array of steps ({"action","at",…}), e.g. in JSON lines.</summary>
    public string? HistoryColumn { get; init; }
    /// <summary>Field values every step gets unless the step itself has one (e.g. a standard item the old system lacked).</summary>
    public Dictionary<string, string> StepDefaults { get; init; } = [];

    /// <summary>The case fields a mapping may fill.</summary>
    public static readonly IReadOnlySet<string> KnownFields = new HashSet<string>
    {
        "sourceId", "title", "description", "createdAt", "category", "department", "requestType", "urgency",
        "latitude", "longitude", "address", "repliedAt", "reply", "closedAt",
    };

    /// <summary>The input fields a step may carry (the workflow's own names).</summary>
    public static readonly IReadOnlySet<string> StepFields = new HashSet<string>
    {
        "opinion", "reason", "answer", "result", "comment", "target", "targetCase", "inspector", "upheld", "categoryCode",
        "standardItem", "leadDepartment", "assistingDepartments", "dueAt", "confirmed", "contacted", "resolved", "satisfaction",
    };

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new ColumnRefConverter() },
    };

    /// <summary>Reads and checks a mapping; every problem is named in one message.</summary>
    public static ImportMapping Parse(string json)
    {
        ImportMapping? m;
        try
        {
            m = JsonSerializer.Deserialize<ImportMapping>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"The mapping file is not valid: {ex.Message}");
        }
        if (m is null) throw new ArgumentException("The mapping file is empty.");
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(m.Origin) || m.Origin.Length > 64 || m.Origin.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.')))
            problems.Add("'origin' is required: 1 to 64 letters, digits, '-', '_' or '.'.");
        foreach (var f in m.Fields.Keys.Concat(m.Values.Keys).Concat(m.Defaults.Keys).Where(f => !KnownFields.Contains(f)).Distinct())
            problems.Add($"'{f}' is not a field (fields: {string.Join(", ", KnownFields)}).");
        if (!m.Fields.ContainsKey("createdAt")) problems.Add("'fields.createdAt' is required: when the case was received.");
        if (!m.Fields.ContainsKey("description") && !m.Fields.ContainsKey("title")) problems.Add("'fields.description' (or 'title') is required.");
        if (m.Format is { } format && format is not ("csv" or "xlsx" or "jsonl")) problems.Add("'format' is csv, xlsx or jsonl.");
        if (m.Delimiter.Length != 1) problems.Add("'delimiter' is one character.");
        try { _ = m.Zone; } catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException) { problems.Add($"'timeZone' {m.TimeZone} is not known."); }
        foreach (var step in m.Steps)
        {
            if (!Domain.Cases.TransitionTable.TryParseAction(step.Action, out _)) problems.Add($"step '{step.Action}' is not a workflow action.");
            if (string.IsNullOrWhiteSpace(step.At)) problems.Add($"step '{step.Action}' needs 'at', the column of its time.");
            foreach (var f in step.Fields.Keys.Where(f => !StepFields.Contains(f))) problems.Add($"step '{step.Action}': '{f}' is not a step field.");
        }
        foreach (var f in m.StepDefaults.Keys.Where(f => !StepFields.Contains(f))) problems.Add($"stepDefaults: '{f}' is not a step field.");
        if (m.HasSteps && new[] { "repliedAt", "reply", "closedAt", "department" }.Any(m.Fields.ContainsKey))
            problems.Add("With steps, replies, closures and departments come from the steps: map 'repliedAt', 'reply', 'closedAt' and 'department' only for a source of facts.");
        if (m.Steps.Count > 0 && m.HistoryColumn is not null) problems.Add("Give the steps as 'steps' (columns) or as 'historyColumn', not both.");
        if (problems.Count > 0) throw new ArgumentException("The mapping file has problems: " + string.Join(" ", problems));
        return m;
    }

    [JsonIgnore]
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public bool HasSteps => Steps.Count > 0 || HistoryColumn is not null;

    public string FormatFor(string fileName) => Format ?? Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".xlsx" => "xlsx",
        ".jsonl" or ".ndjson" => "jsonl",
        ".csv" or ".txt" => "csv",
        var ext => throw new ArgumentException($"Cannot tell the format of '{fileName}' ({ext}): set 'format' in the mapping (csv, xlsx, jsonl)."),
    };

    /// <summary>A date as the source writes it, in the mapping's zone unless it carries an offset.</summary>
    public bool TryParseDate(string text, out DateTimeOffset value)
    {
        value = default;
        text = text.Trim();
        foreach (var format in DateFormats)
        {
            if (format == "excel-serial")
            {
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 1 and < 2958466)
                {
                    value = Local(DateTime.FromOADate(serial));
                    return true;
                }
                continue;
            }
            if (DateTimeOffset.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var withOffset)
                && (format.Contains('z') || format.Contains('K')))
            {
                value = withOffset;
                return true;
            }
            if (DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var local))
            {
                value = Local(local);
                return true;
            }
        }
        // ISO 8601 with an offset is always understood (JSON exports write it).
        if (text.Length > 19 && (text.EndsWith('Z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var iso))
        {
            value = iso;
            return true;
        }
        return false;
    }

    DateTimeOffset Local(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        return new DateTimeOffset(unspecified, Zone.GetUtcOffset(unspecified));
    }
}

/// <summary>One or several source columns (first non-empty wins); written as a string or an array of strings.</summary>
public sealed record ColumnRef(IReadOnlyList<string> Columns)
{
    public string? From(IReadOnlyDictionary<string, string?> row) =>
        Columns.Select(c => row.GetValueOrDefault(c)).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}

/// <summary>A step given by columns: the action, the column of its time, and its fields' columns.</summary>
public sealed record StepColumns
{
    public string Action { get; init; } = "";
    public string At { get; init; } = "";
    public Dictionary<string, ColumnRef> Fields { get; init; } = [];
}

sealed class ColumnRefConverter : JsonConverter<ColumnRef>
{
    public override ColumnRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new ColumnRef([reader.GetString()!]);
        var list = JsonSerializer.Deserialize<List<string>>(ref reader, options) ?? [];
        if (list.Count == 0) throw new JsonException("A column list is empty.");
        return new ColumnRef(list);
    }

    public override void Write(Utf8JsonWriter writer, ColumnRef value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Columns, options);
}
