using System.Security.Cryptography;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Calls;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Knowledge;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Desk;

public sealed class DeskForm
{
    public string? Phone { get; set; }
    public Guid? CallId { get; set; }
    public string? ReporterName { get; set; }
    public RequestType RequestType { get; set; } = RequestType.Complaint;
    public string? CategoryCode { get; set; }
    public string? Description { get; set; }
    public string? Address { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public Urgency Urgency { get; set; } = Urgency.Normal;
    public bool Confidential { get; set; }
    /// <summary>110, 119, 120 or 122 when the call is an emergency to transfer.</summary>
    public string? Emergency { get; set; }
    public string? IdempotencyKey { get; set; }

    public CreateCaseRequest ToRequest() => new(CaseSource.Hotline, RequestType, Description, null,
        string.IsNullOrWhiteSpace(CategoryCode) ? null : CategoryCode.Trim(), Lat is null && Lon is null ? null : new LocationDto(Lat, Lon), Address, null,
        new ReporterInput(ReporterName, Phone, Confidential, false, null), Confidential, false, Emergency is null ? Urgency : Urgency.Critical, null);
}

/// <summary>
/// The hotline agent desktop (12345 坐席): the call that rings (or a number typed) pops the caller's cases; the order form
/// registers through the same intake command as POST /api/v1/cases; knowledge suggestions and likely duplicates
/// follow the typing (htmx partials of this page).
/// </summary>
public sealed class IndexModel(CurrentActor current, CaseCommands commands, CaseQueries queries, DeskQueries desk, CallLog calls, KnowledgeBase knowledge) : PageModel
{
    [BindProperty] public DeskForm Form { get; set; } = new();
    public CallerPanel? Caller { get; private set; }
    public CallRecord? Call { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid? call, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        Form.IdempotencyKey = Guid.NewGuid().ToString("N");
        try
        {
            if (call is { } id)
            {
                Call = await calls.FindForAsync(actor, id, ct);
                Form.CallId = id;
                if (Call.CallerPhone is { } phone)
                {
                    Form.Phone = phone;
                    Caller = await desk.CallerAsync(actor, phone, ct);
                    Form.ReporterName = Caller.Name;
                }
            }
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
        }
        return Page();
    }

    /// <summary>The call this agent has just answered, polled by the page: what the telephone system pops.</summary>
    public async Task<IActionResult> OnGetIncomingAsync(Guid? shown, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        var call = await calls.RingingForAsync(actor, ct);
        return Partial("_Incoming", new IncomingView(call, call is not null && call.Id == shown));
    }

    /// <summary>The caller panel for a typed number (POST: a phone number never goes into a URL or an access log).</summary>
    public async Task<IActionResult> OnPostCallerAsync(string? phone, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        try
        {
            return Partial("_Caller", new CallerView(string.IsNullOrWhiteSpace(phone) ? null : await desk.CallerAsync(actor, phone, ct), null));
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            return Partial("_Caller", new CallerView(null, error));
        }
    }

    /// <summary>Knowledge suggestions and likely duplicates for what the form holds now.</summary>
    public async Task<IActionResult> OnPostHintsAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        var f = Form;
        var articles = await knowledge.SuggestAsync(actor, f.Description, f.CategoryCode, ct: ct);
        var duplicates = await desk.DuplicatesAsync(actor, new DuplicateQuery(f.Description, f.CategoryCode, f.Address, f.Lat, f.Lon, f.Phone), ct: ct);
        return Partial("_Hints", new HintsView(articles, duplicates, !string.IsNullOrWhiteSpace(f.Description) || !string.IsNullOrWhiteSpace(f.CategoryCode)));
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        try
        {
            var c = await RegisterAsync(actor, ct);
            return Redirect($"/Cases/{c.Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            return await ShowAgainAsync(actor, error, ct);
        }
    }

    /// <summary>直接办结 from the knowledge base: the case is registered and answered with the article in one go.</summary>
    public async Task<IActionResult> OnPostAnswerAsync(Guid article, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!DeskQueries.MayUse(actor)) return Forbid();
        try
        {
            var c = await RegisterAsync(actor, ct);
            await knowledge.AnswerAsync(actor, article, c.Id, null, ct);
            return Redirect($"/Cases/{c.Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            return await ShowAgainAsync(actor, error, ct);
        }
    }

    async Task<Case> RegisterAsync(Domain.Identity.Actor actor, CancellationToken ct)
    {
        if (Form.Emergency is { } service && !CallLog.EmergencyServices.Contains(service))
            throw CaseValidationException.Single("emergency", "Transfer to 110, 119, 120 or 122.");
        var request = Form.ToRequest();
        var hash = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request)));
        var key = string.IsNullOrWhiteSpace(Form.IdempotencyKey) ? null : "desk:" + Form.IdempotencyKey;
        var result = await commands.IntakeAsync(request.ToNewCase(), actor, key, hash, ct);
        if (result.Replayed) return result.Case;
        var c = result.Case;
        if (Form.Emergency is { } emergency)
        {
            // Marked on the case (its timeline shows it at once) for the intake operator or shift leader who records the transfer.
            var tracked = await queries.GetAsync(actor, c.Id, track: true, ct);
            // The timeline says it in words from the service (转接：110 报警): no text in one language is stored.
            await commands.NoteAsync(tracked, EmergencyNote, actor, null, new { service = emergency }, ct);
        }
        if (Form.CallId is { } callId) await calls.LinkAsync(callId, c, Form.Emergency, ct);
        return c;
    }

    public const string EmergencyNote = "emergency-transfer";

    async Task<IActionResult> ShowAgainAsync(Domain.Identity.Actor actor, DeskError error, CancellationToken ct)
    {
        Error = error;
        if (!string.IsNullOrWhiteSpace(Form.Phone))
        {
            try { Caller = await desk.CallerAsync(actor, Form.Phone, ct); }
            catch (CaseValidationException) { Caller = null; }
        }
        return Page();
    }
}

public sealed record IncomingView(CallRecord? Call, bool AlreadyShown);
public sealed record CallerView(CallerPanel? Caller, DeskError? Error);
public sealed record HintsView(IReadOnlyList<ArticleHitDto> Articles, IReadOnlyList<DuplicateHint> Duplicates, bool Asked);
