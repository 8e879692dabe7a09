using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Features.Pickers;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Features.Supervision;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// One case: its facts, its timeline, and a form for each action the transition table allows this user now. Every
/// change goes through <see cref="CaseCommands"/> with the version the user saw, exactly as the API does.
/// </summary>
public sealed class DetailsModel(CurrentActor current, CaseQueries queries, CaseCommands commands, Audit audit, CityLoopDb db, Ui ui,
    ReferenceCache reference, ReferenceAdmin routing, IWorkingClock workingClock, IDeadlinePolicy deadlines, Notifier notifier, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Exchange.ExchangeOptions> exchange, Platforms.PlatformRegistry platforms) : PageModel
{
    [BindProperty(SupportsGet = true)] public Guid Id { get; set; }

    public CaseDto? Case { get; private set; }
    public ReporterDto? Reporter { get; private set; }
    public bool CanUnmask { get; private set; }
    public IReadOnlyList<EventDto> Events { get; private set; } = [];
    public IReadOnlyList<AvailableActionDto> Actions { get; private set; } = [];
    public IReadOnlyDictionary<string, string> Departments { get; private set; } = new Dictionary<string, string>();
    public DeskError? Error { get; private set; }
    public CaseClockDto? Clock { get; private set; }
    public string? CategoryName { get; private set; }
    public IReadOnlyList<AttachmentDto> Attachments { get; private set; } = [];
    public Guid? RepeatOfId { get; private set; }
    /// <summary>The platforms this case is exchanged with (三级联网): the peer, its number for the case, and which way it went.</summary>
    public IReadOnlyList<Exchange.PeerLinkView> PeerLinks { get; private set; } = [];
    /// <summary>A 市派 whose result has not gone back up by the upper platform's feedback deadline.</summary>
    public bool FeedbackOverdue => Case is { Deadlines.Feedback: { } due, ClosedAt: null } && due < time.GetUtcNow();
    /// <summary>The routing suggestion, for dispatch and redispatch forms only.</summary>
    public RoutingDto? Routing { get; private set; }
    public OrdersView? Orders { get; private set; }
    public bool CanSupervise { get; private set; }
    /// <summary>The action whose form was submitted and refused: it stays open with what the user typed.</summary>
    public string? PostedAction { get; private set; }
    [TempData] public string? Flash { get; set; }
    [TempData] public string? QueryCode { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Uploads a photo or PDF to the case (the same use case as POST /api/v1/cases/{id}/attachments).</summary>
    public async Task<IActionResult> OnPostAttachAsync(IFormFile? file, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            var a = await commands.AttachAsync(Id, file, actor, queries, ct);
            Flash = Ui.Pick($"已上传：{a.FileName}", $"Uploaded: {a.FileName}");
            return Redirect($"/Cases/{Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            return Page();
        }
    }

    /// <summary>
    /// One action from this page or a desk (the map desk, the department inbox, the queues post here with their
    /// <paramref name="returnUrl"/>); photos posted with it are stored and cited in the same step.
    /// </summary>
    public async Task<IActionResult> OnPostActAsync(string op, int version, string? returnUrl, [FromServices] Attachments.ActionWithPhotos withPhotos,
        CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            if (!TransitionTable.TryParseAction(op, out var action))
                throw new NotFoundException($"There is no action '{op}'.");
            var photos = Request.Form.Files.GetFiles("photos").Where(f => f.Length > 0).ToList();
            await withPhotos.PerformAsync(Id, action, ReadInput(Request.Form), photos, actor, version, ct);
            Flash = Ui.Pick($"已完成：{Labels.Action(action)}", $"Done: {Labels.Action(action)}");
            return Redirect(!string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : $"/Cases/{Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            // After a concurrent change the form may no longer apply; otherwise keep it open with the input.
            PostedAction = error.Conflict ? null : op;
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            return Page();
        }
    }

    /// <summary>A supervisor issues a supervision order on this case (the same use case as POST /api/v1/supervision-orders).</summary>
    public async Task<IActionResult> OnPostSuperviseAsync(SupervisionLevel level, string? dueAt, string? requirement, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            var due = ui.ParseLocal(dueAt) ?? throw CaseValidationException.Single("dueAt", Ui.Pick("请填写回复期限。", "Give a reply deadline."));
            await SupervisionEndpoints.IssueAsync(new IssueSupervisionRequest([Id], level, due, requirement ?? ""), actor, db, commands, queries, notifier,
                time.GetUtcNow(), ct);
            Flash = Ui.Pick($"已下发督办单：{Labels.Level(level)}", $"Supervision order issued: {Labels.Level(level)}");
            return Redirect($"/Cases/{Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            PostedAction = "supervise-order";
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            return Page();
        }
    }

    public async Task<IActionResult> OnPostUnmaskAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        ReporterDto? revealed = null;
        try
        {
            revealed = await commands.UnmaskReporterAsync(Id, actor, queries, audit, ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            db.ChangeTracker.Clear();
        }
        await LoadAsync(ct);
        if (revealed is not null)
        {
            Reporter = revealed;
            CanUnmask = false;
        }
        return Page();
    }

    async Task LoadAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
            var c = await queries.GetAsync(actor, Id, ct: ct);
            Case = queries.ToDto(c, actor);
            Reporter = Case.Reporter;
            CanUnmask = Reporter.Masked && !Reporter.Confidential && actor.Roles.Any(Roles.MayUnmask.Contains);
            Events = await queries.EventsAsync(c.Id, ct);
            Attachments = await commands.AttachmentsAsync(c.Id, ct);
            Actions = CaseQueries.Actions(c, actor, commands.Context(actor));
            Departments = await IndexModel.DepartmentNames(db, ct);
            var now = time.GetUtcNow();
            Clock = await ClockEndpoints.QueryAsync(c, db, workingClock, deadlines, now, ct);
            CategoryName = c.CategoryCode is { } key ? reference.Catalogue.Current?.Find(key)?.Name : null;
            _case = c;
            // The timeline names people, not their ids: the users the events cite.
            var cited = Events.SelectMany(e => e.Payload is { ValueKind: JsonValueKind.Object } p
                    ? new[] { "assignee", "inspector", "verifiedBy" }.Select(n => p.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                    : []).OfType<string>().Select(s => Guid.TryParse(s, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).Distinct().ToList();
            People = await db.Users.AsNoTracking().Where(u => cited.Contains(u.Id)).ToDictionaryAsync(u => u.Id.ToString(), u => u.DisplayName, ct);
            ActorIds = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == c.Id && e.ActorIsSystem)
                .ToDictionaryAsync(e => e.Seq, e => e.ActorId, ct);
            PeerLinks = await Exchange.PeerLinkView.ForCaseAsync(db, exchange.Value, c.Id, ct);
            // A hand-over (移交) names the centres by their names, not their codes.
            if (Events.Any(e => e.Action == HandOverAction)) PlatformNames = await platforms.NamesAsync(ct);
            if (c.RepeatOfNumber is { } repeat)
                RepeatOfId = await queries.Visible(actor, db.Cases.AsNoTracking()).Where(x => x.Number == repeat).Select(x => (Guid?)x.Id).FirstOrDefaultAsync(ct);
            if (Actions.Any(a => a.Action is "dispatch" or "redispatch")) Routing = await routing.SuggestAsync(c, ct);
            // An inspector has no supervision orders to read: the case page shows them none rather than refusing the page.
            var orders = actor.Roles.All(r => r == Role.Inspector) ? null : await SupervisionEndpoints.ListAsync(actor, null, null, c.Id, db, now, ct);
            if (orders is not null) Orders = new OrdersView(orders.Items, actor, Departments, $"/Cases/{c.Id}", ShowCase: false,
                SupervisionEndpoints.MayIssue(actor, commands.Context(actor).Rules));
            CanSupervise = SupervisionEndpoints.MayIssue(actor, commands.Context(actor).Rules) && c.State.IsOpen();
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error ??= error;
            Response.StatusCode = ex is NotFoundException ? 404 : 403;
        }
    }

    /// <summary>Reads the posted form into the same input the API's JSON body becomes; only the action's own fields are posted.</summary>
    ActionInput ReadInput(IFormCollection form)
    {
        string? S(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
        bool? B(string name) => S(name) switch { "true" => true, "false" => false, _ => null };
        DateTimeOffset? due = null;
        if (S("dueAt") is { } text)
            due = ui.ParseLocal(text) ?? throw CaseValidationException.Single("dueAt", Ui.Pick("日期时间格式不正确。", "Not a date and time."));
        Satisfaction? satisfaction = S("satisfaction") is { } s && Kebab.TryParse<Satisfaction>(s, out var parsed) ? parsed : null;
        var assisting = form["assistingDepartments"].Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d!).ToList();
        var attachments = form["attachmentIds"].Select(v => Guid.TryParse(v, out var g) ? g : (Guid?)null).OfType<Guid>().ToList();
        var input = new ActionInput
        {
            Opinion = S("opinion"), Reason = S("reason"), Answer = S("answer"), Result = S("result"), Comment = S("comment"),
            Target = S("target"), TargetCase = S("targetCase"), Inspector = S("inspector"), CategoryCode = S("categoryCode"),
            StandardItem = S("standardItem"), LeadDepartment = S("leadDepartment"), AssistingDepartments = assisting.Count > 0 ? assisting : null,
            DueAt = due, Confirmed = B("confirmed"), Contacted = B("contacted"), Resolved = B("resolved"), Satisfaction = satisfaction,
            AttachmentIds = attachments.Count > 0 ? attachments : null, Assignee = S("assignee"), Team = S("team"), Upheld = B("upheld"), Platform = S("platform"),
        };
        InputLimits.Check(input);
        return input;
    }

    /// <summary>The forms of the allowed actions, shared with the desks; a refused form stays open with what was typed.</summary>
    public ActionForms Forms => new(Case!, Actions, Attachments, Routing, Departments, PostedAction,
        PostedAction is not null && Request.HasFormContentType ? Request.Form : null);

    /// <summary>The timeline in words: what an event's payload says beyond its opinion, people and names rather than codes.</summary>
    public TimelineText Timeline => _timeline ??= new(Department, Category, Standard, People, ui.Time, Platform);
    TimelineText? _timeline;

    /// <summary>Who took a step, in words (the system's own steps by what they are).</summary>
    public string ActorOf(EventDto e) => TimelineText.Actor(e, ActorIds.GetValueOrDefault(e.Seq));

    /// <summary>The principal behind each event, by its sequence number: only to name the system's own steps.</summary>
    public IReadOnlyDictionary<int, string> ActorIds { get; private set; } = new Dictionary<int, string>();

    public string Department(string? code) => code is null ? "—" : Departments.GetValueOrDefault(code, code);

    static readonly string HandOverAction = CaseAction.HandOver.Name();

    /// <summary>The names of the deployment's platforms, read when the timeline has a hand-over.</summary>
    public IReadOnlyDictionary<string, string> PlatformNames { get; private set; } = new Dictionary<string, string>();

    /// <summary>A platform by its name; a platform no longer registered by its code, marked as such.</summary>
    public string Platform(string? code) => code is null ? "—"
        : PlatformNames.TryGetValue(code, out var name) ? name : Ui.Pick($"平台 {code}（未登记）", $"platform {code} (not registered)");

    Case? _case;
    public IReadOnlyDictionary<string, string> People { get; private set; } = new Dictionary<string, string>();

    /// <summary>A street, community or district by its name, with the code after it; the code alone where the division is unknown.</summary>
    public string Area(string? code) => code is null ? "—" : reference.Geo.Divisions.Find(code)?.Name is { } name ? $"{name}（{code}）" : code;

    /// <summary>A category by its name and code, from the catalogue version the case keeps.</summary>
    public string Category(string? key) =>
        key is null ? "—" : (reference.Catalogue.For(_case?.CatalogueVersion) ?? reference.Catalogue.Current)?.Find(key)?.Name is { } name ? $"{name}（{key}）" : key;

    /// <summary>A standard item by its wording (立案/结案标准), looked up under the case's category; the code where unknown.</summary>
    public string Standard(string? code, StandardKind kind, string? categoryKey = null)
    {
        if (code is null) return "—";
        var catalogue = reference.Catalogue.For(_case?.CatalogueVersion) ?? reference.Catalogue.Current;
        if (catalogue is null || _case is null) return code;
        var item = Domain.Catalogue.StandardItems.For(catalogue, categoryKey ?? _case.CategoryCode, _case.RequestType, kind)
            .FirstOrDefault(i => string.Equals(i.Code, code, StringComparison.OrdinalIgnoreCase));
        return item is null ? code : $"{item.Text}（{code}）";
    }
}
