using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Knowledge;

/// <summary>知识库: search by any words (Chinese by character pairs), the results refresh as one types (htmx).</summary>
public sealed class IndexModel(CurrentActor current, KnowledgeBase kb) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public bool All { get; set; }
    public IReadOnlyList<ArticleHitDto> Articles { get; private set; } = [];
    public bool Editor { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!KnowledgeBase.MayRead(actor)) return Forbid();
        Editor = actor.Has(Role.KnowledgeEditor);
        Articles = await kb.SearchAsync(actor, Q, null, All, 100, ct);
        return Request.Headers.ContainsKey("HX-Request") ? Partial("_Results", this) : Page();
    }
}
