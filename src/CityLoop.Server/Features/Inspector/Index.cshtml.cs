using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Inspector;

/// <summary>The inspector's landing page on the phone: on/off duty, and the 核实 and 核查 tasks by deadline.</summary>
public sealed class IndexModel(CurrentActor current, InspectorDesk desk, PatrolService patrol) : PageModel
{
    public IReadOnlyList<InspectorTaskDto> Tasks { get; private set; } = [];
    public DutyDto? Duty { get; private set; }
    public DeskError? Error { get; private set; }
    [TempData] public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            InspectorDesk.RequireInspector(actor);
            Duty = await patrol.DutyAsync(actor, ct);
            Tasks = await desk.TasksAsync(actor, null, null, ct);
        }
        catch (CaseForbiddenException ex)
        {
            Error = DeskErrors.Describe(ex);
            Response.StatusCode = 403;
        }
        return Page();
    }
}
