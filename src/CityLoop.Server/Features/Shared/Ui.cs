using System.Globalization;
using System.Security.Claims;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Cases;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Shared;

/// <summary>
/// What every page needs to speak the user's language and time: Chinese unless the request chose English, times in the
/// platform's zone (Asia/Shanghai), never the server's.
/// </summary>
public sealed class Ui(IOptions<PlatformOptions> platform)
{
    readonly TimeZoneInfo _zone = platform.Value.Zone;

    public static bool English => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "en";

    /// <summary>Picks the text for the current UI culture; Chinese is the default.</summary>
    public static string Pick(string zh, string en) => English ? en : zh;

    public string L(string zh, string en) => Pick(zh, en);

    static readonly CultureInfo EnglishCulture = CultureInfo.GetCultureInfo("en");

    /// <summary>Runs a localised label lookup in English whatever the request's culture (a stored message's English twin).</summary>
    public static T InEnglish<T>(Func<T> f)
    {
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = EnglishCulture;
        try { return f(); }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui); }
    }

    public string PlatformName => English ? "CityLoop city management platform" : platform.Value.Name;

    /// <summary>The name a page shows for the person's platform: the city platform's, or their sub-centre's (decision 026).</summary>
    public string PlatformNameOf(HomePlatform? home) =>
        home?.SubCentreName is { } name ? Pick(name, "CityLoop sub-centre · " + name) : PlatformName;

    public DateTime Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, _zone).DateTime;

    public string Time(DateTimeOffset? at) => at is { } t ? Local(t).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "—";

    /// <summary>The value a datetime-local input shows for a moment.</summary>
    public string InputTime(DateTimeOffset? at) => at is { } t ? Local(t).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture) : "";

    /// <summary>Reads a datetime-local or date value as a wall-clock time in the platform's zone.</summary>
    public DateTimeOffset? ParseLocal(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall)) return null;
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        return new DateTimeOffset(wall, _zone.GetUtcOffset(wall));
    }

    public static string DisplayName(ClaimsPrincipal user) => user.FindFirstValue("display_name") ?? user.Identity?.Name ?? "";

    public static IEnumerable<string> RoleNames(ClaimsPrincipal user) =>
        user.FindAll(ClaimTypes.Role).Select(c => Roles.TryParse(c.Value, out var r) ? Labels.Role(r) : c.Value);
}
