using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Maps;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using CityLoop.Domain.Cases;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Reference.Pages;

/// <summary>
/// The system administrator's gazetteer of named places (buildings, markets, road sections): list and search, add and
/// edit with a point clicked on the map, delete, import from CSV — what the agent desktop's address search finds.
/// </summary>
[Authorize(Roles = "system-admin")]
public sealed class PlacesModel(ReferenceAdmin admin, CurrentActor current, IOptions<MapOptions> map) : PageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;
    [BindProperty(SupportsGet = true)] public Guid? Edit { get; set; }
    [BindProperty] public PlaceForm Form { get; set; } = new();

    public PlacePageDto Places { get; private set; } = new([], 0, 1, PageSize);
    public PlaceDto? Editing { get; private set; }
    public IDictionary<string, string[]> Errors { get; private set; } = new Dictionary<string, string[]>();

    public string? Error(string field) => Errors.TryGetValue(field, out var e) && e.Length > 0 ? e[0] : null;
    public ImportReport? Report { get; private set; }
    public string? Message { get; private set; }
    public MapOptions Map => map.Value;
    /// <summary>A sub-centre's administrator keeps the places of their own area (decision 026, addendum 2); null at the root.</summary>
    public string? Area { get; private set; }

    public sealed class PlaceForm
    {
        public string? Name { get; set; }
        public string? Aliases { get; set; }
        public double? Lat { get; set; }
        public double? Lon { get; set; }
    }

    public async Task OnGetAsync(string? saved, CancellationToken ct)
    {
        Message = saved switch
        {
            "added" => Ui.Pick("地名已添加。", "The place was added."),
            "saved" => Ui.Pick("地名已保存。", "The place was saved."),
            "deleted" => Ui.Pick("地名已删除。", "The place was deleted."),
            _ => null,
        };
        await LoadAsync(ct);
        if (Editing is { } e) Form = new PlaceForm { Name = e.Name, Aliases = string.Join("、", e.Aliases), Lat = e.Lat, Lon = e.Lon };
    }

    async Task LoadAsync(CancellationToken ct)
    {
        if (InputLimits.TextProblem(Q, InputLimits.Short) is not null) Q = null;
        Area = (await current.GetAsync()).PlatformCode;
        Places = await admin.PlacesAsync(Q, PageNumber, PageSize, ct, Area);
        if (Edit is { } id)
            Editing = Places.Items.FirstOrDefault(p => p.Id == id) ?? (await admin.PlacesAsync(null, 1, 100_000, ct, Area)).Items.FirstOrDefault(p => p.Id == id);
    }

    public async Task<IActionResult> OnPostSaveAsync(Guid? id, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        var aliases = ReferenceAdmin.ParseAliases(Form.Aliases);
        try
        {
            if (id is { } existing) await admin.UpdatePlaceAsync(existing, Form.Name, Form.Lat, Form.Lon, aliases, actor, ct);
            else await admin.AddPlaceAsync(Form.Name, Form.Lat, Form.Lon, aliases, null, actor, ct);
        }
        catch (CaseForbiddenException ex)
        {
            // A point outside a sub-centre's area: said on the form, with the status the API gives.
            Errors = new Dictionary<string, string[]> { ["location"] = [ex.Message] };
            Edit = id;
            await LoadAsync(ct);
            Response.StatusCode = 403;
            return Page();
        }
        catch (CaseValidationException ex)
        {
            Errors = ex.Errors;
            Edit = id;
            await LoadAsync(ct);
            Response.StatusCode = 422;
            return Page();
        }
        return RedirectToPage(new { saved = id is null ? "added" : "saved", q = Q });
    }

    public async Task<IActionResult> OnPostDeleteAsync(Guid id, CancellationToken ct)
    {
        try
        {
            await admin.DeletePlaceAsync(id, await current.GetAsync(), ct);
        }
        catch (CaseForbiddenException)
        {
            return StatusCode(StatusCodes.Status403Forbidden);
        }
        return RedirectToPage(new { saved = "deleted", q = Q });
    }

    public async Task<IActionResult> OnPostImportAsync(IFormFile? file, CancellationToken ct)
    {
        if (file is null || file.Length == 0)
        {
            Errors = new Dictionary<string, string[]> { ["file"] = [Ui.Pick("请选择 CSV 文件。", "Choose a CSV file.")] };
        }
        else
        {
            using var reader = new StreamReader(file.OpenReadStream());
            Report = await admin.ImportPlacesAsync(await reader.ReadToEndAsync(ct), await current.GetAsync(), ct);
        }
        await LoadAsync(ct);
        return Page();
    }
}
