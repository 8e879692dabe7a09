using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features;

/// <summary>The start page is the case desk; the folder's sign-in rule sends anyone not signed in to the login page first.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect(Shared.Nav.Home(User));
}
