using CityLoop.Domain.Cases;

namespace CityLoop.Domain.Catalogue;

/// <summary>Which standard an item is cited from: 立案标准 when filing or rejecting, 结案标准 when closing.</summary>
public enum StandardKind
{
    Filing,
    Closing,
}

/// <summary>One item a case can be filed, rejected or closed against: its code, what it says, and its time limit.</summary>
public sealed record StandardItem(string Code, string Text, string TimeLimit);

/// <summary>
/// The standard items valid for a case. A category with filing conditions has exactly those (C0101-01 …): the
/// filing standard is each condition's description, the closing standard its closing requirement. Anything else —
/// a 12345 taxonomy leaf, a category without conditions, no category yet — is handled under the hotline time limit
/// of its request type, whose single item is "H-" + the request type (H-complaint). This is the same order in which
/// the working clock looks for the handling limit, so a valid item always decides the deadline.
/// </summary>
public static class StandardItems
{
    public const string HotlinePrefix = "H-";

    public static string HotlineCode(RequestType type) => HotlinePrefix + Kebab.From(type.ToString());

    public static IReadOnlyList<StandardItem> For(CatalogueVersion catalogue, string? categoryKey, RequestType type, StandardKind kind)
    {
        var category = categoryKey is null ? null : catalogue.Find(categoryKey);
        if (category is { Conditions.Count: > 0 })
            return category.Conditions
                .Select(c => new StandardItem(c.Code, kind == StandardKind.Filing || string.IsNullOrWhiteSpace(c.ClosingStandard) ? c.Description : c.ClosingStandard, c.TimeLimit))
                .ToList();
        return catalogue.TimeLimitFor(type) is { } limit
            ? [new StandardItem(HotlineCode(type), limit.Name, limit.TimeLimit)]
            : [];
    }

    public static StandardItem? Find(CatalogueVersion catalogue, string? categoryKey, RequestType type, StandardKind kind, string code) =>
        For(catalogue, categoryKey, type, kind).FirstOrDefault(i => string.Equals(i.Code, code, StringComparison.OrdinalIgnoreCase));
}
