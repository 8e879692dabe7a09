using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Knowledge;

public sealed class ArticleForm
{
    public string? Title { get; set; }
    public string? Answer { get; set; }
    public string? Body { get; set; }
    public string? Keywords { get; set; }
    public string? CategoryCode { get; set; }
    public string? OwnerDepartment { get; set; }
    public DateOnly? ValidFrom { get; set; }
    public DateOnly? ValidTo { get; set; }
    public int? Version { get; set; }

    public ArticleRequest ToRequest() => new(Title, Answer, Body, Keywords, CategoryCode, OwnerDepartment, ValidFrom, ValidTo, Version);
}

/// <summary>The knowledge editor's form: a new article, or a change with the version read (nobody's edit is overwritten).</summary>
public sealed class EditModel(CurrentActor current, KnowledgeBase kb) : PageModel
{
    [BindProperty] public ArticleForm Form { get; set; } = new();
    public Guid? Id { get; private set; }
    public string? CategoryName { get; private set; }
    public IReadOnlyList<(string Code, string Name)> Departments { get; private set; } = [];
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid? id, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.KnowledgeEditor)) return Forbid();
        Id = id;
        if (id is { } existing)
        {
            var a = await kb.GetAsync(actor, existing, ct);
            if (!await kb.MayEditAsync(actor, a, ct)) return StatusCode(StatusCodes.Status403Forbidden);
            Form = new ArticleForm
            {
                Title = a.Title, Answer = a.Answer, Body = a.Body, Keywords = a.Keywords, CategoryCode = a.CategoryCode, OwnerDepartment = a.OwnerDepartment,
                ValidFrom = a.ValidFrom, ValidTo = a.ValidTo, Version = a.Version,
            };
        }
        else Form.ValidFrom = kb.Today;
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid? id, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.KnowledgeEditor)) return Forbid();
        Id = id;
        try
        {
            var saved = id is { } existing ? await kb.UpdateAsync(actor, existing, Form.ToRequest(), ct) : await kb.CreateAsync(actor, Form.ToRequest(), ct);
            return Redirect($"/Knowledge/{saved.Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            await LoadAsync(ct);
            return Page();
        }
    }

    async Task LoadAsync(CancellationToken ct)
    {
        // The editor's own platform's departments (all of them at the root); the article's present owner stays listed.
        Departments = await kb.OwnerDepartmentsAsync(await current.GetAsync(), Form.OwnerDepartment, ct);
        CategoryName = kb.CategoryName(Form.CategoryCode);
    }
}
