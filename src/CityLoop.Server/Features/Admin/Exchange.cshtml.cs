using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Exchange;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Admin;

/// <summary>The system administrator's view of the links to the peer platforms (三级联网): queue, oldest message, last error, last success.</summary>
public sealed class ExchangeModel(CurrentActor current, ExchangeStatus status) : PageModel
{
    public IReadOnlyList<PeerLinkDto> Peers { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.SystemAdmin) || !actor.AtRoot) return Forbid();
        Peers = await status.PeersAsync(actor, ct);
        return Page();
    }
}
