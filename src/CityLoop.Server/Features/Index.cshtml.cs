using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features;

/// <summary>
/// Where each person starts (the folder's sign-in rule sends anyone not signed in to the login page first): the wall
/// screen's display account on the screen, a supervisor on the city overview, everyone else on the case desk (which
/// sends administrators on to their own pages).
/// </summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect(Landing(Nav.RolesOf(User)));

    public static string Landing(IReadOnlySet<Role> roles) =>
        roles.Contains(Role.Display) && !roles.Any(Roles.CaseReaders.Contains) ? "/screen"
        : roles.Contains(Role.Supervisor) ? "/dashboard"
        : "/Cases";
}
