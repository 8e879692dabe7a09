using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.FollowUps;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace CityLoop.Server.Features.Public;

/// <summary>The citizen's self-rating page behind the SMS / portal link: no account, the token is the authority.</summary>
[EnableRateLimiting(Infrastructure.RateLimits.Public)]
public sealed class RateModel(CityLoopDb db, CaseCommands commands) : PageModel
{
    public string? Number { get; private set; }
    public string? Title { get; private set; }
    public string? Done { get; private set; }
    public string? Error { get; private set; }

    [BindProperty] public bool? Resolved { get; set; }
    [BindProperty] public Satisfaction? Satisfaction { get; set; }
    [BindProperty] public string? Comment { get; set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        var task = await FollowUpEndpoints.OpenTaskAsync(token, db, ct);
        if (task is null) return NotFound();
        var c = await db.Cases.FindAsync([task.CaseId], ct);
        Number = task.CaseNumber;
        Title = c?.Title ?? c?.Description;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        if (Resolved is null || Satisfaction is null)
        {
            Error = Shared.Ui.Pick("请选择问题是否解决，以及您的满意程度。", "Say whether the problem is solved and how satisfied you are.");
            return await OnGetAsync(token, ct);
        }
        var comment = Comment?.Trim();
        if (comment is { Length: > 500 }) comment = comment[..500];
        var rated = await FollowUpEndpoints.RateAsync(token, new SelfRatingRequest(Resolved.Value, Satisfaction.Value, comment), db, commands, ct);
        if (rated is null) return NotFound();
        Number = rated.Value.Number;
        Done = Shared.Ui.Pick("感谢您的评价！如问题未解决，我们会尽快安排重新办理。", "Thank you for your rating. If the problem is not solved, we will have it handled again soon.");
        return Page();
    }
}
