using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Imports.Pages;

/// <summary>Admin screen: upload historical cases with their mapping file and read the per-row report.</summary>
[Authorize(Roles = "system-admin")]
[RequestFormLimits(MultipartBodyLengthLimit = CaseImportEndpoints.MaxUploadBytes)]
[RequestSizeLimit(CaseImportEndpoints.MaxUploadBytes)]
public sealed class CaseImportsModel(CaseImporter importer, CurrentActor current, Audit audit) : PageModel
{
    [BindProperty] public IFormFile? Upload { get; set; }
    [BindProperty] public IFormFile? Mapping { get; set; }
    public CaseImportReport? Report { get; private set; }
    public string? Problem { get; private set; }
    /// <summary>The sub-centre the cases land on when its administrator imports (decision 026, addendum 2); null at the root.</summary>
    public string? SubCentre { get; private set; }

    public async Task OnGetAsync() => SubCentre = (await current.GetAsync()).PlatformCode;

    public async Task OnPostAsync(CancellationToken ct)
    {
        SubCentre = (await current.GetAsync()).PlatformCode;
        if (Upload is null || Upload.Length == 0 || Mapping is null || Mapping.Length == 0)
        {
            Problem = Shared.Ui.Pick("请同时上传数据文件和字段映射文件。", "Upload both the data file and its mapping file.");
            return;
        }
        try
        {
            Report = await CaseImportEndpoints.RunAsync(Upload, Mapping, await current.GetAsync(), importer, audit, ct);
        }
        catch (CaseValidationException ex)
        {
            Problem = string.Join(" ", ex.Errors.SelectMany(e => e.Value));
        }
    }
}
