using CityLoop.Server.Features.Calls;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Desk;

/// <summary>未接来电回拨: every missed call is called back (12345 policy); marking one done records who and when.</summary>
public sealed class CallbacksModel(CurrentActor current, CallLog calls) : PageModel
{
    public IReadOnlyList<CallDto> Open { get; private set; } = [];
    public IReadOnlyList<CallDto> Done { get; private set; } = [];
    public bool MayCallBack { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Roles.Any(CallLog.Readers.Contains)) return Forbid();
        await LoadAsync(actor, ct);
        return Page();
    }

    /// <summary>Records the call-back; with htmx only the row is replaced.</summary>
    public async Task<IActionResult> OnPostAsync(Guid id, bool reached, string? note, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Roles.Any(CallLog.Readers.Contains)) return Forbid();
        try
        {
            var done = await calls.CallBackAsync(id, new CallbackRequest(reached, note), actor, ct);
            if (Request.Headers.ContainsKey("HX-Request")) return Partial("_CallbackRow", new CallbackRowView(done, false, null));
            return RedirectToPage();
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            var call = Request.Headers.ContainsKey("HX-Request")
                ? (await calls.CallbacksAsync(actor, false, ct: ct)).Concat(await calls.CallbacksAsync(actor, true, ct: ct)).FirstOrDefault(c => c.Id == id)
                : null;
            if (call is not null)
                return Partial("_CallbackRow", new CallbackRowView(call, call.Callback is null && actor.Roles.Any(CallLog.CallbackRoles.Contains), error));
            Error = error;
            await LoadAsync(actor, ct);
            return Page();
        }
    }

    async Task LoadAsync(Domain.Identity.Actor actor, CancellationToken ct)
    {
        MayCallBack = actor.Roles.Any(CallLog.CallbackRoles.Contains);
        Open = await calls.CallbacksAsync(actor, false, ct: ct);
        Done = await calls.CallbacksAsync(actor, true, 50, ct);
    }
}

public sealed record CallbackRowView(CallDto Call, bool MayCallBack, DeskError? Error);
