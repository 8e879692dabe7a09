using System.Text.RegularExpressions;

namespace CityLoop.Domain.Catalogue;

/// <summary>Which catalogue a category belongs to: 部件, 事件 (数字城管) or the 12345 request taxonomy.</summary>
public enum CategoryKind
{
    Component,
    Event,
    Hotline,
}

/// <summary>
/// Depth in the tree. 部件/事件: Major = 大类 (2 digits), Minor = 小类 (4 digits).
/// Hotline: Major = 一级, Minor = 二级, Detail = 三级 (6 digits).
/// </summary>
public enum CategoryLevel
{
    Major = 1,
    Minor = 2,
    Detail = 3,
}

/// <summary>
/// A catalogue entry. <see cref="Code"/> is the digits only (0101); codes repeat across kinds, so use
/// <see cref="Key"/> (C0101 / E0101 / H010101) wherever a category is referenced on its own.
/// </summary>
public sealed record Category(
    CategoryKind Kind,
    string Code,
    CategoryLevel Level,
    string? ParentCode,
    string Name,
    IReadOnlyList<FilingCondition> Conditions)
{
    public Category(CategoryKind kind, string code, CategoryLevel level, string? parentCode, string name)
        : this(kind, code, level, parentCode, name, []) { }

    public string Key => CategoryKey.Of(Kind, Code);

    public string? ParentKey => ParentCode is null ? null : CategoryKey.Of(Kind, ParentCode);

    /// <summary>A case is filed against a leaf: 小类 for 部件/事件, 三级 for hotline.</summary>
    public bool IsLeaf => Kind == CategoryKind.Hotline ? Level == CategoryLevel.Detail : Level == CategoryLevel.Minor;
}

/// <summary>Converts between (kind, code) and the single-string key used by routing rules and cases.</summary>
public static partial class CategoryKey
{
    public static char Prefix(CategoryKind kind) => kind switch
    {
        CategoryKind.Component => 'C',
        CategoryKind.Event => 'E',
        CategoryKind.Hotline => 'H',
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string Of(CategoryKind kind, string code) => Prefix(kind) + code;

    /// <summary>True for keys like C01, E0101, H010101 (kind letter + 2, 4 or 6 digits).</summary>
    public static bool IsValid(string? key) => key is not null && KeyPattern().IsMatch(key);

    public static bool TryParse(string? key, out CategoryKind kind, out string code)
    {
        kind = default;
        code = "";
        if (!IsValid(key)) return false;
        kind = key![0] switch { 'C' => CategoryKind.Component, 'E' => CategoryKind.Event, _ => CategoryKind.Hotline };
        code = key[1..];
        return true;
    }

    [GeneratedRegex("^[CEH](?:[0-9]{2}){1,3}$")]
    private static partial Regex KeyPattern();
}
