using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityLoop.Server.Features.Imports;

/// <summary>The system administrator's upload of historical cases: the data file and its mapping, answered with the per-row report.</summary>
public static class CaseImportEndpoints
{
    /// <summary>Uploads beyond this go through the command line (import-cases), which streams from disk with a progress bar.</summary>
    /// <summary>Under the form reader's default multipart limit (128 MB); Kestrel's 30 MB body limit is raised for this route.</summary>
    public const long MaxUploadBytes = 120L * 1024 * 1024;

    public static void MapCaseImportEndpoints(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(AuthSetup.ApiPolicy);
        admin.MapPost("/case-imports", Import).DisableAntiforgery()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxUploadBytes));
    }

    static async Task<Ok<CaseImportReport>> Import(IFormFile? file, IFormFile? mapping, CurrentActor current, CaseImporter importer, Audit audit, CancellationToken ct)
    {
        var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
        if (file is null || file.Length == 0) throw CaseValidationException.Single("file", Shared.Ui.Pick("请以 multipart/form-data 的 file 字段上传数据文件。", "Upload the data file as multipart/form-data field 'file'."));
        if (mapping is null || mapping.Length == 0) throw CaseValidationException.Single("mapping", Shared.Ui.Pick("请以 multipart/form-data 的 mapping 字段上传字段映射文件。", "Upload the column-mapping file as multipart/form-data field 'mapping'."));
        return TypedResults.Ok(await RunAsync(file, mapping, actor, importer, audit, ct));
    }

    /// <summary>The API and the admin page share this: read the mapping, import, audit.</summary>
    public static async Task<CaseImportReport> RunAsync(IFormFile file, IFormFile mapping, Actor actor, CaseImporter importer, Audit audit, CancellationToken ct)
    {
        if (file.Length > MaxUploadBytes)
            throw CaseValidationException.Single("file", Shared.Ui.Pick($"上传的文件最大 {MaxUploadBytes / 1024 / 1024} MB，更大的文件请用命令行导入（import-cases）。", $"An upload has at most {MaxUploadBytes / 1024 / 1024} MB: import larger files with the command line (import-cases)."));
        if (mapping.Length > 1024 * 1024) throw CaseValidationException.Single("mapping", Shared.Ui.Pick("字段映射文件最大 1 MB。", "A mapping file has at most 1 MB."));
        ImportMapping parsed;
        using (var reader = new StreamReader(mapping.OpenReadStream()))
        {
            try
            {
                parsed = ImportMapping.Parse(await reader.ReadToEndAsync(ct));
            }
            catch (ArgumentException ex)
            {
                throw CaseValidationException.Single("mapping", ex.Message);
            }
        }
        await using var stream = file.OpenReadStream();
        CaseImportReport report;
        try
        {
            // A sub-centre's administrator imports onto their own platform (decision 026, addendum 2); the root's onto the root.
            report = await importer.ImportAsync(stream, file.FileName, parsed, ct: ct, subCentre: actor.PlatformCode);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException || ex.GetType().Namespace?.StartsWith("MiniExcelLibs", StringComparison.Ordinal) == true)
        {
            throw CaseValidationException.Single("file", Shared.Ui.Pick("无法读取该文件：", "The file cannot be read: ") + ex.Message);
        }
        await audit.WriteAsync(actor.Id, actor.Name, "case-import", parsed.Origin,
            detail: $"{file.FileName}{(actor.PlatformCode is { } sub ? " → " + sub : "")}: {report.Rows} rows, {report.Created} created, {report.AlreadyImported} already imported, {report.Rejected} rejected");
        return report;
    }
}
