using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Portal;

/// <summary>The citizen's report page: text, a simple category, photos and a point on the map; no account.</summary>
// The photos' own limit is checked per file with a readable message; this only caps the whole request.
[RequestSizeLimit(64 * 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = 64 * 1024 * 1024)]
public sealed class IndexModel(PortalService portal, PortalLimits limits) : PageModel
{
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? Category { get; set; }
    [BindProperty] public string? Latitude { get; set; }
    [BindProperty] public string? Longitude { get; set; }
    [BindProperty] public string? Address { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Phone { get; set; }
    /// <summary>One key per form shown, so that a double submission files one case.</summary>
    [BindProperty] public string? Key { get; set; }
    [BindProperty] public List<IFormFile> Photos { get; set; } = [];

    public string? Error { get; private set; }
    public string? ErrorField { get; private set; }
    public PortalOptions Options => portal.Options;

    public void OnGet() => Key = Guid.NewGuid().ToString();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!limits.Report(HttpContext))
            return Refuse("form", Pick("您提交得太频繁了，请一小时后再试。紧急情况请拨打 12345。",
                "You have sent too many reports: please try again in an hour. If it is urgent, call 12345."));
        try
        {
            if (Photos.Count > portal.Options.MaxPhotos) throw new PortalException("photos", Attachments.PhotoUploads.TooMany(portal.Options.MaxPhotos).Message);
            var photos = await Attachments.PhotoUploads.ReadAsync(Photos, portal.Options.MaxPhotoBytes, ct);
            var receipt = await portal.ReportAsync(new PortalReport(Description, Category, Latitude, Longitude, Address, Name, Phone), photos, Key, ct);
            TempData["portal-number"] = receipt.Number;
            TempData["portal-code"] = receipt.QueryCode;
            TempData["portal-replayed"] = receipt.Replayed;
            return RedirectToPage("/Portal/Done");
        }
        catch (PortalException ex)
        {
            return Refuse(ex.Field, ex.Message);
        }
    }

    IActionResult Refuse(string field, string message)
    {
        Error = message;
        ErrorField = field;
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }
}
