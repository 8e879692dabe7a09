using CityLoop.Domain.Catalogue;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>
/// The seed catalogue embedded in the server (Data/Catalogue/*.csv). Seed files are curated and tested,
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
        EmbeddedData.Require(CatalogueCsv.Load(EmbeddedData.Read(CategoriesFile), EmbeddedData.Read(ConditionsFile)), CategoriesFile);

    public static IReadOnlyList<Category> LoadHotlineTaxonomy() =>
        EmbeddedData.Require(CatalogueCsv.ParseCategories(EmbeddedData.Read(HotlineTaxonomyFile)), HotlineTaxonomyFile);

    public static IReadOnlyList<HotlineTimeLimit> LoadHotlineTimeLimits() =>
        EmbeddedData.Require(CatalogueCsv.ParseHotlineTimeLimits(EmbeddedData.Read(HotlineTimeLimitsFile)), HotlineTimeLimitsFile);

    /// <summary>Everything as catalogue version 1.</summary>
    public static CatalogueVersion LoadVersion(int version = 1, DateTimeOffset? effectiveFrom = null) =>
        new(version, effectiveFrom ?? DateTimeOffset.UnixEpoch,
            LoadCategories().Concat(LoadHotlineTaxonomy()), LoadHotlineTimeLimits(), "seed catalogue");
}

/// <summary>The reference data files bundled with the server (Data/*/*.csv), by file name.</summary>
public static class EmbeddedData
{
    // The csproj gives each file this logical name, whatever folder it lives in.
    const string Prefix = "CityLoop.Reference.Data.";

    public static Stream Open(string fileName) =>
        typeof(EmbeddedData).Assembly.GetManifestResourceStream(Prefix + fileName)
        ?? throw new FileNotFoundException($"embedded resource {fileName} not found", fileName);

    public static string Read(string fileName)
    {
        using var reader = new StreamReader(Open(fileName), System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static IReadOnlyList<T> Require<T>(CsvParseResult<T> result, string file) =>
        result.IsValid
            ? result.Rows
            : throw new InvalidDataException($"embedded {file} is invalid: {string.Join("; ", result.Errors)}");
}
