using CityLoop.Server.Features.Identity;
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

    public void OnGet() { }

    public async Task OnPostAsync(CancellationToken ct)
    {
        if (Upload is null || Upload.Length == 0 || !ReferenceImporter.Kinds.Contains(Kind))
        {
            Problem = Shared.Ui.Pick("请选择数据类型并上传文件。", "Choose the kind of data and upload a file.");
            return;
        }
        var actor = await current.GetAsync();
        await using var stream = Upload.OpenReadStream();
        try
        {
            Report = await importer.ImportAsync(Kind, Upload.FileName, stream, actor.Name, ct);
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
