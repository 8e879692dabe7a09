using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reference.Pages;

/// <summary>Admin screen: upload a reference file of one kind and read the per-row error report.</summary>
[Authorize(Roles = "system-admin")]
public sealed class ImportsModel(ReferenceImporter importer, CurrentActor current, Audit audit) : PageModel
{
    [BindProperty] public string Kind { get; set; } = "grids";
    [BindProperty] public IFormFile? Upload { get; set; }
    public ImportReport? Report { get; private set; }
    public string? Problem { get; private set; }
    /// <summary>The kinds this administrator keeps: all at the root, their platform's departments and rules in a sub-centre.</summary>
    public IReadOnlyList<string> Kinds { get; private set; } = ReferenceImporter.Kinds;
    /// <summary>The sub-centre whose data this administrator imports; null at the root.</summary>
    public string? SubCentre { get; private set; }

    public async Task OnGetAsync()
    {
        var actor = await current.GetAsync();
        (Kinds, SubCentre) = (ReferenceImporter.KindsFor(actor), actor.PlatformCode);
        if (!Kinds.Contains(Kind)) Kind = Kinds[0];
    }

    public async Task OnPostAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        (Kinds, SubCentre) = (ReferenceImporter.KindsFor(actor), actor.PlatformCode);
        if (Upload is null || Upload.Length == 0 || !Kinds.Contains(Kind))
        {
            Problem = Ui.Pick("请选择数据类型并上传文件。", "Choose a kind of data and upload a file.");
            return;
        }
        await using var stream = Upload.OpenReadStream();
        try
        {
            Report = await importer.ImportAsync(Kind, Upload.FileName, stream, actor.Name, ct, actor.PlatformCode, actor.Id);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException)
        {
            Problem = ex.Message;
            return;
        }
        await audit.WriteAsync(actor.Id, actor.Name, "reference-import", Kind,
            detail: $"{Upload.FileName}: {Report.Inserted} inserted, {Report.Updated} updated, {Report.Errors.Count} rejected");
    }
}
