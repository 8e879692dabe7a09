using System.Text.RegularExpressions;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>A filing condition as stored in filing-conditions.csv, with the category it belongs to.</summary>
public sealed record FilingConditionRow(CategoryKind Kind, string CategoryCode, FilingCondition Condition)
{
    public string CategoryKey => Domain.Catalogue.CategoryKey.Of(Kind, CategoryCode);
}

/// <summary>
/// Import and export of the catalogue CSV files (formats in Data/Catalogue/SOURCE.md). Parsing never throws on
/// bad data: admins upload these files, so they get every problem at once, with the valid rows kept.
/// </summary>
public static partial class CatalogueCsv
{
    public static readonly IReadOnlyList<string> CategoryColumns = ["kind", "code", "level", "parentCode", "name"];

    public static readonly IReadOnlyList<string> ConditionColumns =
        ["kind", "categoryCode", "code", "description", "timeLimit", "closingStandard", "legalBasis", "notes", "source"];

    public static readonly IReadOnlyList<string> HotlineTimeLimitColumns = ["requestType", "name", "timeLimit", "source"];

    public static CsvParseResult<Category> ParseCategories(string csv)
    {
        var errors = new List<CsvRowError>();
        var table = CsvTable.Parse(csv, CategoryColumns, errors);
        if (table is null) return new([], errors);

        var parsed = new List<(int Row, Category Category)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            int before = errors.Count;
            void Fail(string field, string reason) => errors.Add(new CsvRowError(r.Row, field, reason));

            var kind = ParseKind(table.Get(r, "kind"), Fail);
            var level = ParseLevel(table.Get(r, "level"), Fail);
            var code = table.Get(r, "code");
            var parent = table.GetOrNull(r, "parentCode");
            var name = table.Get(r, "name");

            if (kind is { } k && level is { } l)
            {
                if (l == CategoryLevel.Detail && k != CategoryKind.Hotline)
                    Fail("level", "level detail (三级) exists only in the hotline taxonomy");
                else if (!Digits().IsMatch(code) || code.Length != 2 * (int)l)
                    Fail("code", $"a {l.ToString().ToLowerInvariant()} code has {2 * (int)l} digits, got '{code}'");
                else if (l == CategoryLevel.Major && parent is not null)
                    Fail("parentCode", "a major category (大类 / 一级) has no parent");
                else if (l != CategoryLevel.Major && parent != code[..^2])
                    Fail("parentCode", $"expected parent '{code[..^2]}' (the code without its last 2 digits), got '{parent}'");
                else if (!keys.Add(CategoryKey.Of(k, code)))
                    Fail("code", $"duplicate category {CategoryKey.Of(k, code)}");
            }
            if (name.Length == 0) Fail("name", "name is required");
            if (errors.Count == before)
                parsed.Add((r.Row, new Category(kind!.Value, code, level!.Value, parent, name)));
        }

