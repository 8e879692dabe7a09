using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Reference.Formats;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

/// <summary>
/// Category catalogue imports and edits. Nothing is changed in place: every accepted import or edit writes a new
/// catalogue version (the current one with the changes applied), so cases keep the rules they were filed under.
/// </summary>
public sealed partial class ReferenceImporter
{
    public const string CategoriesSheet = "categories";
    public const string ConditionsSheet = "conditions";
    public const string HotlineLimitsSheet = "hotline-time-limits";

    /// <summary>A catalogue CSV text; <see cref="RowOf"/> maps its CSV row numbers back to the source (spreadsheet) rows.</summary>
    sealed record CatalogueFile(string? Name, string Csv, Func<int, int> RowOf);

    /// <summary>One CSV file: categories, filing conditions or hotline time limits, told apart by the header.</summary>
    public Task<ImportReport> CategoriesCsvAsync(string csv, string actor, CancellationToken ct = default) =>
        CatalogueAsync([new CatalogueFile(null, csv, r => r)], actor, "csv import", ct);

    /// <summary>A workbook with the sheets categories, conditions and hotline-time-limits (any of them).</summary>
    public async Task<ImportReport> CategoriesXlsxAsync(Stream xlsx, string actor, CancellationToken ct = default)
    {
        IReadOnlyList<XlsxSheet> sheets;
        try
        {
            sheets = Xlsx.Read(xlsx);
        }
        catch (InvalidDataException ex)
        {
            return new ImportReport("categories", 0, 0, [new ImportError(0, "file", ex.Message)]);
        }
        var files = sheets.Where(s => s.Rows.Count > 0).Select(s =>
        {
            var csv = Csv.Write(s.Rows[0].Cells, s.Rows.Skip(1).Select(r => r.Cells));
            var records = Csv.Read(csv);
            var map = records.Zip(s.Rows).ToDictionary(x => x.First.Row, x => x.Second.Row);
            return new CatalogueFile(s.Name, csv, r => map.GetValueOrDefault(r, r));
        }).ToList();
        return await CatalogueAsync(files, actor, "xlsx import", ct);
    }

    /// <summary>The seed catalogue: 部件/事件 categories with conditions, the hotline taxonomy and its time limits.</summary>
    public Task<ImportReport> SeedCatalogueAsync(string actor, CancellationToken ct = default) =>
        CatalogueAsync(
        [
            new CatalogueFile(CatalogueSeed.CategoriesFile, EmbeddedData.Read(CatalogueSeed.CategoriesFile), r => r),
            new CatalogueFile(CatalogueSeed.HotlineTaxonomyFile, EmbeddedData.Read(CatalogueSeed.HotlineTaxonomyFile), r => r),
            new CatalogueFile(CatalogueSeed.ConditionsFile, EmbeddedData.Read(CatalogueSeed.ConditionsFile), r => r),
            new CatalogueFile(CatalogueSeed.HotlineTimeLimitsFile, EmbeddedData.Read(CatalogueSeed.HotlineTimeLimitsFile), r => r),
        ], actor, "seed catalogue", ct);

    async Task<ImportReport> CatalogueAsync(IReadOnlyList<CatalogueFile> files, string actor, string note, CancellationToken ct)
    {
        var errors = new List<ImportError>();
        cache.Invalidate(ReferencePart.Catalogue);
        var current = cache.Catalogue.Current;
        var categories = (current?.Categories ?? []).ToList();
        var limits = (current?.HotlineTimeLimits ?? []).ToList();
        int inserted = 0, updated = 0;

        static string Kind(string csv) => Csv.Read(csv) is [var header, ..]
            ? header.Fields.Any(f => f.Trim() == "categoryCode") ? ConditionsSheet
              : header.Fields.Any(f => f.Trim() == "requestType") ? HotlineLimitsSheet : CategoriesSheet
            : CategoriesSheet;
        // Categories first, so that conditions may refer to categories added by the same import.
        foreach (var file in files.OrderBy(f => Kind(f.Csv) switch { CategoriesSheet => 0, ConditionsSheet => 1, _ => 2 }))
        {
            void Fail(int row, string field, string reason) => errors.Add(new ImportError(file.RowOf(row), field, reason, file.Name));
            switch (Kind(file.Csv))
            {
                case CategoriesSheet:
                    var parsed = CatalogueCsv.ParseCategories(file.Csv);
                    foreach (var e in parsed.Errors) Fail(e.Row, e.Field, e.Reason);
                    foreach (var c in parsed.Rows)
                    {
                        var i = categories.FindIndex(x => x.Key == c.Key);
                        if (i >= 0) { categories[i] = c with { Conditions = categories[i].Conditions }; updated++; }
                        else { categories.Add(c); inserted++; }
                    }
                    break;
                case ConditionsSheet:
                    var conditions = CatalogueCsv.ParseConditions(file.Csv);
                    foreach (var e in conditions.Errors) Fail(e.Row, e.Field, e.Reason);
                    foreach (var (c, row) in conditions.Rows.Zip(ValidRowNumbers(file.Csv, conditions.Errors)))
                    {
                        var i = categories.FindIndex(x => x.Key == c.CategoryKey);
                        var owner = categories.FirstOrDefault(x => x.Key != c.CategoryKey && x.Conditions.Any(f => f.Code == c.Condition.Code));
                        if (i < 0 || !categories[i].IsLeaf) { Fail(row, "categoryCode", $"{c.CategoryKey} is not a leaf category of the catalogue"); continue; }
                        if (owner is not null) { Fail(row, "code", $"condition {c.Condition.Code} belongs to {owner.Key}"); continue; }
                        var list = categories[i].Conditions.ToList();
                        var j = list.FindIndex(f => f.Code == c.Condition.Code);
                        if (j >= 0) { list[j] = c.Condition; updated++; }
                        else { list.Add(c.Condition); inserted++; }
                        categories[i] = categories[i] with { Conditions = list };
                    }
                    break;
                default:
                    var hotline = CatalogueCsv.ParseHotlineTimeLimits(file.Csv);
                    foreach (var e in hotline.Errors) Fail(e.Row, e.Field, e.Reason);
                    foreach (var h in hotline.Rows)
                    {
                        var i = limits.FindIndex(x => x.RequestType == h.RequestType);
                        if (i >= 0) { limits[i] = h; updated++; }
                        else { limits.Add(h); inserted++; }
                    }
                    break;
            }
        }
        if (inserted + updated > 0) await SaveCatalogueVersionAsync(categories, limits, actor, note, ct);
        return new ImportReport("categories", inserted, updated, errors.OrderBy(e => e.File).ThenBy(e => e.Row).ToList());
    }

