using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reference.Pages;

/// <summary>
/// The system administrator's grid assignment (decision 054): the grids by code, filtered by a district's, street's or
/// community's code, by inspector or to those without one; ticked grids (or every grid the filter finds) given to an
/// inspector or taken from theirs; and a grid's tenures.
/// </summary>
[Authorize(Roles = "system-admin")]
public sealed class GridsModel(GridAssignments grids, CurrentActor current) : PageModel
{
    public const int PageSize = 100;

    [BindProperty(SupportsGet = true)] public string? Prefix { get; set; }
    [BindProperty(SupportsGet = true)] public string? Inspector { get; set; }
    [BindProperty(SupportsGet = true)] public bool Unassigned { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;
    [BindProperty(SupportsGet = true)] public string? Tenures { get; set; }

    public GridPageDto Grids { get; private set; } = new([], 0, 1, PageSize);
    public IReadOnlyList<(string UserName, string DisplayName)> Inspectors { get; private set; } = [];
    public IReadOnlyList<GridTenureDto>? History { get; private set; }
    public string? Message { get; private set; }
    public string? Problem { get; private set; }

    public async Task OnGetAsync(string? assigned, int? changed, CancellationToken ct)
    {
        if (assigned is not null && changed is { } n)
            Message = assigned.Length == 0
                ? Ui.Pick($"已取消 {n} 个网格的监督员。", $"{n} grid(s) no longer have an inspector.")
                : Ui.Pick($"已将 {n} 个网格分配给 {assigned}。", $"{n} grid(s) given to {assigned}.");
        await LoadAsync(ct);
    }

    /// <summary>Gives the ticked grids (or, with <paramref name="all"/>, every grid of the filter, up to the limit) to an inspector, or none.</summary>
    public async Task<IActionResult> OnPostAssignAsync(List<string>? codes, string? to, bool all, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            var chosen = codes ?? [];
            if (all)
            {
                var every = await grids.ListAsync(Prefix, Inspector, Unassigned, 1, GridAssignments.MaxGrids, actor, ct, maxPageSize: GridAssignments.MaxGrids);
                if (every.Total > GridAssignments.MaxGrids)
                    throw CaseValidationException.Single("grids", Ui.Pick($"筛选出 {every.Total} 个网格，一次最多分配 {GridAssignments.MaxGrids} 个：请缩小范围。",
                        $"The filter finds {every.Total} grids; at most {GridAssignments.MaxGrids} at once: narrow it."));
                chosen = every.Items.Select(g => g.Code).ToList();
            }
            var result = await grids.AssignAsync(chosen, to, actor, ct);
            return RedirectToPage(new { prefix = Prefix, inspector = Inspector, unassigned = Unassigned, p = PageNumber, assigned = result.Inspector ?? "", changed = result.Changed });
        }
        catch (CaseValidationException ex)
        {
            Problem = string.Join(" ", ex.Errors.Values.SelectMany(v => v));
            Response.StatusCode = 422;
        }
        catch (CaseForbiddenException ex)
        {
            Problem = ex.Message;
            Response.StatusCode = 403;
        }
        await LoadAsync(ct);
        return Page();
    }

    async Task LoadAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        Inspectors = await grids.InspectorsAsync(actor, ct);
        try
        {
            Grids = await grids.ListAsync(Prefix, Inspector, Unassigned, PageNumber, PageSize, actor, ct);
            if (!string.IsNullOrWhiteSpace(Tenures)) History = await grids.HistoryAsync(Tenures, actor, ct);
        }
        catch (Exception ex) when (ex is CaseValidationException or CaseForbiddenException or Infrastructure.NotFoundException)
        {
            Problem ??= ex is CaseValidationException v ? string.Join(" ", v.Errors.Values.SelectMany(x => x)) : ex.Message;
            if (Response.StatusCode == 200) Response.StatusCode = ex is CaseForbiddenException ? 403 : ex is CaseValidationException ? 422 : 404;
        }
    }
}
