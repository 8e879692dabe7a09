using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Account;

/// <summary>Remembers the chosen language in the culture cookie the request localization reads.</summary>
public sealed class CultureModel : PageModel
{
    public IActionResult OnGet(string? c, string? returnUrl)
    {
        var culture = c == "en" ? "en" : "zh-CN";
        Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
        // Drop a culture= in the return address, or it would override the cookie just set.
        var target = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? StripCulture(returnUrl) : "/";
        return LocalRedirect(target);
    }

    static string StripCulture(string url)
    {
        var q = url.IndexOf('?');
        if (q < 0) return url;
        var kept = url[(q + 1)..].Split('&').Where(p => !p.StartsWith("culture=", StringComparison.OrdinalIgnoreCase) && !p.StartsWith("ui-culture=", StringComparison.OrdinalIgnoreCase));
        var query = string.Join('&', kept);
        return query.Length == 0 ? url[..q] : url[..q] + "?" + query;
    }
}
