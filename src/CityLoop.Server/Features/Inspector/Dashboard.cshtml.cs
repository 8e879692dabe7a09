using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Screen;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Inspector;

/// <summary>The inspector's own month on the phone: tasks waiting, the score and the figures it is made of.</summary>
public sealed class DashboardModel(CurrentActor current, DeskDashboards dashboards) : PageModel
{
    public DeskDashboardDto? Data { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        try
        {
            Data = await dashboards.InspectorAsync(await current.GetAsync(), ct);
        }
        catch (CaseForbiddenException ex)
        {
            Error = DeskErrors.Describe(ex);
            Response.StatusCode = 403;
        }
        return Page();
    }
}
