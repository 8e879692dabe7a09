using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Screen;

/// <summary>
/// The command centre's wall screen (大屏), 1920×1080: the page is a frame; screen.js fetches /api/v1/screen on load
/// and every few seconds after, so figures change without a reload and the polling keeps the display signed in.
/// </summary>
public sealed class IndexModel(CurrentActor current) : PageModel
{
    public async Task<IActionResult> OnGetAsync()
    {
        try
        {
            ScreenQueries.AuthorizeScreen(await current.GetAsync());
        }
        catch (CaseForbiddenException)
        {
            return Forbid();
        }
        return Page();
    }
}
