using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Screen;

/// <summary>
/// The command centre's wall screen (大屏), 1920×1080: the page is a frame; screen.js fetches /api/v1/screen on load
/// and every few seconds after, so figures change without a reload and the polling keeps the display signed in.
/// </summary>
public sealed class IndexModel(CurrentActor current, Shared.Nav nav, Shared.Ui ui) : PageModel
{
    /// <summary>Whose screen it is: the city platform's (the whole city), or the viewer's sub-centre's (its own figures).</summary>
    public string PlatformName { get; private set; } = "";
    public bool SubCentre { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        try
        {
            ScreenQueries.AuthorizeScreen(await current.GetAsync());
        }
        catch (CaseForbiddenException)
        {
            return Forbid();
        }
        var home = await nav.HomeAsync(User, ct);
        SubCentre = home is { Root: false };
        PlatformName = ui.PlatformNameOf(home);
        return Page();
    }
}
