using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityLoop.Server.Features.Knowledge;

public static class KnowledgeEndpoints
{
    public static void MapKnowledgeEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/knowledge").WithTags("Knowledge").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/", Search).WithName("SearchKnowledge");
        g.MapGet("/suggest", Suggest).WithName("SuggestKnowledge");
        g.MapGet("/{id:guid}", Get).WithName("GetKnowledgeArticle");
        g.MapPost("/", Create).WithName("CreateKnowledgeArticle");
        g.MapPut("/{id:guid}", Update).WithName("UpdateKnowledgeArticle");
        g.MapPost("/{id:guid}/answer", Answer).WithName("AnswerWithKnowledgeArticle");
    }

    /// <summary>Full-text search (Chinese by character pairs), by category; valid articles only unless all=true.</summary>
    static async Task<Ok<IReadOnlyList<ArticleHitDto>>> Search(string? q, string? category, bool? all, CurrentActor current, KnowledgeBase kb, CancellationToken ct) =>
        TypedResults.Ok(await kb.SearchAsync(await current.GetAsync(), q, category, all ?? false, ct: ct));

    /// <summary>Articles for a text being typed (a call's description), best first.</summary>
    static async Task<Ok<IReadOnlyList<ArticleHitDto>>> Suggest(string? text, string? category, CurrentActor current, KnowledgeBase kb, CancellationToken ct) =>
        TypedResults.Ok(await kb.SuggestAsync(await current.GetAsync(), text, category, ct: ct));

    static async Task<Ok<ArticleDto>> Get(Guid id, CurrentActor current, KnowledgeBase kb, CancellationToken ct) =>
        TypedResults.Ok(await kb.GetAsync(await current.GetAsync(), id, ct));

    static async Task<Created<ArticleDto>> Create(ArticleRequest body, CurrentActor current, KnowledgeBase kb, CancellationToken ct)
    {
        var dto = await kb.CreateAsync(await current.GetAsync(), body, ct);
        return TypedResults.Created($"/api/v1/knowledge/{dto.Id}", dto);
    }

    static async Task<Ok<ArticleDto>> Update(Guid id, ArticleRequest body, CurrentActor current, KnowledgeBase kb, CancellationToken ct) =>
        TypedResults.Ok(await kb.UpdateAsync(await current.GetAsync(), id, body, ct));

    /// <summary>Answers a case directly (直接办结) with the article, which is noted on the case.</summary>
    static async Task<Ok<CaseDto>> Answer(Guid id, AnswerWithArticleRequest body, CurrentActor current, KnowledgeBase kb, CaseQueries queries, CancellationToken ct)
    {
        if (body.CaseId is not { } caseId) throw Domain.Cases.CaseValidationException.Single("caseId", "Name the case the article answers.");
        var actor = await current.GetAsync();
        var c = await kb.AnswerAsync(actor, id, caseId, body.Version, ct);
        return TypedResults.Ok(queries.ToDto(c, actor));
    }
}
