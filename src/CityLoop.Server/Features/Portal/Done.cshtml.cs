using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Portal;

/// <summary>The receipt after a report: its number and query code, shown once (the code is stored only as a hash).</summary>
public sealed class DoneModel : PageModel
{
    public string? Number { get; private set; }
    public string? Code { get; private set; }
    public bool Replayed { get; private set; }

    public IActionResult OnGet()
    {
        Number = TempData["portal-number"] as string;
        if (Number is null) return RedirectToPage("/Portal/Track");
        Code = TempData["portal-code"] as string;
        Replayed = TempData["portal-replayed"] as bool? ?? false;
        return Page();
    }
}
