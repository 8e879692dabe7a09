using System.Security.Claims;
using CityLoop.Server.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Notifications;

/// <summary>The signed-in user's inbox, newest first; the same queries as /api/v1/notifications.</summary>
public sealed class IndexModel(CityLoopDb db, TimeProvider clock) : PageModel
{
    public IReadOnlyList<NotificationDto> Items { get; private set; } = [];

    Guid? Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (Me is { } me) Items = await NotificationEndpoints.ListAsync(db, me, unreadOnly: false, ct);
    }

    public async Task<IActionResult> OnPostReadAsync(Guid id, CancellationToken ct)
    {
        if (Me is { } me) await NotificationEndpoints.MarkReadAsync(db, me, id, clock.GetUtcNow(), ct);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostReadAllAsync(CancellationToken ct)
    {
        if (Me is { } me) await NotificationEndpoints.MarkAllReadAsync(db, me, clock.GetUtcNow(), ct);
        return RedirectToPage();
    }
}
