using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Search;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Knowledge;

public sealed record ArticleRequest(string? Title, string? Answer, string? Body, string? Keywords, string? CategoryCode, string? OwnerDepartment,
    DateOnly? ValidFrom, DateOnly? ValidTo, int? Version = null);

public sealed record ArticleDto(Guid Id, string Title, string Answer, string? Body, string? Keywords, string? CategoryCode, string? CategoryName,
    string OwnerDepartment, string? OwnerDepartmentName, DateOnly ValidFrom, DateOnly? ValidTo, bool Valid, string UpdatedBy, DateTimeOffset UpdatedAt,
    int Version, int Uses);

public sealed record ArticleHitDto(Guid Id, string Title, string Answer, string? CategoryCode, string? CategoryName, string OwnerDepartment,
    DateOnly ValidFrom, DateOnly? ValidTo, bool Valid, double Score);

public sealed record AnswerWithArticleRequest(Guid? CaseId, int? Version);

/// <summary>
/// The knowledge base (知识库): knowledge editors write articles; everyone at a case desk reads and searches them. The
/// search is the bigram search of the case list (decision 013) over the article's title, keywords, answer and body;
/// suggestions rank articles by how many of the typed text's terms they hold.
/// </summary>
public sealed class KnowledgeBase(CityLoopDb db, ReferenceCache reference, TimeProvider clock, IOptions<PlatformOptions> platform, CaseCommands commands,
    CaseQueries queries)
{
    public const string Table = "knowledge_articles";
    /// <summary>The note a case gets when an article answered it; its payload names the article.</summary>
    public const string UsedNote = "knowledge-used";
    const int MaxSuggestTerms = 64;

    public static bool MayRead(Actor actor) => actor.Has(Role.KnowledgeEditor) || actor.Roles.Any(Roles.CaseReaders.Contains);

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), platform.Value.Zone).DateTime);

    /// <summary>Articles whose texts contain every term of the query (all articles without one), valid today unless all are asked for.</summary>
    public async Task<IReadOnlyList<ArticleHitDto>> SearchAsync(Actor actor, string? q, string? category, bool includeInvalid, int take = 50, CancellationToken ct = default)
    {
        ReadGuard(actor);
        var query = Visible(actor, db.Set<KnowledgeArticle>().AsNoTracking());
        var terms = Bigrams.Query(q);
        if (!string.IsNullOrWhiteSpace(q))
        {
            if (terms.Count == 0) return [];
            var ids = BigramSearch.Keys<Guid>(db, Table, "id", terms);
            query = query.Where(a => ids.Contains(a.Id));
        }
        if (!string.IsNullOrWhiteSpace(category)) query = WithCategory(query, category.Trim());
        var today = Today;
        if (!includeInvalid) query = query.Where(a => a.ValidFrom <= today && (a.ValidTo == null || a.ValidTo >= today));
        var articles = await query.OrderByDescending(a => a.UpdatedAt).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct);
        return articles.Select(a => Hit(a, 1)).ToList();
    }

    /// <summary>
    /// Articles for a text being typed (the description of a call): any article holding some of its terms, ranked by how
    /// many of them it holds, the category chosen counting extra. Only articles valid today.
    /// </summary>
    public async Task<IReadOnlyList<ArticleHitDto>> SuggestAsync(Actor actor, string? text, string? category, int take = 5, CancellationToken ct = default)
    {
        ReadGuard(actor);
        var terms = Bigrams.Query(text);
        var today = Today;
        var valid = Visible(actor, db.Set<KnowledgeArticle>().AsNoTracking()).Where(a => a.ValidFrom <= today && (a.ValidTo == null || a.ValidTo >= today));
        List<KnowledgeArticle> candidates;
        if (terms.Count > 0)
        {
            // Lone characters match too many articles as prefixes: suggestions rest on the pairs and words.
            var useful = terms.Where(t => !(t.Prefix && t.Text.Length == 1)).ToList();
            if (useful.Count == 0) useful = terms.ToList();
            // A long text gives hundreds of pairs; its first ones are enough to find candidates, and keep the query small.
            useful = useful.Take(MaxSuggestTerms).ToList();
            var ids = BigramSearch.AnyKeys<Guid>(db, Table, "id", useful);
            candidates = await valid.Where(a => ids.Contains(a.Id)).Take(500).ToListAsync(ct);
            terms = useful;
        }
        else if (!string.IsNullOrWhiteSpace(category))
            candidates = await WithCategory(valid, category.Trim()).OrderByDescending(a => a.UpdatedAt).Take(take).ToListAsync(ct);
        else return [];
        var cat = string.IsNullOrWhiteSpace(category) ? null : category.Trim();
        // Ranked by how many of the text's terms an article holds (at least two, or all of a shorter text), the chosen
        // category counting as one more; the score shown is the share of the text's terms matched.
        var needed = Math.Min(2, terms.Count);
        return candidates
            .Select(a => (Article: a, Matched: BigramSearch.Overlap(terms, a.SearchTerms),
                InCategory: cat is not null && a.CategoryCode is not null && (a.CategoryCode == cat || cat.StartsWith(a.CategoryCode, StringComparison.Ordinal))))
            .Where(x => terms.Count == 0 ? x.InCategory : x.Matched >= needed)
            .OrderByDescending(x => x.Matched + (x.InCategory ? 1 : 0)).ThenByDescending(x => x.Article.UpdatedAt).Take(take)
            .Select(x => Hit(x.Article, terms.Count == 0 ? 0 : Math.Round((double)x.Matched / terms.Count, 3))).ToList();
    }

    public async Task<ArticleDto> GetAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        ReadGuard(actor);
        var a = await Visible(actor, db.Set<KnowledgeArticle>().AsNoTracking()).FirstOrDefaultAsync(x => x.Id == id, ct)
            ?? throw new NotFoundException($"Knowledge article {id} does not exist.");
        return await DtoAsync(a, ct);
    }

    public async Task<ArticleDto> CreateAsync(Actor actor, ArticleRequest body, CancellationToken ct = default)
    {
        WriteGuard(actor);
        var a = new KnowledgeArticle { CreatedBy = actor.Id, CreatedByName = actor.Name, CreatedAt = clock.GetUtcNow() };
        await ApplyAsync(a, body, actor, ct);
        db.Set<KnowledgeArticle>().Add(a);
        await db.SaveChangesAsync(ct);
        return await DtoAsync(a, ct);
    }

    public async Task<ArticleDto> UpdateAsync(Actor actor, Guid id, ArticleRequest body, CancellationToken ct = default)
    {
        WriteGuard(actor);
        var a = await Visible(actor, db.Set<KnowledgeArticle>()).FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Knowledge article {id} does not exist.");
        if (body.Version is null) throw CaseValidationException.Single("version", "Send the version you edited, so that nobody's change is overwritten.");
        if (body.Version != a.Version) throw new ConflictException($"The article is at version {a.Version}, not {body.Version}: someone else changed it; reload it.");
        // A sub-centre's editor edits the articles its own departments answer for; the others are read-only to them.
        if (!await OwnsAsync(actor, a.OwnerDepartmentCode, ct))
            throw new CaseForbiddenException(Shared.Ui.Pick("本文章由其他平台的单位负责，分中心的知识库编辑只能修改本平台单位负责的文章。",
                "Another platform's department answers for this article: a sub-centre's editor edits their own platform's articles only."));
        await ApplyAsync(a, body, actor, ct);
        a.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConflictException("Someone else changed the article first: reload it.");
        }
        return await DtoAsync(a, ct);
    }

    /// <summary>
    /// 直接办结 with an article: the case is answered with the article's answer and the article is noted on it, in one
    /// unit of work of <see cref="CaseCommands"/> (the transition table decides whether the actor may answer now).
    /// </summary>
    public async Task<Case> AnswerAsync(Actor actor, Guid articleId, Guid caseId, int? expectedVersion, CancellationToken ct = default)
    {
        ReadGuard(actor);
        var a = await Visible(actor, db.Set<KnowledgeArticle>().AsNoTracking()).FirstOrDefaultAsync(x => x.Id == articleId, ct)
            ?? throw new NotFoundException($"Knowledge article {articleId} does not exist.");
        if (!a.ValidOn(Today)) throw new CaseRuleException("knowledge-article-not-valid", $"The article \"{a.Title}\" is not valid today: it cannot answer a case.");
        var c = await queries.GetAsync(actor, caseId, track: true, ct);
        if (expectedVersion is not null && expectedVersion != c.Version)
            throw new ConcurrencyConflictException($"The case is at version {c.Version}, not {expectedVersion}: reload it and decide again.", c.State, c.Version);
        await commands.ChangeAsync([c], actor, (x, ctx) =>
        {
            x.Note(UsedNote, ctx, payload: new { articleId = a.Id, article = a.Title, articleVersion = a.Version });
            x.Perform(CaseAction.AnswerDirectly, new ActionInput { Answer = a.Answer }, ctx);
        }, ct: ct);
        return c;
    }

    /// <summary>The articles noted on a case, in the order they were used.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Title)>> UsedOnAsync(Guid caseId, CancellationToken ct = default)
    {
        var payloads = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId && e.Action == UsedNote).OrderBy(e => e.Seq)
            .Select(e => e.Payload).ToListAsync(ct);
        return payloads.Select(ParseUse).OfType<(Guid, string)>().ToList();
    }

    static (Guid, string)? ParseUse(string? payload)
    {
        if (payload is null) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(payload);
        return doc.RootElement.TryGetProperty("articleId", out var id) && id.TryGetGuid(out var g)
            ? (g, doc.RootElement.TryGetProperty("article", out var t) ? t.GetString() ?? "" : "") : null;
    }

    /// <summary>
    /// The departments an editor may name as an article's owner (decision 026, addendum): a sub-centre's editor their own
    /// platform's, the root's editors every platform's; in use, by code.
    /// </summary>
    public async Task<IReadOnlyList<(string Code, string Name)>> OwnerDepartmentsAsync(Actor actor, string? keep = null, CancellationToken ct = default)
    {
        var platformCode = actor.PlatformCode;
        return (await db.Departments.AsNoTracking().Where(d => (platformCode == null || d.PlatformCode == platformCode) && (!d.Disabled || d.Code == keep))
                .OrderBy(d => d.Code).Select(d => new { d.Code, d.Name }).ToListAsync(ct))
            .Select(d => (d.Code, d.Name)).ToList();
    }

    /// <summary>
    /// The articles a person reads (decision 026, addendum 2). An article belongs to the platform of the department
    /// answerable for it, as a routing rule belongs to its lead department's: the city's articles (owned by the root's
    /// departments) are shared with every sub-centre — city-wide policy answers the same call anywhere in the city — and a
    /// sub-centre's are its own. A sub-centre's staff read the city's and their own, never another sub-centre's (404); the
    /// root's staff and the channels read all. An article whose department is gone is the root's to read.
    /// </summary>
    public IQueryable<KnowledgeArticle> Visible(Actor actor, IQueryable<KnowledgeArticle> articles)
    {
        if (actor.PlatformCode is not { } platformCode) return articles;
        var others = db.Departments.Where(d => d.PlatformCode != null && d.PlatformCode != platformCode).Select(d => d.Code);
        return articles.Where(a => !others.Contains(a.OwnerDepartmentCode));
    }

    /// <summary>Whether the person may edit the article: a knowledge editor of the article's platform, or of the root.</summary>
    public async Task<bool> MayEditAsync(Actor actor, ArticleDto article, CancellationToken ct = default) =>
        actor.Has(Role.KnowledgeEditor) && await OwnsAsync(actor, article.OwnerDepartment, ct);

    /// <summary>Whether the editor's platform holds the department (any department at the root).</summary>
    async Task<bool> OwnsAsync(Actor actor, string? department, CancellationToken ct)
    {
        if (actor.AtRoot) return true;
        var platformCode = actor.PlatformCode;
        return department is not null && await db.Departments.AsNoTracking().AnyAsync(d => d.Code == department && d.PlatformCode == platformCode, ct);
    }

    async Task ApplyAsync(KnowledgeArticle a, ArticleRequest body, Actor actor, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        void Text(string name, string? value, int max, bool required)
        {
            if (required && string.IsNullOrWhiteSpace(value)) errors[name] = ["Required."];
            else if (value is { } v && v.Length > max) errors[name] = [$"At most {max} characters."];
        }
        Text("title", body.Title, 200, true);
        Text("answer", body.Answer, 2000, true);
        Text("body", body.Body, 8000, false);
        Text("keywords", body.Keywords, 200, false);
        var catalogue = reference.Catalogue.Current;
        var category = string.IsNullOrWhiteSpace(body.CategoryCode) ? null : body.CategoryCode.Trim();
        if (category is not null && catalogue?.Find(category) is null) errors["categoryCode"] = [$"There is no category '{category}'."];
        var owner = body.OwnerDepartment?.Trim();
        if (string.IsNullOrEmpty(owner)) errors["ownerDepartment"] = ["Name the department answerable for the article."];
        else if (!await db.Departments.AsNoTracking().AnyAsync(d => d.Code == owner, ct)) errors["ownerDepartment"] = [$"There is no department '{owner}'."];
        else if (!await OwnsAsync(actor, owner, ct))
            errors["ownerDepartment"] = [Shared.Ui.Pick($"单位“{owner}”不属于本平台：分中心的文章由本平台的单位负责。",
                $"The department '{owner}' is not of your platform: a sub-centre's articles are owned by its own departments.")];
        if (body.ValidFrom is null) errors["validFrom"] = ["Give the first day the article applies."];
        if (body.ValidTo is not null && body.ValidFrom is not null && body.ValidTo < body.ValidFrom) errors["validTo"] = ["The last day is on or after the first."];
        if (errors.Count > 0) throw new CaseValidationException(errors);
        a.Title = body.Title!.Trim();
        a.Answer = body.Answer!.Trim();
        a.Body = string.IsNullOrWhiteSpace(body.Body) ? null : body.Body.Trim();
        a.Keywords = string.IsNullOrWhiteSpace(body.Keywords) ? null : body.Keywords.Trim();
        a.CategoryCode = category;
        a.OwnerDepartmentCode = owner!;
        a.ValidFrom = body.ValidFrom!.Value;
        a.ValidTo = body.ValidTo;
        a.UpdatedBy = actor.Id;
        a.UpdatedByName = actor.Name;
        a.UpdatedAt = clock.GetUtcNow();
        a.Index();
    }

    /// <summary>An article's category applies to its subcategories too: 市容环境 answers a call about 暴露垃圾.</summary>
    static IQueryable<KnowledgeArticle> WithCategory(IQueryable<KnowledgeArticle> q, string category) =>
        q.Where(a => a.CategoryCode != null && (a.CategoryCode == category || category.StartsWith(a.CategoryCode)));

    async Task<ArticleDto> DtoAsync(KnowledgeArticle a, CancellationToken ct)
    {
        var dept = await db.Departments.AsNoTracking().Where(d => d.Code == a.OwnerDepartmentCode).Select(d => d.Name).FirstOrDefaultAsync(ct);
        var idText = a.Id.ToString();
        var uses = await db.CaseEvents.AsNoTracking().CountAsync(e => e.Action == UsedNote && e.Payload!.Contains(idText), ct);
        return new ArticleDto(a.Id, a.Title, a.Answer, a.Body, a.Keywords, a.CategoryCode, CategoryName(a.CategoryCode), a.OwnerDepartmentCode, dept,
            a.ValidFrom, a.ValidTo, a.ValidOn(Today), a.UpdatedByName, a.UpdatedAt, a.Version, uses);
    }

    ArticleHitDto Hit(KnowledgeArticle a, double score) => new(a.Id, a.Title, a.Answer, a.CategoryCode, CategoryName(a.CategoryCode),
        a.OwnerDepartmentCode, a.ValidFrom, a.ValidTo, a.ValidOn(Today), score);

    public string? CategoryName(string? code) => code is null ? null : reference.Catalogue.Current?.Find(code)?.Name;

    static void ReadGuard(Actor actor)
    {
        if (!MayRead(actor)) throw new CaseForbiddenException("The knowledge base is for case desks and knowledge editors.");
    }

    static void WriteGuard(Actor actor)
    {
        if (!actor.Has(Role.KnowledgeEditor)) throw new CaseForbiddenException("Articles are written by the knowledge-editor role.");
    }
}
