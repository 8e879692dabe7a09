using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Pickers;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Inspector;

/// <summary>
/// 巡查上报 on the phone: category from the catalogue picker, the phone's GPS position, photos from the camera. Without
/// script the form posts here; with it, inspector.js sends it to POST /api/v1/patrol/reports and keeps it on the phone
/// while the connection is down. Either way the form's key makes a resend file one case.
/// </summary>
[RequestSizeLimit(64 * 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = 64 * 1024 * 1024)]
public sealed class ReportModel(CurrentActor current, InspectorDesk desk, ReferenceCache reference) : PageModel
{
    [BindProperty] public string? CategoryCode { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? Latitude { get; set; }
    [BindProperty] public string? Longitude { get; set; }
    [BindProperty] public string? Accuracy { get; set; }
    [BindProperty] public string? Address { get; set; }
    [BindProperty] public string? Key { get; set; }
    [BindProperty] public List<IFormFile> Photos { get; set; } = [];

    public string? Error { get; private set; }
    public string? ErrorField { get; private set; }
    public DeskError? Forbidden { get; private set; }

    public PickerField CategoryPicker => new("CategoryCode", FieldKind.Category, true, Ui.Pick("案件类别", "Category"),
        CategoryCode is { Length: > 0 } code ? [new PickerOption(code, reference.Catalogue.Current?.Find(code)?.Name ?? code)] : [],
        Field: "categoryCode", Id: "pick-category");

    public async Task<IActionResult> OnGetAsync()
    {
        if (await RefuseAsync()) return Page();
        Key = Guid.NewGuid().ToString();
        return Page();
    }

    async Task<bool> RefuseAsync()
    {
        var actor = await current.GetAsync();
        if (actor.Has(CityLoop.Domain.Identity.Role.Inspector)) return false;
        Forbidden = DeskErrors.Describe(new CaseForbiddenException(Shared.Ui.Pick("这些页面供监督员使用。", "These pages are the inspector's.")));
        Response.StatusCode = 403;
        return true;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (await RefuseAsync()) return Page();
        try
        {
            var photos = await Attachments.PhotoUploads.ReadAsync(Photos, InspectorDesk.MaxPhotoBytes, ct);
            var receipt = await desk.ReportAsync(await current.GetAsync(),
                new PatrolReportInput(CategoryCode, Description, Latitude, Longitude, Address, Accuracy), photos, Key, ct);
            TempData[nameof(IndexModel.Flash)] = Ui.Pick($"已上报：{receipt.Number}", $"Reported: {receipt.Number}");
            return Redirect("/inspector");
        }
        catch (PhoneException ex)
        {
            Error = ex.Message;
            ErrorField = ex.Field;
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
    }
}
