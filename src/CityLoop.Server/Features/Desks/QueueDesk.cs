using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Desks;

/// <summary>One tab of a desk: the states it gathers, ordered by their running clock's due instant.</summary>
public sealed record DeskTab(string Key, string Zh, string En, IReadOnlyList<CaseState> States)
{
    public string Name => Ui.Pick(Zh, En);
}

/// <summary>A case in a desk's list and on its map; the point is WGS-84 as stored.</summary>
public sealed record DeskCase(Guid Id, string Number, string State, string Light, string Text, string? Address, string? Place, string? Category,
    double? Lat, double? Lon, DateTimeOffset? DueAt, DateTimeOffset CreatedAt, bool Overdue, bool Urgent, string? LeadDepartment);

/// <summary>The case a desk has open beside its list: its facts, photos, the routing suggestion and the allowed actions' forms.</summary>
public sealed record DeskSelection(CaseDto Case, ActionForms Forms, RoutingDto? Routing, string? Category, string? Place,
    IReadOnlyList<AttachmentDto> Before, IReadOnlyList<AttachmentDto> After)
{
    /// <summary>Earlier open cases that may be the same problem, offered for 并案 where the user may merge this one now.</summary>
    public IReadOnlyList<Desk.DuplicateHint> Duplicates { get; init; } = [];
}

public sealed record DeskView(IReadOnlyList<DeskTab> Tabs, DeskTab Tab, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<DeskCase> Cases,
    DeskSelection? Selected, IReadOnlyDictionary<string, string> Departments, string Path)
{
    public string Url(string? tab = null, Guid? id = null)
    {
        var q = new List<string> { "tab=" + Uri.EscapeDataString(tab ?? Tab.Key) };
        if (id is { } g) q.Add("case=" + g);
        return Path + "?" + string.Join("&", q);
    }

    public string Department(string? code) => code is null ? "—" : Departments.GetValueOrDefault(code, code);
}

/// <summary>
/// What the map desk, the department inbox and the intake queue share: queues by state in deadline order (the same
/// visibility as every case read), and the open case with exactly the actions the transition table allows now.
/// </summary>
public sealed class QueueDesk(CaseQueries queries, CaseCommands commands, CityLoopDb db, ReferenceCache reference, ReferenceAdmin routing, TimeProvider clock,
    Desk.DeskQueries desk)
{
    public const int MaxListed = 300;

    public async Task<DeskView> LoadAsync(Actor actor, string path, IReadOnlyList<DeskTab> tabs, string? tabKey, Guid? selected, CancellationToken ct)
    {
        if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
        var tab = tabs.FirstOrDefault(t => t.Key == tabKey) ?? tabs[0];
        var visible = queries.Visible(actor, db.Cases.AsNoTracking());
        var all = tabs.SelectMany(t => t.States).Distinct().ToList();
        var byState = await visible.Where(c => all.Contains(c.State)).GroupBy(c => c.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var counts = tabs.ToDictionary(t => t.Key, t => byState.Where(s => t.States.Contains(s.Key)).Sum(s => s.Count));

        var states = tab.States;
        // Deadline first (an inbox); cases without a running clock after them, oldest first.
        var rows = await visible.Where(c => states.Contains(c.State))
            .OrderBy(c => c.ClockDueAt == null).ThenBy(c => c.ClockDueAt).ThenBy(c => c.CreatedAt).Take(MaxListed).ToListAsync(ct);
        var now = clock.GetUtcNow();
        var catalogue = reference.Catalogue.Current;
        var list = rows.Select(c => new DeskCase(c.Id, c.Number, c.State.Api(), CaseQueries.Light(c, now), Excerpt(c.Title ?? c.Description), c.Address,
            Place(c), c.CategoryCode is { } k ? catalogue?.Find(k)?.Name ?? k : null, c.Latitude, c.Longitude, c.CurrentDueAt, c.CreatedAt, c.IsOverdue,
            c.Urgency != Urgency.Normal, c.LeadDepartmentCode)).ToList();
        var departments = await db.DepartmentNamesAsync(ct);

        DeskSelection? selection = null;
        if (selected is { } id)
        {
            var c = await queries.GetAsync(actor, id, ct: ct);
            var dto = queries.ToDto(c, actor);
            var actions = CaseQueries.Actions(c, actor, commands.Context(actor));
            var attachments = await commands.AttachmentsAsync(c.Id, ct);
            var hint = actions.Any(a => a.Action is "dispatch" or "redispatch") || c.State == CaseState.PendingDispatch ? await routing.SuggestAsync(c, ct) : null;
            var (before, after) = Photos(attachments, c.DispatchedAt);
            // Back to the same case on the desk: its new state, and what may be done next.
            var returnUrl = path + "?tab=" + Uri.EscapeDataString(tab.Key) + "&case=" + c.Id;
            selection = new DeskSelection(dto, new ActionForms(dto, actions, attachments, hint, departments, ReturnUrl: returnUrl), hint,
                c.CategoryCode is { } key ? (reference.Catalogue.For(c.CatalogueVersion) ?? catalogue)?.Find(key)?.Name ?? key : null, Place(c), before, after)
            {
                Duplicates = actions.Any(a => a.Action == "merge") ? await MergeCandidatesAsync(actor, c, ct) : [],
            };
        }
        return new DeskView(tabs, tab, counts, list, selection, departments, path);
    }

    /// <summary>
    /// The likely duplicates the agent desktop would show for this case (same caller, same category nearby, same
    /// address, similar words) that it may be merged into: open, not itself, reported before it.
    /// </summary>
    async Task<IReadOnlyList<Desk.DuplicateHint>> MergeCandidatesAsync(Actor actor, Case c, CancellationToken ct)
    {
        if (!Desk.DeskQueries.MayUse(actor)) return [];
        var text = string.Join(" ", new[] { c.Title, c.Description }.OfType<string>());
        var hints = await desk.DuplicatesAsync(actor, new Desk.DuplicateQuery(text, c.CategoryCode, c.Address, c.Latitude, c.Longitude, c.ReporterPhone), 12, ct);
        return hints.Where(h => h.Id != c.Id && h.State.IsOpen()
                && (h.CreatedAt < c.CreatedAt || (h.CreatedAt == c.CreatedAt && string.CompareOrdinal(h.Number, c.Number) < 0)))
            .Take(5).ToList();
    }

    /// <summary>
    /// Photos before and after: what came with the report or before dispatch shows the problem; what the department or
    /// the check added after dispatch shows the result.
    /// </summary>
    public static (IReadOnlyList<AttachmentDto> Before, IReadOnlyList<AttachmentDto> After) Photos(IReadOnlyList<AttachmentDto> attachments, DateTimeOffset? dispatched)
    {
        var before = attachments.Where(a => dispatched is null || a.UploadedAt <= dispatched).ToList();
        var after = attachments.Where(a => dispatched is not null && a.UploadedAt > dispatched).ToList();
        return (before, after);
    }

    string? Place(Case c)
    {
        var divisions = reference.Geo.Divisions;
        var community = c.CommunityCode is { } cc ? divisions.Find(cc)?.Name : null;
        var street = c.StreetCode is { } sc ? divisions.Find(sc)?.Name : null;
        return street is null && community is null ? null : string.Join(" · ", new[] { street, community }.OfType<string>());
    }

    static string Excerpt(string text) => text.Length <= 60 ? text : text[..59] + "…";
}
