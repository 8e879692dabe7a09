using System.Globalization;

namespace CityLoop.Domain.Geo;

/// <summary>
/// Unit grid codes: 6 area + 3 street + 3 community + serial. The standard serial is 3 digits (15 in all); some
/// systems use 14 or 16, so the length is configuration and the codes are stored as text.
/// </summary>
public static class GridCode
{
    public const int DefaultLength = 15;
    public const int CommunityCodeLength = 12;
    public const int MinLength = CommunityCodeLength + 1;
    public const int MaxLength = CommunityCodeLength + 6;

    /// <summary>Null when valid, else the reason.</summary>
    public static string? Validate(string? code, int length = DefaultLength)
    {
        CheckLength(length);
        if (string.IsNullOrEmpty(code)) return "grid code is empty";
        if (!code.All(char.IsAsciiDigit)) return $"grid code '{code}' must contain digits only";
        if (code.Length != length) return $"grid code '{code}' has {code.Length} digits, expected {length}";
        if (code[CommunityCodeLength..].All(c => c == '0')) return $"grid code '{code}' has serial 0";
        return null;
    }

    public static bool IsValid(string? code, int length = DefaultLength) => Validate(code, length) is null;

    public static string DistrictCode(string gridCode) => Prefix(gridCode, 6);

    public static string StreetCode(string gridCode) => Prefix(gridCode, 9);

    public static string CommunityCode(string gridCode) => Prefix(gridCode, CommunityCodeLength);

    public static int Serial(string gridCode) =>
        int.Parse(gridCode.AsSpan(CommunityCodeLength), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Largest serial that fits: 999 for 15-digit codes.</summary>
    public static int MaxSerial(int length = DefaultLength)
    {
        CheckLength(length);
        return (int)Math.Pow(10, length - CommunityCodeLength) - 1;
    }

    /// <summary>Community code + zero-padded serial, e.g. ("451202101201", 7) → "451202101201007".</summary>
    public static string Compose(string communityCode, int serial, int length = DefaultLength)
    {
        CheckLength(length);
        if (communityCode.Length != CommunityCodeLength || !communityCode.All(char.IsAsciiDigit))
            throw new ArgumentException($"'{communityCode}' is not a 12-digit community code", nameof(communityCode));
        if (serial < 1 || serial > MaxSerial(length))
            throw new ArgumentOutOfRangeException(nameof(serial), serial, $"serial must be 1..{MaxSerial(length)} for {length}-digit codes");
        return communityCode + serial.ToString(CultureInfo.InvariantCulture).PadLeft(length - CommunityCodeLength, '0');
    }

    private static string Prefix(string gridCode, int length)
    {
        if (gridCode.Length < MinLength)
            throw new ArgumentException($"'{gridCode}' is too short for a grid code", nameof(gridCode));
        return gridCode[..length];
    }

    private static void CheckLength(int length)
    {
        if (length < MinLength || length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"grid code length must be {MinLength}..{MaxLength}");
    }
}
