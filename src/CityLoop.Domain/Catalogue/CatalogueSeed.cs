using System.Reflection;

namespace CityLoop.Domain.Catalogue;

/// <summary>
/// The seed catalogue embedded in this assembly (Catalogue/Data/*.csv). Seed files are curated and tested,
/// so any parse error here is a bug and throws instead of being returned.
/// </summary>
public static class CatalogueSeed
{
    public const string CategoriesFile = "categories.csv";
    public const string ConditionsFile = "filing-conditions.csv";
    public const string HotlineTaxonomyFile = "hotline-taxonomy.csv";
    public const string HotlineTimeLimitsFile = "hotline-time-limits.csv";

    /// <summary>部件 and 事件 categories with their filing conditions attached.</summary>
    public static IReadOnlyList<Category> LoadCategories() =>
        Require(CatalogueCsv.Load(ReadResource(CategoriesFile), ReadResource(ConditionsFile)), CategoriesFile);

    public static IReadOnlyList<Category> LoadHotlineTaxonomy() =>
        Require(CatalogueCsv.ParseCategories(ReadResource(HotlineTaxonomyFile)), HotlineTaxonomyFile);

    public static IReadOnlyList<HotlineTimeLimit> LoadHotlineTimeLimits() =>
        Require(CatalogueCsv.ParseHotlineTimeLimits(ReadResource(HotlineTimeLimitsFile)), HotlineTimeLimitsFile);

    /// <summary>Everything as catalogue version 1.</summary>
    public static CatalogueVersion LoadVersion(int version = 1, DateTimeOffset? effectiveFrom = null) =>
        new(version, effectiveFrom ?? DateTimeOffset.UnixEpoch,
            LoadCategories().Concat(LoadHotlineTaxonomy()), LoadHotlineTimeLimits(), "seed catalogue");

    /// <summary>Raw text of an embedded data file (Catalogue/Data or Routing/Data), by file name.</summary>
    public static string ReadResource(string fileName) => EmbeddedData.Read(fileName);

    private static IReadOnlyList<T> Require<T>(CsvParseResult<T> result, string file) =>
        result.IsValid
            ? result.Rows
            : throw new InvalidDataException($"embedded {file} is invalid: {string.Join("; ", result.Errors)}");
}

internal static class EmbeddedData
{
    private static readonly Assembly Assembly = typeof(EmbeddedData).Assembly;

    // Manifest names depend on the folder (CityLoop.Domain.Catalogue.Data.x.csv), so match on the file name.
    public static string Read(string fileName)
    {
        var name = Assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith("." + fileName, StringComparison.Ordinal))
            ?? throw new FileNotFoundException($"embedded resource {fileName} not found", fileName);
        using var stream = Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
