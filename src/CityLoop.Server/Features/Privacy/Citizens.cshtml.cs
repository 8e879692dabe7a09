using System.Text.Json;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Privacy;

/// <summary>The security administrator's desk for citizens' requests: the same use cases as /api/v1/privacy/citizens.</summary>
public sealed class CitizensModel(CurrentActor current, CitizenData data) : PageModel
{
    [BindProperty] public string? Phone { get; set; }
    [BindProperty] public bool Confirm { get; set; }
    public CitizenLookupDto? Found { get; private set; }
    public CitizenEraseDto? Erased { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync() =>
        (await current.GetAsync()).AtRoot ? Page() : StatusCode(StatusCodes.Status403Forbidden);

    public async Task<IActionResult> OnPostLookupAsync(CancellationToken ct) =>
        await Try(async actor => { Found = await data.LookupAsync(Phone, actor, ct); return Page(); });

    public async Task<IActionResult> OnPostExportAsync(CancellationToken ct) =>
        await Try(async actor =>
        {
            var export = await data.ExportAsync(Phone, actor, ct);
            var json = new JsonSerializerOptions { WriteIndented = true };
            CityLoopApp.Json(json);
            Response.Headers.CacheControl = "no-store";
            return File(JsonSerializer.SerializeToUtf8Bytes(export, json), "application/json", $"citizen-data-{export.GeneratedAt:yyyyMMddHHmmss}.json");
        });

    public async Task<IActionResult> OnPostEraseAsync(CancellationToken ct) =>
        await Try(async actor =>
        {
            if (!Confirm)
            {
                Error = new DeskError(Ui.Pick("请先勾选确认：删除后无法恢复。", "Tick the confirmation first: erasure cannot be undone."), []);
                return Page();
            }
            Erased = await data.EraseAsync(Phone, actor, ct);
            return Page();
        });

    async Task<IActionResult> Try(Func<Domain.Identity.Actor, Task<IActionResult>> action)
    {
        var actor = await current.GetAsync();
        // The requests are the root's security administrators' (decision 026, addendum 2).
        if (!actor.AtRoot) return StatusCode(StatusCodes.Status403Forbidden);
        try
        {
            return await action(actor);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            return Page();
        }
    }
}
