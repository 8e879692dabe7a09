using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features;

/// <summary>
/// Where each person starts (the folder's sign-in rule sends anyone not signed in to the login page first): the wall
/// screen's display account on the screen, a supervisor on the city overview, an inspector (and nothing else) on the
/// phone pages, everyone else on the case desk (which sends administrators on to their own pages).
/// </summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect(Landing(Nav.RolesOf(User)));

    /// <summary>The wall screen's display account on the screen, a supervisor on the overview, a dispatcher on the map desk,
    /// department staff in their inbox, everyone else on the case list. Sign-in uses the same answer (Nav.Home).</summary>
    public static string Landing(IReadOnlySet<Role> roles) =>
        roles.Contains(Role.Display) && !roles.Any(Roles.CaseReaders.Contains) ? "/screen"
        : !roles.Any(Roles.CaseReaders.Contains) && (roles.Contains(Role.SystemAdmin) || roles.Contains(Role.SecurityAdmin)) ? "/admin/users"
        : !roles.Any(Roles.CaseReaders.Contains) && roles.Contains(Role.AuditAdmin) ? "/admin/audit"
        : roles.Contains(Role.Supervisor) ? "/dashboard"
        : roles.Count > 0 && roles.All(r => r == Role.Inspector) ? "/inspector"
        : roles.Contains(Role.Dispatcher) ? "/Dispatch"
        : roles.Any(Roles.DepartmentBound.Contains) ? "/Inbox"
        : "/Cases";
}
