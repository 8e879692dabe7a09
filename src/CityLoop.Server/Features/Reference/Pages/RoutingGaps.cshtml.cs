using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reference.Pages;

/// <summary>Admin screen: leaf categories with no responsible department, per district and street.</summary>
[Authorize(Roles = "system-admin")]
public sealed class RoutingGapsModel(ReferenceAdmin admin, CityLoop.Server.Features.Identity.CurrentActor current) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Area { get; set; }
    [BindProperty(SupportsGet = true)] public bool Hotline { get; set; }
    public IReadOnlyList<RoutingGapDto> Gaps { get; private set; } = [];

    /// <summary>By the rules of the administrator's platform (a sub-centre's own; the root's at the root).</summary>
    public async Task OnGetAsync(CancellationToken ct) =>
        Gaps = await admin.GapsAsync(string.IsNullOrWhiteSpace(Area) ? null : Area.Trim(), Hotline, ct, (await current.GetAsync()).PlatformCode);
}
