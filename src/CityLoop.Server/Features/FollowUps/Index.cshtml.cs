using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.FollowUps;

/// <summary>The hotline's call-back list: open follow-up tasks, oldest first; the call itself is the case's 'follow-up' action.</summary>
public sealed class IndexModel(CurrentActor current, CityLoopDb db) : PageModel
{
    public IReadOnlyList<FollowUpTaskDto> Tasks { get; private set; } = [];
    public IReadOnlyDictionary<string, string> Departments { get; private set; } = new Dictionary<string, string>();
    public DeskError? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Tasks = await FollowUpEndpoints.ListAsync(await current.GetAsync(), "open", null, db, ct);
            Departments = await Cases.IndexModel.DepartmentNames(db, ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            Response.StatusCode = 403;
        }
    }
}
