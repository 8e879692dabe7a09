using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Screen;

/// <summary>
/// A desk's dashboard (/dashboard): the supervisor's and the centre's city view, or a department's own figures and red
/// cases; the same figures as the wall screen, drawn by the same script in the desk's colours.
/// </summary>
public sealed class DashboardModel(CurrentActor current, CityLoopDb db, Shared.Nav nav) : PageModel
{
    /// <summary>The viewer's sub-centre's name when they work for one: their overview is of their platform, not the city.</summary>
    public string? SubCentreName { get; private set; }

    public string? Department { get; private set; }
    public string? DepartmentName { get; private set; }
    public bool Dispatcher { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        try
        {
            var actor = await current.GetAsync();
            Department = ScreenEndpoints.DashboardScope(actor);
            Dispatcher = actor.Roles.Contains(CityLoop.Domain.Identity.Role.Dispatcher);
        }
        catch (CaseForbiddenException)
        {
            return Forbid();
        }
        SubCentreName = (await nav.HomeAsync(User, ct))?.SubCentreName;
        if (Department is not null) DepartmentName = (await db.DepartmentNamesAsync(ct)).GetValueOrDefault(Department) ?? Department;
        return Page();
    }
}
