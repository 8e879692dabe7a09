using CityLoop.Domain.Cases;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Portal;

/// <summary>
/// The readable tracking page: the case number and query code are posted (never put in a link, where they would end
/// up in histories and logs), and the answer is the public timeline, the reply and, once closed, the rating form.
/// </summary>
public sealed class TrackModel(PortalService portal, PortalLimits limits) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Number { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public bool? Resolved { get; set; }
    [BindProperty] public string? Satisfaction { get; set; }
    [BindProperty] public string? Comment { get; set; }

    public PortalView? View { get; private set; }
    public string? Error { get; private set; }
    public string? RatingError { get; private set; }
    public string? Thanks { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!limits.Lookup(HttpContext))
            return Refuse(Pick("查询过于频繁，请一分钟后再试。", "Too many look-ups: please try again in a minute."), StatusCodes.Status429TooManyRequests);
        var c = await portal.FindAsync(Number, Code, ct: ct);
        if (c is null) return Refuse(Pick("案件编号或查询码不正确，请核对后重试。", "The case number or query code is not right: check them and try again."));
        View = await portal.ViewAsync(c, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRateAsync(CancellationToken ct)
    {
        if (!limits.Rating(HttpContext))
            return Refuse(Pick("评价提交过于频繁，请稍后再试。", "Too many ratings sent: please try again later."), StatusCodes.Status429TooManyRequests);
        var c = await portal.FindAsync(Number, Code, track: true, ct);
        if (c is null) return Refuse(Pick("案件编号或查询码不正确，请核对后重试。", "The case number or query code is not right: check them and try again."));
        try
        {
            if (Resolved is null || !Enum.TryParse<Satisfaction>(Satisfaction, out var satisfaction) || !Enum.IsDefined(satisfaction))
                throw new PortalException("rating", Pick("请选择问题是否解决，以及您的满意程度。", "Say whether the problem was solved and how satisfied you are."));
            await portal.RateAsync(c, Resolved.Value, satisfaction, Comment, ct);
            Thanks = Pick("感谢您的评价！如问题未解决，我们会跟进处理。", "Thank you for your rating. If the problem is not solved, we will follow it up.");
        }
        catch (PortalException ex)
        {
            RatingError = ex.Message;
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        }
        View = await portal.ViewAsync(await portal.FindAsync(Number, Code, ct: ct) ?? c, ct);
        return Page();
    }

    IActionResult Refuse(string message, int status = StatusCodes.Status404NotFound)
    {
        Error = message;
        Response.StatusCode = status;
        return Page();
    }
}
