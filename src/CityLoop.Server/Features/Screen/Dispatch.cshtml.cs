using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Screen;

/// <summary>The dispatcher's dashboard: the queue by light, the month's dispatch figures and the dispatcher's own score.</summary>
public sealed class DispatchDashboardModel(CurrentActor current, DeskDashboards dashboards) : PageModel
{
    public DeskDashboardDto? Data { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        try
        {
            Data = await dashboards.DispatcherAsync(await current.GetAsync(), ct);
        }
        catch (CaseForbiddenException ex)
        {
            Error = DeskErrors.Describe(ex);
            Response.StatusCode = 403;
        }
        return Page();
    }
}
