using System.Security.Claims;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Notifications;

/// <summary>One group of the inbox: the messages about one case, or of one kind, newest first.</summary>
public sealed record NotificationGroup(string Key, string Label, Guid? CaseId, int Count, int Unread, DateTimeOffset Latest, IReadOnlyList<NotificationDto> Items);

/// <summary>
/// The signed-in user's inbox grouped by case (default) or by kind (the 【…】 tag the message starts with), the group
/// with the newest message first, with counts; the same messages as /api/v1/notifications.
/// </summary>
public sealed class IndexModel(CityLoopDb db, TimeProvider clock) : PageModel
{
    /// <summary>Groups per page, messages shown per group, and how many of the newest messages are grouped.</summary>
    public const int GroupsPerPage = 25, ShownPerGroup = 10, Window = 2000;

    public IReadOnlyList<NotificationGroup> Groups { get; private set; } = [];
    public int Unread { get; private set; }
    public int Total { get; private set; }
    public int Pages { get; private set; } = 1;
    [BindProperty(SupportsGet = true)] public string By { get; set; } = "case";
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    Guid? Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (Me is not { } me) return;
        if (By is not ("case" or "kind")) By = "case";
        var items = (await db.Set<Notification>().AsNoTracking().Where(n => n.UserId == me).OrderByDescending(n => n.CreatedAt).Take(Window)
                .Select(n => new { n.Id, n.CaseId, n.Title, n.Body, n.Template, n.Fields, n.CreatedAt, n.ReadAt }).ToListAsync(ct))
            .Select(n => NotificationEndpoints.Dto(n.Id, n.CaseId, n.Title, n.Body, n.Template, n.Fields, n.CreatedAt, n.ReadAt)).ToList();
        Total = items.Count;
        Unread = await NotificationEndpoints.UnreadCountAsync(db, me, ct);
        var caseIds = items.Where(n => n.CaseId is not null).Select(n => n.CaseId!.Value).Distinct().ToArray();
        var numbers = By == "case"
            ? await db.Cases.AsNoTracking().Where(c => caseIds.Contains(c.Id)).Select(c => new { c.Id, c.Number, c.Title }).ToDictionaryAsync(c => c.Id, ct)
            : [];
        var groups = items.GroupBy(n => By == "case" ? n.CaseId?.ToString() ?? "" : Kind(n.Title))
            .Select(g =>
            {
                var list = g.ToList();
                Guid? caseId = By == "case" ? list[0].CaseId : null;
                var label = By == "kind" ? g.Key
                    : caseId is { } id && numbers.TryGetValue(id, out var c) ? c.Number + (c.Title is { } t ? " " + t : "")
                    : Ui.Pick("与案件无关的通知", "Not about a case");
                return new NotificationGroup(g.Key, label, caseId, list.Count, list.Count(n => n.ReadAt is null), list[0].CreatedAt, list.Take(ShownPerGroup).ToList());
            })
            // Groups with unread messages first, then the newest.
            .OrderByDescending(g => g.Unread > 0).ThenByDescending(g => g.Latest).ToList();
        Pages = Math.Max(1, (groups.Count + GroupsPerPage - 1) / GroupsPerPage);
        PageNumber = Math.Clamp(PageNumber, 1, Pages);
        Groups = groups.Skip((PageNumber - 1) * GroupsPerPage).Take(GroupsPerPage).ToList();
    }

    /// <summary>The kind of a message: the 【…】 tag its title starts with (【待办】, 【督办】 …; [To do] … in English), or "其他".</summary>
    public static string Kind(string title) =>
        title.StartsWith('【') && title.IndexOf('】') is > 1 and var end ? title[1..end]
        : title.StartsWith('[') && title.IndexOf(']') is > 1 and var close ? title[1..close]
        : Ui.Pick("其他", "Other");

    public async Task<IActionResult> OnPostReadAsync(Guid id, CancellationToken ct)
    {
        if (Me is { } me) await NotificationEndpoints.MarkReadAsync(db, me, id, clock.GetUtcNow(), ct);
        return RedirectToPage(new { by = By, p = PageNumber });
    }

    /// <summary>Marks read every message about one case (or, with no case, every message not about a case).</summary>
    public async Task<IActionResult> OnPostReadCaseAsync(Guid? caseId, CancellationToken ct)
    {
        if (Me is { } me)
        {
            var now = clock.GetUtcNow();
            foreach (var n in await db.Set<Notification>().Where(x => x.UserId == me && x.ReadAt == null && x.CaseId == caseId).ToListAsync(ct)) n.ReadAt = now;
            await db.SaveChangesAsync(ct);
        }
        return RedirectToPage(new { by = By, p = PageNumber });
    }

    public async Task<IActionResult> OnPostReadAllAsync(CancellationToken ct)
    {
        if (Me is { } me) await NotificationEndpoints.MarkAllReadAsync(db, me, clock.GetUtcNow(), ct);
        return RedirectToPage(new { by = By });
    }
}
