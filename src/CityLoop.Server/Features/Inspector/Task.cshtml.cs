using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Inspector;

/// <summary>One 核实 or 核查 task on the phone: what to look at, and the verdict with photos in one step.</summary>
[RequestSizeLimit(64 * 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = 64 * 1024 * 1024)]
public sealed class TaskModel(CurrentActor current, InspectorDesk desk, CaseCommands commands, CityLoopDb db, ReferenceCache reference, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public Guid Id { get; set; }
    [BindProperty] public string? Verdict { get; set; }
    [BindProperty] public string? Opinion { get; set; }
    [BindProperty] public int? Version { get; set; }
    [BindProperty] public List<IFormFile> Photos { get; set; } = [];

    public Case? Case { get; private set; }
    public TaskKind Kind { get; private set; }
    public string? CategoryName { get; private set; }
    public string? Result { get; private set; }
    public IReadOnlyList<AttachmentDto> Attachments { get; private set; } = [];
    public DeskError? Error { get; private set; }
    public string? FieldError { get; private set; }
    public string? ErrorField { get; private set; }
    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            var photos = await Features.Attachments.PhotoUploads.ReadAsync(Photos, InspectorDesk.MaxPhotoBytes, ct);
            var c = await desk.CompleteAsync(actor, Id, new TaskVerdict(InspectorEndpoints.ParseVerdict(Verdict), Opinion, Version), photos, ct);
            TempData[nameof(IndexModel.Flash)] = Ui.Pick($"已完成：{c.Number}（{Labels.State(c.State)}）", $"Done: {c.Number} ({Labels.State(c.State)})");
            return Redirect("/inspector");
        }
        catch (PhoneException ex)
        {
            FieldError = ex.Message;
            ErrorField = ex.Field;
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            if (Response.StatusCode == 200) Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }
    }

    async Task LoadAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            (Case, Kind) = await desk.TaskAsync(actor, Id, ct);
            CategoryName = Case.CategoryCode is { } key ? reference.Catalogue.Current?.Find(key)?.Name : null;
            Result = Case.Result;
            Attachments = await commands.AttachmentsAsync(Case.Id, ct);
            Version ??= Case.Version;
            if (Request.Method == "GET") Version = Case.Version;
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Case = null;
            Error ??= error;
            Response.StatusCode = ex is Infrastructure.NotFoundException ? 404 : ex is CaseForbiddenException ? 403 : 409;
        }
    }
}