        // Parents may come after their children in a hand-edited file, so check them once all rows are read;
        // repeat because dropping a parent orphans its children.
        var kept = parsed;
        while (true)
        {
            var present = kept.Select(p => p.Category.Key).ToHashSet(StringComparer.Ordinal);
            var orphans = kept.Where(p => p.Category.ParentKey is { } pk && !present.Contains(pk)).ToList();
            if (orphans.Count == 0) break;
            foreach (var o in orphans)
                errors.Add(new CsvRowError(o.Row, "parentCode", $"parent category {o.Category.ParentKey} not found"));
            kept = kept.Except(orphans).ToList();
        }
        return new(kept.Select(p => p.Category).ToList(), errors.OrderBy(e => e.Row).ToList());
    }

    public static CsvParseResult<FilingConditionRow> ParseConditions(string csv)
    {
        var (rows, errors) = ParseConditionsWithRows(csv);
        return new(rows.Select(r => r.Condition).ToList(), errors);
    }

    private static (List<(int Row, FilingConditionRow Condition)>, List<CsvRowError>) ParseConditionsWithRows(string csv)
    {
        var errors = new List<CsvRowError>();
        var rows = new List<(int, FilingConditionRow)>();
        var table = CsvTable.Parse(csv, ConditionColumns.Take(6).ToList(), errors);
        if (table is null) return (rows, errors);

        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            int before = errors.Count;
            void Fail(string field, string reason) => errors.Add(new CsvRowError(r.Row, field, reason));

            var kind = ParseKind(table.Get(r, "kind"), Fail);
            var categoryCode = table.Get(r, "categoryCode");
            if (!Digits().IsMatch(categoryCode) || categoryCode.Length is not (2 or 4 or 6))
                Fail("categoryCode", $"expected a 2, 4 or 6 digit category code, got '{categoryCode}'");
            var code = table.Get(r, "code");
            if (code.Length == 0) Fail("code", "condition code is required");
            else if (!codes.Add(code)) Fail("code", $"duplicate condition code {code}");
            var description = table.Get(r, "description");
            if (description.Length == 0) Fail("description", "description is required");
            var limit = table.Get(r, "timeLimit");
            if (!TimeLimitFormat.IsValid(limit)) Fail("timeLimit", $"'{limit}': {TimeLimitFormat.Description}");
            var closing = table.Get(r, "closingStandard");
            if (closing.Length == 0) Fail("closingStandard", "closing standard is required");
            var source = ParseSource(table.Get(r, "source"), Fail);

            if (errors.Count == before)
                rows.Add((r.Row, new FilingConditionRow(kind!.Value, categoryCode, new FilingCondition(
                    code, description, limit, closing,
                    table.GetOrNull(r, "legalBasis"), table.GetOrNull(r, "notes"), source!.Value))));
        }
        return (rows, errors);
    }

    public static CsvParseResult<HotlineTimeLimit> ParseHotlineTimeLimits(string csv)
    {
        var errors = new List<CsvRowError>();
        var table = CsvTable.Parse(csv, HotlineTimeLimitColumns.Take(3).ToList(), errors);
        if (table is null) return new([], errors);

        var rows = new List<HotlineTimeLimit>();
        foreach (var r in table.Records)
        {
            int before = errors.Count;
            void Fail(string field, string reason) => errors.Add(new CsvRowError(r.Row, field, reason));

            var typeText = table.Get(r, "requestType");
            if (!Enum.TryParse<RequestType>(typeText, ignoreCase: true, out var type) || !Enum.IsDefined(type))
                Fail("requestType", $"unknown request type '{typeText}' (enquiry, help, complaint, report, suggestion, praise)");
            else if (rows.Any(x => x.RequestType == type))
                Fail("requestType", $"duplicate request type {typeText}");
            var limit = table.Get(r, "timeLimit");
            if (!TimeLimitFormat.IsValid(limit)) Fail("timeLimit", $"'{limit}': {TimeLimitFormat.Description}");
            var source = ParseSource(table.Get(r, "source"), Fail);
            if (errors.Count == before)
                rows.Add(new HotlineTimeLimit(type, table.Get(r, "name"), limit, source!.Value));
        }
        return new(rows, errors);
    }

    /// <summary>
    /// Parses both files and attaches the conditions to their categories. Errors carry the file name;
    /// a condition whose category is missing is reported and dropped.
    /// </summary>
    public static CsvParseResult<Category> Load(string categoriesCsv, string conditionsCsv,
        string categoriesFile = "categories.csv", string conditionsFile = "filing-conditions.csv")
    {
        var categories = ParseCategories(categoriesCsv);
        var (conditions, conditionErrors) = ParseConditionsWithRows(conditionsCsv);
        var errors = categories.Errors.Select(e => e with { File = categoriesFile })
            .Concat(conditionErrors.Select(e => e with { File = conditionsFile }))
            .ToList();

        var known = categories.Rows.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (row, c) in conditions.Where(c => !known.Contains(c.Condition.CategoryKey)))
            errors.Add(new CsvRowError(row, "categoryCode", $"category {c.CategoryKey} not found in {categoriesFile}",
                conditionsFile));
        var byKey = conditions.ToLookup(c => c.Condition.CategoryKey, c => c.Condition.Condition);
        var result = categories.Rows.Select(c => c with { Conditions = byKey[c.Key].ToList() }).ToList();
        return new(result, errors);
    }

    public static string WriteCategories(IEnumerable<Category> categories) =>
        Csv.Write(CategoryColumns, categories.Select(c => new[]
        {
            KindText(c.Kind), c.Code, c.Level.ToString().ToLowerInvariant(), c.ParentCode, c.Name,
        }));

    /// <summary>Writes the conditions of all given categories, in category order.</summary>
    public static string WriteConditions(IEnumerable<Category> categories) =>
        Csv.Write(ConditionColumns, categories.SelectMany(c => c.Conditions.Select(f => new[]
        {
            KindText(c.Kind), c.Code, f.Code, f.Description, f.TimeLimit, f.ClosingStandard, f.LegalBasis, f.Notes,
            f.Source.ToString().ToLowerInvariant(),
        })));

    public static string WriteHotlineTimeLimits(IEnumerable<HotlineTimeLimit> limits) =>
        Csv.Write(HotlineTimeLimitColumns, limits.Select(t => new[]
        {
            t.RequestType.ToString().ToLowerInvariant(), t.Name, t.TimeLimit, t.Source.ToString().ToLowerInvariant(),
        }));

    public static string KindText(CategoryKind kind) => kind.ToString().ToLowerInvariant();

    private static CategoryKind? ParseKind(string text, Action<string, string> fail)
    {
        switch (text.ToLowerInvariant())
        {
            case "component": return CategoryKind.Component;
            case "event": return CategoryKind.Event;
            case "hotline": return CategoryKind.Hotline;
            default:
                fail("kind", $"unknown kind '{text}' (component, event, hotline)");
                return null;
        }
    }

    private static CategoryLevel? ParseLevel(string text, Action<string, string> fail)
    {
        switch (text.ToLowerInvariant())
        {
            case "major": return CategoryLevel.Major;
            case "minor": return CategoryLevel.Minor;
            case "detail": return CategoryLevel.Detail;
            default:
                fail("level", $"unknown level '{text}' (major, minor, detail)");
                return null;
        }
    }

    private static ConditionSource? ParseSource(string text, Action<string, string> fail)
    {
        switch (text.ToLowerInvariant())
        {
            case "" or "default": return ConditionSource.Default;
            case "reference": return ConditionSource.Reference;
            case "local": return ConditionSource.Local;
            default:
                fail("source", $"unknown source '{text}' (reference, default, local)");
                return null;
        }
    }

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Digits();
}
