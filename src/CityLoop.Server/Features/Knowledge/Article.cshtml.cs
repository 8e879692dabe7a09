using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Knowledge;

public sealed class ArticleModel(CurrentActor current, KnowledgeBase kb) : PageModel
{
    public ArticleDto Article { get; private set; } = null!;
    public bool Editor { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!KnowledgeBase.MayRead(actor)) return Forbid();
        Article = await kb.GetAsync(actor, id, ct);
        // A sub-centre's editor reads the city's shared articles but edits their own platform's only.
        Editor = await kb.MayEditAsync(actor, Article, ct);
        return Page();
    }
}
