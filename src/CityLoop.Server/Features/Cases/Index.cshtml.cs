using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Cases;

/// <summary>The case list: the same filter and query as GET /api/v1/cases, dates read as local days.</summary>
public sealed class IndexModel(CurrentActor current, CaseQueries queries, CityLoopDb db, Ui ui) : PageModel
{
    public bool CanRead { get; private set; }
    public bool CanCreate { get; private set; }
    public PageDto<CaseSummaryDto>? Result { get; private set; }
    public DeskError? Error { get; private set; }
    public IReadOnlyDictionary<string, string> Departments { get; private set; } = new Dictionary<string, string>();

    public string? Q(string name) => Request.Query[name].FirstOrDefault();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        CanRead = CaseQueries.CanReadCases(actor);
        CanCreate = actor.Roles.Any(TransitionTable.CreateRoles.Contains);
        // Administrators work on their own pages: that is where they land.
        if (!CanRead)
            return Nav.AdminLanding(User) is { } landing ? LocalRedirect(landing)
                : actor.Has(Domain.Identity.Role.Display) ? LocalRedirect("/screen") : Page();
        Departments = await DepartmentNames(db, ct);
        try
        {
            Result = await queries.ListAsync(actor, CaseEndpoints.ParseFilter(WithLocalDays(Request.Query)), ct);
        }
        catch (CaseValidationException ex)
        {
            Error = DeskErrors.Describe(ex);
        }
        return Page();
    }

    public static async Task<IReadOnlyDictionary<string, string>> DepartmentNames(CityLoopDb db, CancellationToken ct) =>
        await db.DepartmentNamesAsync(ct);

    /// <summary>The date inputs give local days; the filter wants instants, "to" inclusive of its whole day.</summary>
    QueryCollection WithLocalDays(IQueryCollection query)
    {
        var values = query.ToDictionary(kv => kv.Key, kv => kv.Value);
        if (ui.ParseLocal(query["from"].FirstOrDefault()) is { } from) values["from"] = from.ToString("O");
        if (ui.ParseLocal(query["to"].FirstOrDefault()) is { } to) values["to"] = to.AddDays(1).ToString("O");
        return new QueryCollection(values);
    }

    public string PageUrl(int page)
    {
        var pairs = Request.Query.Where(kv => kv.Key != "page").SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v))).ToList();
        pairs.Add(new("page", page.ToString()));
        return "/Cases" + QueryString.Create(pairs);
    }
}
