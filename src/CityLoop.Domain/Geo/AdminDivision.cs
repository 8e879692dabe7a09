namespace CityLoop.Domain.Geo;

/// <summary>Administrative level; the code length identifies it (2, 4, 6, 9, 12 digits).</summary>
public enum DivisionLevel
{
    Province,
    City,
    District,
    Street,
    Community,
}

/// <summary>One administrative division (省/市/区县/乡镇街道/村社区) from 统计用区划代码.</summary>
public sealed record AdminDivision(string Code, string Name, DivisionLevel Level, string? ParentCode);

public static class DivisionLevels
{
    public static int CodeLength(DivisionLevel level) => level switch
    {
        DivisionLevel.Province => 2,
        DivisionLevel.City => 4,
        DivisionLevel.District => 6,
        DivisionLevel.Street => 9,
        DivisionLevel.Community => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    public static DivisionLevel? FromCodeLength(int length) => length switch
    {
        2 => DivisionLevel.Province,
        4 => DivisionLevel.City,
        6 => DivisionLevel.District,
        9 => DivisionLevel.Street,
        12 => DivisionLevel.Community,
        _ => null,
    };

    /// <summary>Lower-case name used in CSV files and JSON: province|city|district|street|community.</summary>
    public static string ToText(DivisionLevel level) => level.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out DivisionLevel level)
    {
        level = default;
        return text is not null && text.Length > 0 && char.IsLetter(text[0])
            && Enum.TryParse(text, ignoreCase: true, out level) && Enum.IsDefined(level);
    }

    /// <summary>Parent code by truncation: 451202101201 → 451202101 → 451202 → 4512 → 45.</summary>
    public static string? ParentCodeOf(string code) => code.Length switch
    {
        12 => code[..9],
        9 => code[..6],
        6 => code[..4],
        4 => code[..2],
        _ => null,
    };
}

/// <summary>Short forms of official names, for display and address matching.</summary>
public static class DivisionNames
{
    // Longest suffixes first: "社区居民委员会" must win over "居民委员会".
    private static readonly (string Suffix, string Replacement)[] ShortForms =
    [
        ("社区居民委员会", "社区"),
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
    ];

    private static readonly string[] CoreSuffixes = ["街道办事处", "街道", "社区", "村", "镇", "乡", "区", "县", "市"];

    /// <summary>"永兴村民委员会" → "永兴村", "城北社区居民委员会" → "城北社区"; other names unchanged.</summary>
    public static string Short(string name)
    {
        foreach (var (suffix, replacement) in ShortForms)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal))
                return name[..^suffix.Length] + replacement;
        }
        return name;
    }

    /// <summary>The name without its generic suffix ("东江镇" → "东江"), or null when that would leave one character.</summary>
    public static string? Core(string name)
    {
        var shortName = Short(name);
        foreach (var suffix in CoreSuffixes)
        {
            if (shortName.EndsWith(suffix, StringComparison.Ordinal) && shortName.Length - suffix.Length >= 2)
                return shortName[..^suffix.Length];
        }
        return null;
    }

    /// <summary>Distinct names an address might use for a division: official, short, core.</summary>
    public static IReadOnlyList<string> Variants(string name)
    {
        var list = new List<string> { name };
        var shortName = Short(name);
        if (!list.Contains(shortName)) list.Add(shortName);
        if (Core(name) is { } core && !list.Contains(core)) list.Add(core);
        return list;
    }
}
