using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reference.Pages;

/// <summary>Admin screen: the current catalogue version with its filing conditions; saving a condition makes a new version.</summary>
[Authorize(Roles = "system-admin")]
public sealed class CategoriesModel(ReferenceCache cache, ReferenceImporter importer, CurrentActor current, Audit audit) : PageModel
{
    [BindProperty(SupportsGet = true)] public string Kind { get; set; } = "component";
    public CatalogueVersion? Catalogue { get; private set; }
    public string? Message { get; private set; }
    /// <summary>Whether the conditions may be edited here: by the root's administrator; a sub-centre's reads them.</summary>
    public bool MayEdit { get; private set; }

    public async Task OnGetAsync(string? saved)
    {
        MayEdit = (await current.GetAsync()).AtRoot;
        Catalogue = cache.Catalogue.Current;
        if (saved is not null)
            Message = Shared.Ui.Pick($"已保存为目录第 {saved} 版；此前立案的案件仍按原版本执行。", $"Saved as version {saved} of the catalogue; cases filed before keep the version they were filed under.");
    }

    public async Task<IActionResult> OnPostAsync(string code, string timeLimit, string closingStandard, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.AtRoot) return StatusCode(StatusCodes.Status403Forbidden);
        MayEdit = true;
        try
        {
            var version = await importer.EditConditionAsync(code, timeLimit?.Trim() ?? "", closingStandard ?? "", actor.Name, ct);
            await audit.WriteAsync(actor.Id, actor.Name, "catalogue-edit", code, detail: $"version {version}: {timeLimit}");
            return RedirectToPage(new { Kind, saved = version });
        }
        catch (Exception ex) when (ex is CaseValidationException or NotFoundException)
        {
            Catalogue = cache.Catalogue.Current;
            Message = ex is CaseValidationException v ? string.Join(" ", v.Errors.SelectMany(e => e.Value)) : ex.Message;
            return Page();
        }
    }
}
