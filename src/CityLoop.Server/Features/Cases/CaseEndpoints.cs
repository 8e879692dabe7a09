using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Cases;

public static class CaseEndpoints
{
    public static void MapCaseEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/cases").WithTags("Cases").RequireAuthorization(AuthSetup.ApiPolicy);

        g.MapPost("/", Create).WithName("CreateCase").RequireRateLimiting(RateLimits.Intake).RequireScope(ApiScope.CasesCreate);
        g.MapGet("/", List).WithName("ListCases").RequireScope(ApiScope.CasesRead);
        g.MapGet("/export", CaseExport.Write).WithName("ExportCases").RequireScope(ApiScope.CasesExport);
        g.MapGet("/{id:guid}", Get).WithName("GetCase").RequireScope(ApiScope.CasesRead);
        g.MapGet("/{id:guid}/events", Events).WithName("GetCaseEvents").RequireScope(ApiScope.CasesRead);
        g.MapGet("/{id:guid}/actions", Actions).WithName("GetCaseActions").RequireScope(ApiScope.CasesRead);
        g.MapPost("/{id:guid}/actions/{action}", Perform).WithName("PerformCaseAction").RequireScope(ApiScope.CasesAct);
        // Revealing a reporter is for people only: no scope lets a key do it.
        g.MapPost("/{id:guid}/reporter/unmask", Unmask).WithName("UnmaskReporter");
        g.MapGet("/{id:guid}/attachments", ListAttachments).WithName("GetCaseAttachments").RequireScope(ApiScope.CasesRead);
        g.MapPost("/{id:guid}/attachments", Upload).WithName("UploadAttachment").DisableAntiforgery().RequireScope(ApiScope.CasesCreate);
        app.MapGet("/api/v1/attachments/{id:guid}/thumbnail", Thumbnail).WithTags("Cases").RequireAuthorization(AuthSetup.ApiPolicy).RequireScope(ApiScope.CasesRead);
        app.MapGet("/api/v1/attachments/{id:guid}", Download).WithTags("Cases").RequireAuthorization(AuthSetup.ApiPolicy).RequireScope(ApiScope.CasesRead);
        app.MapGet("/api/v1/public/cases/{number}", PublicStatus).WithTags("Public").AllowAnonymous().RequireRateLimiting(RateLimits.Public);
    }

    static async Task<Actor> Reader(CurrentActor current, string scope = "cases:read")
    {
        var actor = await current.GetAsync();
        if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
        return actor;
    }

    static async Task<Results<Created<CaseDto>, Ok<CaseDto>>> Create(HttpRequest request, CurrentActor current, CaseCommands commands,
        CaseQueries queries, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        if (bytes.Length == 0) throw new BadHttpRequestException("The request body is empty: send the case as JSON.");
        CreateCaseRequest body;
        try
        {
            body = JsonSerializer.Deserialize<CreateCaseRequest>(bytes, json.Value.SerializerOptions)
                ?? throw new BadHttpRequestException("The request body is empty.");
        }
        catch (JsonException ex) when (ex.Path is "$.source" or "$.requestType" or "$.urgency")
        {
            // A code of a closed list that is not on it is a refusal naming the field, like every other unknown code.
            var field = ex.Path[2..];
            var known = field switch
            {
                "source" => Enum.GetNames<CaseSource>(),
                "requestType" => Enum.GetNames<RequestType>(),
                _ => Enum.GetNames<Urgency>(),
            };
            throw CaseValidationException.Single(field, $"'{field}' is not one of: {string.Join(", ", known.Select(Domain.Kebab.From))}.");
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"The case could not be read: {ex.Message}", ex);
        }
        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        if (InputLimits.TextProblem(key, InputLimits.ExternalId) is { } keyProblem) throw CaseValidationException.Single("Idempotency-Key", keyProblem);
        var hash = key is null ? null : Convert.ToHexString(SHA256.HashData(bytes));
        var result = await commands.IntakeAsync(body.ToNewCase(), actor, key, hash, ct);
        var dto = queries.ToDto(result.Case, actor, result.QueryCode);
        if (result.Replayed)
        {
            request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(dto);
        }
        return TypedResults.Created($"/api/v1/cases/{dto.Id}", dto);
    }

    static async Task<Ok<PageDto<CaseSummaryDto>>> List(HttpRequest request, CurrentActor current, CaseQueries queries, CancellationToken ct)
    {
        var actor = await Reader(current);
        return TypedResults.Ok(await queries.ListAsync(actor, ParseFilter(request.Query), ct));
    }

    public static CaseFilter ParseFilter(IQueryCollection q)
    {
        var errors = new Dictionary<string, string[]>();
        var states = new List<CaseState>();
        foreach (var s in q["state"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (Kebab.TryParse<CaseState>(s, out var st)) states.Add(st);
            else errors["state"] = [$"Unknown state '{s}'."];
        }
        T? Enum<T>(string name) where T : struct, System.Enum
        {
            var v = q[name].FirstOrDefault();
            if (string.IsNullOrWhiteSpace(v)) return null;
            if (Kebab.TryParse<T>(v, out var e)) return e;
            errors[name] = [$"Unknown {name} '{v}'."];
            return null;
        }
        DateTimeOffset? Date(string name)
        {
            var v = q[name].FirstOrDefault();
            if (string.IsNullOrWhiteSpace(v)) return null;
            if (DateTimeOffset.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var d)) return d.ToUniversalTime();
            errors[name] = [$"'{v}' is not a date."];
            return null;
        }
        bool? Bool(string name)
        {
            var v = q[name].FirstOrDefault();
            if (string.IsNullOrWhiteSpace(v)) return null;
            if (bool.TryParse(v, out var b)) return b;
            errors[name] = [$"'{v}' is not true or false."];
            return null;
        }
        int Int(string name, int fallback, int max)
        {
            var v = q[name].FirstOrDefault();
            if (string.IsNullOrWhiteSpace(v)) return fallback;
            if (int.TryParse(v, out var i) && i > 0 && i <= max) return i;
            errors[name] = [$"'{v}' is not a number from 1 to {max}."];
            return fallback;
        }
        string? Text(string name, int max)
        {
            var v = q[name].FirstOrDefault();
            if (InputLimits.TextProblem(v, max) is { } problem) errors[name] = [problem];
            return v;
        }
        var filter = new CaseFilter(states, Text("department", InputLimits.Code), Text("category", InputLimits.Code), Enum<CaseSource>("source"),
            Enum<RequestType>("requestType"), Date("from"), Date("to"), Bool("overdue"), Bool("supervised"), Text("q", InputLimits.Short),
            Enum<CaseLight>("light"), Bool("repeat"), Int("page", 1, InputLimits.MaxPage), Int("pageSize", 20, InputLimits.MaxPageSize),
            Text("area", InputLimits.Code), Text("phone", InputLimits.Phone), Enum<CaseSort>("sort") ?? CaseSort.Newest);
        if (errors.Count > 0) throw new CaseValidationException(errors);
        return filter;
    }

    static async Task<Ok<CaseDto>> Get(Guid id, CurrentActor current, CaseQueries queries, CancellationToken ct)
    {
        var actor = await Reader(current);
        return TypedResults.Ok(queries.ToDto(await queries.GetAsync(actor, id, ct: ct), actor));
    }

    static async Task<Ok<IReadOnlyList<EventDto>>> Events(Guid id, CurrentActor current, CaseQueries queries, CancellationToken ct)
    {
        var actor = await Reader(current);
        var c = await queries.GetAsync(actor, id, ct: ct);
        return TypedResults.Ok(await queries.EventsAsync(c.Id, ct));
    }

    static async Task<Ok<IReadOnlyList<AvailableActionDto>>> Actions(Guid id, CurrentActor current, CaseQueries queries, CaseCommands commands, CancellationToken ct)
    {
        var actor = await Reader(current);
        return TypedResults.Ok(CaseQueries.Actions(await queries.GetAsync(actor, id, ct: ct), actor, commands.Context(actor)));
    }

    static async Task<Ok<CaseDto>> Perform(Guid id, string action, ActionRequest? body, HttpRequest request, CurrentActor current,
        CaseCommands commands, CaseQueries queries, CancellationToken ct)
    {
        var actor = await Reader(current);
        if (!TransitionTable.TryParseAction(action, out var parsed))
            throw new NotFoundException($"There is no action '{action}'. Actions: {string.Join(", ", Enum.GetValues<CaseAction>().Select(a => a.Name()))}.");
        var expected = body?.ExpectedVersion;
        var ifMatch = request.Headers.IfMatch.FirstOrDefault()?.Trim('"', ' ', 'W', '/');
        if (expected is null && int.TryParse(ifMatch, out var v)) expected = v;
        var c = await commands.PerformAsync(id, parsed, body?.ToInput() ?? ActionInput.Empty, actor, expected, queries, ct);
        return TypedResults.Ok(queries.ToDto(c, actor));
    }

    static async Task<Ok<ReporterDto>> Unmask(Guid id, CurrentActor current, CaseQueries queries, CaseCommands commands, Audit audit, CancellationToken ct)
    {
        var actor = await Reader(current);
        return TypedResults.Ok(await commands.UnmaskReporterAsync(id, actor, queries, audit, ct));
    }

    static async Task<Created<AttachmentDto>> Upload(Guid id, IFormFile? file, CurrentActor current, CaseQueries queries, CaseCommands commands, CancellationToken ct)
    {
        var actor = await Reader(current);
        var a = await commands.AttachAsync(id, file, actor, queries, ct);
        return TypedResults.Created($"/api/v1/attachments/{a.Id}", a);
    }

    /// <summary>The case's photos and files, oldest first, to those who may see the case.</summary>
    static async Task<Ok<IReadOnlyList<AttachmentDto>>> ListAttachments(Guid id, CurrentActor current, CaseQueries queries, CaseCommands commands, CancellationToken ct)
    {
        var actor = await Reader(current);
        await queries.GetAsync(actor, id, ct: ct);
        return TypedResults.Ok(await commands.AttachmentsAsync(id, ct));
    }

    static async Task<IResult> Download(Guid id, CurrentActor current, CaseQueries queries, CityLoopDb db, Attachments.AttachmentStore store, CancellationToken ct)
    {
        var actor = await Reader(current);
        var a = await db.Attachments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Attachment {id} does not exist.");
        await queries.GetAsync(actor, a.CaseId, ct: ct);
        return TypedResults.File(await store.ReadAsync(a, ct), a.ContentType, a.FileName);
    }

    /// <summary>An image's thumbnail, to those who may see its case; a PDF has none (404).</summary>
    static async Task<IResult> Thumbnail(Guid id, CurrentActor current, CaseQueries queries, CityLoopDb db, HttpResponse response, CancellationToken ct)
    {
        var actor = await Reader(current);
        var a = await db.Attachments.AsNoTracking().Where(x => x.Id == id).Select(x => new { x.CaseId, x.Thumbnail }).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Attachment {id} does not exist.");
        await queries.GetAsync(actor, a.CaseId, ct: ct);
        if (a.Thumbnail is null) throw new NotFoundException($"Attachment {id} is not an image and has no thumbnail.");
        // Private: a shared cache must never hand one person's permitted photo to another.
        response.Headers.CacheControl = "private, max-age=3600";
        return TypedResults.File(a.Thumbnail, Attachments.Thumbnails.ContentType);
    }

    static async Task<Ok<PublicStatusDto>> PublicStatus(string number, string? queryCode, CityLoopDb db, CancellationToken ct)
    {
        var c = await db.Cases.AsNoTracking().FirstOrDefaultAsync(x => x.Number == number, ct);
        if (c is null || string.IsNullOrEmpty(queryCode) || c.QueryCodeHash != CaseCommands.HashQueryCode(c.Number, queryCode.Trim()))
            throw new NotFoundException("No case matches this tracking number and query code.");
        return TypedResults.Ok(new PublicStatusDto(c.Number, c.State.Api(), c.CreatedAt, c.ClosedAt, c.Answer ?? c.Result));
    }

    internal static string Csv(string? v)
    {
        if (v is null) return "";
        v = Formula(v)!;
        return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
    }

    /// <summary>A cell a spreadsheet would read as a formula (=, +, -, @, or a leading tab or CR) is neutralised with a quote.</summary>
    internal static string? Formula(string? v) => v is { Length: > 0 } && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + v : v;

    public static string? SniffType(byte[] b) => b switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0x25, 0x50, 0x44, 0x46, ..] => "application/pdf",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "image/webp",
        _ => null,
    };
}

public sealed record AttachmentDto(Guid Id, string FileName, string ContentType, long Size, DateTimeOffset UploadedAt, bool HasThumbnail = false)
{
    public string Url => $"/api/v1/attachments/{Id}";
    public string? ThumbnailUrl => HasThumbnail ? $"/api/v1/attachments/{Id}/thumbnail" : null;
}

public sealed record PublicStatusDto(string Number, string State, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt, string? Reply);
