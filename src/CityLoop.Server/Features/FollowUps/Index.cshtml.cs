using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.FollowUps;

/// <summary>The hotline's call-back list: open follow-up tasks, oldest first; the call itself is the case's 'follow-up' action.</summary>
public sealed class IndexModel(CurrentActor current, CityLoopDb db, TimeProvider clock) : PageModel
{
    /// <summary>Within this much of its limit a follow-up is marked as due soon.</summary>
    public static readonly TimeSpan DueSoon = TimeSpan.FromHours(4);

    public DateTimeOffset Now { get; } = clock.GetUtcNow();

    public bool Overdue(FollowUpTaskDto t) => t.DueAt is { } due && due < Now;

    public bool Soon(FollowUpTaskDto t) => t.DueAt is { } due && due >= Now && due - Now <= DueSoon;

    /// <summary>How long past its limit, in words ("2 天 3 小时" / "2 d 3 h").</summary>
    public string Late(FollowUpTaskDto t)
    {
        var late = Now - t.DueAt!.Value;
        return late.TotalDays >= 1
            ? Ui.Pick($"{(int)late.TotalDays} 天 {late.Hours} 小时", $"{(int)late.TotalDays} d {late.Hours} h")
            : Ui.Pick($"{Math.Max(1, (int)late.TotalHours)} 小时", $"{Math.Max(1, (int)late.TotalHours)} h");
    }

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