    /// <summary>Edits one filing condition (the admin form): a new catalogue version with the condition changed.</summary>
    public async Task<int> EditConditionAsync(string code, string timeLimit, string closingStandard, string actor, CancellationToken ct = default)
    {
        if (!TimeLimitFormat.IsValid(timeLimit)) throw Domain.Cases.CaseValidationException.Single("timeLimit", $"'{timeLimit}': {TimeLimitFormat.Description}");
        if (string.IsNullOrWhiteSpace(closingStandard)) throw Domain.Cases.CaseValidationException.Single("closingStandard", "A closing standard is required.");
        cache.Invalidate(ReferencePart.Catalogue);
        var current = cache.Catalogue.Current ?? throw new Infrastructure.NotFoundException("There is no catalogue yet.");
        var categories = current.Categories.Select(c => c.Conditions.Any(f => f.Code == code)
            ? c with { Conditions = c.Conditions.Select(f => f.Code == code ? f with { TimeLimit = timeLimit, ClosingStandard = closingStandard.Trim(), Source = ConditionSource.Local } : f).ToList() }
            : c).ToList();
        if (current.FindCondition(code) is null) throw new Infrastructure.NotFoundException($"There is no filing condition {code}.");
        return await SaveCatalogueVersionAsync(categories, current.HotlineTimeLimits, actor, $"edit {code}", ct);
    }

    async Task<int> SaveCatalogueVersionAsync(IReadOnlyList<Category> categories, IReadOnlyList<HotlineTimeLimit> limits, string actor, string note, CancellationToken ct)
    {
        var version = (await db.Set<CatalogueVersionRow>().MaxAsync(v => (int?)v.Version, ct) ?? 0) + 1;
        db.Set<CatalogueVersionRow>().Add(new CatalogueVersionRow { Version = version, CreatedAt = clock.GetUtcNow(), CreatedBy = actor, Note = note });
        var (cats, conds, hot) = ReferenceMapping.ToRows(version, categories, limits);
        db.Set<CategoryRow>().AddRange(cats);
        db.Set<FilingConditionRecord>().AddRange(conds);
        db.Set<HotlineTimeLimitRow>().AddRange(hot);
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Catalogue);
        return version;
    }

    public byte[] ExportCategoriesXlsx()
    {
        var current = cache.Catalogue.Current;
        return Xlsx.Write(
        [
            (CategoriesSheet, CatalogueCsv.CategoryColumns, Records(CatalogueCsv.WriteCategories(current?.Categories ?? []))),
            (ConditionsSheet, CatalogueCsv.ConditionColumns, Records(CatalogueCsv.WriteConditions(current?.Categories ?? []))),
            (HotlineLimitsSheet, CatalogueCsv.HotlineTimeLimitColumns, Records(CatalogueCsv.WriteHotlineTimeLimits(current?.HotlineTimeLimits ?? []))),
        ]);
        // The CSV writers own the column order and formatting; the workbook reuses their rows.
        static IEnumerable<IReadOnlyList<string?>> Records(string csv) => Csv.Read(csv).Skip(1).Select(r => (IReadOnlyList<string?>)r.Fields.ToList());
    }

    /// <summary>CSV export of one part: categories, conditions or hotline-time-limits.</summary>
    public string ExportCatalogueCsv(string part)
    {
        var current = cache.Catalogue.Current;
        return part switch
        {
            ConditionsSheet => CatalogueCsv.WriteConditions(current?.Categories ?? []),
            HotlineLimitsSheet => CatalogueCsv.WriteHotlineTimeLimits(current?.HotlineTimeLimits ?? []),
            _ => CatalogueCsv.WriteCategories(current?.Categories ?? []),
        };
    }
}
