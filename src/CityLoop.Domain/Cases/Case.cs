using System.Text.Json;
using System.Text.Json.Serialization;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Cases;

/// <summary>What a channel knows when it reports a problem.</summary>
public sealed record NewCase
{
    public required CaseSource Source { get; init; }
    public required RequestType RequestType { get; init; }
    public required string Description { get; init; }
    public string? Title { get; init; }
    public string? CategoryCode { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public string? Address { get; init; }
    public string? ComponentId { get; init; }
    public string? ReporterName { get; init; }
    public string? ReporterPhone { get; init; }
    /// <summary>The caller's own address (where to reach them), not the place of the problem.</summary>
    public string? ReporterAddress { get; init; }
    public bool Confidential { get; init; }
    public bool Anonymous { get; init; }
    public Urgency Urgency { get; init; } = Urgency.Normal;
    public string? ExternalId { get; init; }
    /// <summary>A case dispatched down by an upper platform (市派): the instant by which the upper expects the result back.</summary>
    public DateTimeOffset? FeedbackDueAt { get; init; }
    /// <summary>Set by intake, not by the reporter: the recently closed case this report repeats.</summary>
    public string? RepeatOfNumber { get; init; }
    /// <summary>Historical import only: the source system or data set the case comes from (recorded on its creation).</summary>
    public string? ImportOrigin { get; init; }
}

/// <summary>Where the geocoder placed a case: its grid and area chain, or a flag that it is outside every grid.</summary>
public sealed record CasePlace(string? GridCode, string? CommunityCode, string? StreetCode, string? DistrictCode, bool OutsideGrid);

/// <summary>
/// A phase clock that stopped: its phase, start, end and the due it had, whether it ended in time, its wall and
/// business time (pauses excluded) and who held it — the per-phase time record, as the event that ended it states it.
/// </summary>
public sealed record EndedPhase(CasePhase Phase, DateTimeOffset StartedAt, DateTimeOffset EndedAt, DateTimeOffset? DueAt, bool OnTime,
    long WallSeconds, long BusinessSeconds, long PausedSeconds, string? Department, string? User, Clock.LimitType? LimitType = null);

/// <summary>Traffic light of a case's running phase clock.</summary>
public enum CaseLight { None, Green, Yellow, Red, Paused }

public sealed record TransitionContext(Actor Actor, DateTimeOffset Now, IDeadlinePolicy Deadlines, WorkflowSettings? Settings = null)
{
    public WorkflowSettings Rules => Settings ?? WorkflowSettings.Default;
}

/// <summary>
/// The case: one aggregate for a 12345 work order and a 数字城管 case. State changes only through
/// <see cref="Perform"/>, which checks the <see cref="TransitionTable"/>, applies the action and appends an event.
/// </summary>
public sealed class Case
{
    static readonly JsonSerializerOptions PayloadJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Clock records keep nulls (a stopped clock says so) and spell phases as the API does.</summary>
    public static readonly JsonSerializerOptions ClockJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    readonly List<CaseEvent> _newEvents = [];

    public Guid Id { get; private set; }
    public string Number { get; private set; } = "";
    public string PlatformCode { get; private set; } = "";
    public CaseState State { get; private set; }
    public int Version { get; private set; }

    public CaseSource Source { get; private set; }
    public RequestType RequestType { get; private set; }
    public string? CategoryCode { get; private set; }
    public int? CatalogueVersion { get; private set; }
    public string? FilingStandardItem { get; private set; }
    public string? ClosingStandardItem { get; private set; }
    public string? Title { get; private set; }
    public string Description { get; private set; } = "";
    public Urgency Urgency { get; private set; }
    public string? ExternalId { get; private set; }

    public double? Latitude { get; private set; }
    public double? Longitude { get; private set; }
    public string? Address { get; private set; }
    public string? GridCode { get; private set; }
    public string? CommunityCode { get; private set; }
    public string? StreetCode { get; private set; }
    public string? DistrictCode { get; private set; }
    public bool OutsideGrid { get; private set; }
    public string? ComponentId { get; private set; }

    public string? ReporterName { get; private set; }
    public string? ReporterPhone { get; private set; }
    public string? ReporterAddress { get; private set; }
    public bool Confidential { get; private set; }
    public bool Anonymous { get; private set; }
    public string? QueryCodeHash { get; private set; }

    public string? LeadDepartmentCode { get; private set; }
    /// <summary>Assisting departments as ",A,B," so that "is this department on the case" is one LIKE on both databases.</summary>
    public string AssistingDepartmentCodes { get; private set; } = "";
    public string? AssignedInspector { get; private set; }
    /// <summary>The handler inside the lead department the case is assigned to (二级派遣), if any.</summary>
    public string? AssignedHandler { get; private set; }
    /// <summary>The team (a child department of the lead department) the case is assigned to (二级派遣), if any.</summary>
    public string? AssignedTeam { get; private set; }
    /// <summary>Whether the department head has assigned the case inside the department, to a handler or a team.</summary>
    public bool AssignedInside => AssignedHandler is not null || AssignedTeam is not null;
    /// <summary>Every inspector who has held a task on the case, as ",id,id,": they keep seeing it afterwards.</summary>
    public string InspectorIds { get; private set; } = "";
    /// <summary>The inspector who verified the report on site: by default the one who checks the result.</summary>
    public string? VerifiedBy { get; private set; }
    /// <summary>Fixed on the spot by the reporting inspector (自行处置): filed and closed without dispatch.</summary>
    public bool SelfHandled { get; private set; }

    public DateTimeOffset? FilingDueAt { get; private set; }
    public DateTimeOffset? VerificationDueAt { get; private set; }
    public DateTimeOffset? DispatchDueAt { get; private set; }
    public DateTimeOffset? ReviewDueAt { get; private set; }
    public DateTimeOffset? SignForDueAt { get; private set; }
    public DateTimeOffset? HandlingDueAt { get; private set; }
    public DateTimeOffset? CheckDueAt { get; private set; }
    public DateTimeOffset? CloseDueAt { get; private set; }
    public DateTimeOffset? FollowUpDueAt { get; private set; }
    public DateTimeOffset? RequestedDueAt { get; private set; }
    /// <summary>市派: the upper platform's deadline for the result (反馈时限), fixed at intake; 及时反馈率 counts against it.</summary>
    public DateTimeOffset? FeedbackDueAt { get; private set; }
    public DateTimeOffset? SuspendedAt { get; private set; }
    public bool IsOverdue { get; private set; }

    /// <summary>The phase whose clock runs now, and since when; kept by <see cref="SyncClock"/> on every change.</summary>
    public CasePhase? ClockPhase { get; private set; }
    public DateTimeOffset? ClockStartedAt { get; private set; }
    /// <summary>The running clock's due, persisted (unlike <see cref="CurrentDueAt"/>) so lists filter lights in SQL; null while paused.</summary>
    public DateTimeOffset? ClockDueAt { get; private set; }
    /// <summary>The instant the running clock turns yellow (the warning share of the phase's limit used).</summary>
    public DateTimeOffset? ClockWarnAt { get; private set; }
    /// <summary>The next instant the clock worker must look at this case (warning, breach, escalation); indexed.</summary>
    public DateTimeOffset? NextCheckAt { get; private set; }
    /// <summary>Business time the running phase spent suspended, excluded from its business time when it ends.</summary>
    public long ClockPausedSeconds { get; private set; }
    /// <summary>The recently closed case this report repeats (same caller, or same place and category).</summary>
    public string? RepeatOfNumber { get; private set; }

    public bool Supervised { get; private set; }
    public string? MergedIntoNumber { get; private set; }
    /// <summary>How many other reports were merged into this case.</summary>
    public int MergedInCount { get; private set; }
    public string? TransferTarget { get; private set; }
    public int ReopenedCount { get; private set; }
    public int ReworkCount { get; private set; }
    public int ReturnCount { get; private set; }
    public bool ClosedAtIntake { get; private set; }
    /// <summary>The state a pending request (return, extension) came from, so a denial can go back to it.</summary>
    public CaseState? ResumeState { get; private set; }

    public string? Answer { get; private set; }
    public string? Result { get; private set; }
    public string? RejectReason { get; private set; }

    public DateTimeOffset? FollowedUpAt { get; private set; }
    public bool? FollowUpContacted { get; private set; }
    public bool? FollowUpResolved { get; private set; }
    public Satisfaction? FollowUpSatisfaction { get; private set; }
    public string? FollowUpComment { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public string CreatedBy { get; private set; } = "";
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset? FiledAt { get; private set; }
    public DateTimeOffset? DispatchedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    /// <summary>When the case entered its current state: the start of the running phase clock.</summary>
    public DateTimeOffset PhaseStartedAt { get; private set; }

    /// <summary>Events appended since the case was loaded; the handler saves them with the case.</summary>
    public IReadOnlyList<CaseEvent> NewEvents => _newEvents;

    /// <summary>Called once the new events are stored, so that they are never stored twice.</summary>
    public void AcceptEvents() => _newEvents.Clear();

    public IReadOnlyList<string> AssistingDepartments =>
        AssistingDepartmentCodes.Split(',', StringSplitOptions.RemoveEmptyEntries);

    Case() { }

    /// <summary>Intake from any channel. The number and the place come from the caller (sequence, geocoder).</summary>
    public static Case Create(NewCase input, string number, string platformCode, CasePlace? place, string? queryCodeHash, TransitionContext ctx)
    {
        var actor = ctx.Actor;
        var role = TransitionTable.CreateRoles.FirstOrDefault(actor.Has);
        if (!actor.Roles.Any(TransitionTable.CreateRoles.Contains))
            throw new CaseForbiddenException($"{actor.Name} may not report cases.");
        Validate(input);

        var c = new Case
        {
            Id = Guid.CreateVersion7(ctx.Now),
            Number = number,
            PlatformCode = platformCode,
            State = CaseState.Reported,
            Source = input.Source,
            RequestType = input.RequestType,
            CategoryCode = Blank(input.CategoryCode),
            Title = Blank(input.Title),
            Description = input.Description.Trim(),
            Urgency = input.Urgency,
            ExternalId = Blank(input.ExternalId),
            FeedbackDueAt = input.FeedbackDueAt,
            Latitude = input.Latitude,
            Longitude = input.Longitude,
            Address = Blank(input.Address),
            ComponentId = Blank(input.ComponentId),
            ReporterName = input.Anonymous ? null : Blank(input.ReporterName),
            ReporterPhone = input.Anonymous ? null : Blank(input.ReporterPhone),
            ReporterAddress = input.Anonymous ? null : Blank(input.ReporterAddress),
            Confidential = input.Confidential,
            Anonymous = input.Anonymous,
            QueryCodeHash = queryCodeHash,
            RepeatOfNumber = Blank(input.RepeatOfNumber),
            CreatedAt = ctx.Now,
            UpdatedAt = ctx.Now,
            CreatedBy = actor.Id,
        };
        if (place is not null) c.Place(place);
        var before = c.Snapshot();
        c.FilingDueAt = ctx.Deadlines.Due(c, CasePhase.Filing, ctx.Now);
        c.Append(ctx, "create", null, role, null, new
        {
            source = c.Source,
            requestType = c.RequestType,
            categoryCode = c.CategoryCode,
            gridCode = c.GridCode,
            outsideGrid = c.OutsideGrid ? true : (bool?)null,
            urgency = c.Urgency,
            repeatOf = c.RepeatOfNumber,
            origin = Blank(input.ImportOrigin),
            // An old system's record may have no place: kept, and flagged so that maps and area figures can leave it out.
            placeMissing = input.Source == CaseSource.Import && c.Latitude is null && c.Address is null ? true : (bool?)null,
            externalId = c.ExternalId,
            feedbackDueAt = c.FeedbackDueAt,
        }, before);
        return c;
    }

    public static bool NeedsNoPlace(RequestType type) => type is RequestType.Enquiry or RequestType.Praise;

    static void Validate(NewCase input)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Description)) errors["description"] = ["A description is required."];
        else if (input.Description.Length > 4000) errors["description"] = ["A description has at most 4000 characters."];
        var hasPoint = input.Latitude is not null && input.Longitude is not null;
        if ((input.Latitude is null) != (input.Longitude is null)) errors["location"] = ["Give both lat and lon, or neither."];
        // An enquiry or praise is about no place (the hotline answers or passes it on); every other request needs one.
        if (!hasPoint && string.IsNullOrWhiteSpace(input.Address) && !NeedsNoPlace(input.RequestType) && input.Source != CaseSource.Import)
            errors["location"] = ["Give a location (lat, lon) or an address."];
        if (input.Latitude is < -90 or > 90) errors["location.lat"] = ["Latitude must be between -90 and 90."];
        if (input.Longitude is < -180 or > 180) errors["location.lon"] = ["Longitude must be between -180 and 180."];
        if (input.ReporterPhone is { Length: > 0 } phone && !phone.All(ch => char.IsDigit(ch) || ch is '-' or '+' or ' '))
            errors["reporter.phone"] = ["A phone number has digits, spaces, '+' and '-' only."];
        if (input.Address is { Length: > 500 }) errors["address"] = ["An address has at most 500 characters."];
        if (input.ReporterAddress is { Length: > 500 }) errors["reporter.address"] = ["An address has at most 500 characters."];
        if (input.ImportOrigin is not null && input.Source != CaseSource.Import) errors["origin"] = ["Only an imported case has an import origin."];
        InputLimits.Check(input, errors);
        if (errors.Count > 0) throw new CaseValidationException(errors);
    }

    public void Place(CasePlace place)
    {
        GridCode = place.GridCode;
        CommunityCode = place.CommunityCode;
        StreetCode = place.StreetCode;
        DistrictCode = place.DistrictCode;
        OutsideGrid = place.OutsideGrid;
    }

    /// <summary>
    /// Why the actor cannot perform the action now, or null if they can (before looking at the input). With a
    /// context, the time rules (return window, extension lead time) and platform switches are checked too.
    /// </summary>
    public string? WhyNot(CaseAction action, Actor actor, out Transition? transition, out Role role, TransitionContext? ctx = null)
    {
        role = default;
        transition = TransitionTable.Find(action, State);
        if (transition is null)
            return $"'{action.Name()}' is not allowed while the case is {Kebab.From(State.ToString())}.";
        var roles = transition.Roles;
        if (!actor.Roles.Any(roles.Contains))
            return $"'{action.Name()}' needs one of the roles {string.Join(", ", roles.Select(r => r.ToKebab()))}.";
        var settings = ctx?.Rules ?? WorkflowSettings.Default;
        // Prefer a role the platform lets act (a shift leader supervises only where allowed).
        var candidates = actor.Roles.Where(roles.Contains).ToList();
        role = candidates.FirstOrDefault(r => !(action == CaseAction.Supervise && r == Identity.Role.ShiftLeader && !settings.ShiftLeaderSupervises), candidates[0]);
        if (action == CaseAction.Supervise && role == Identity.Role.ShiftLeader && !settings.ShiftLeaderSupervises)
            return "Supervision orders are issued by the supervisor on this platform.";
        // A sub-centre's staff act on their platform's cases only; the root platform's act on every platform's (decision 026).
        if (!actor.IsSystem && actor.PlatformCode is { } own && own != PlatformCode)
            return $"'{action.Name()}' is for the staff of the platform of this case.";
        if (Roles.DepartmentBound.Contains(role))
        {
            if (action == CaseAction.AssistReport)
            {
                if (actor.DepartmentCode is null || !AssistingDepartments.Contains(actor.DepartmentCode))
                    return "'assist-report' is for the assisting departments of this case.";
            }
            else if (AssignedTeam is not null && actor.DepartmentCode == AssignedTeam)
            {
                // The team works the case as the lead department would; giving it out or taking it back stays with the lead department's head.
                if (action is CaseAction.Assign or CaseAction.TakeBack or CaseAction.Return)
                    return $"'{action.Name()}' is for the lead department of this case.";
            }
            else if (actor.DepartmentCode is null || actor.DepartmentCode != LeadDepartmentCode)
                return $"'{action.Name()}' is for the lead department of this case.";
            // The department's head may always act; a handler only on what is not given to someone else.
            else if (role == Identity.Role.DepartmentHandler && !actor.Has(Identity.Role.DepartmentHead) && AssignedHandler is not null && AssignedHandler != actor.Id)
                return "The department head assigned this case to another handler.";
            else if (role == Identity.Role.DepartmentHandler && !actor.Has(Identity.Role.DepartmentHead) && AssignedTeam is not null)
                return "The department head assigned this case to another handler: a team of the department.";
        }
        if (role == Identity.Role.Inspector && action is CaseAction.Verify or CaseAction.CheckPass or CaseAction.CheckFail
            && AssignedInspector is not null && AssignedInspector != actor.Id)
            return "This task is assigned to another inspector.";
        if (role == Identity.Role.Inspector && action is CaseAction.CheckPass or CaseAction.CheckFail && AssignedInspector is null)
            return "No inspector is assigned to this check: it is a call-back by intake or an agent, or intake assigns an inspector.";
        if (role == Identity.Role.HotlineAgent && action is CaseAction.CheckPass or CaseAction.CheckFail && AssignedInspector is not null)
            return "This check is an inspector's task on site.";
        return action switch
        {
            CaseAction.AnswerDirectly when RequestType is not (RequestType.Enquiry or RequestType.Help or RequestType.Praise) =>
                "Only enquiries, requests for help and praise can be answered directly at intake.",
            CaseAction.SelfHandle when CreatedBy != actor.Id =>
                "Only the inspector who reported a problem can report it handled on the spot.",
            CaseAction.FollowUp when FollowedUpAt is not null && FollowedUpAt >= ClosedAt =>
                "This closure has already been followed up.",
            CaseAction.FollowUp when SelfHandled => "A problem handled on the spot by an inspector has no citizen to call back.",
            CaseAction.Reopen when role == Identity.Role.BackgroundWorker
                && !(FollowedUpAt >= ClosedAt && (FollowUpResolved == false || FollowUpSatisfaction == Satisfaction.Dissatisfied)) =>
                "The follow-up policy reopens a case only after a follow-up in which the citizen was dissatisfied or the problem unresolved.",
            CaseAction.HandOver when !settings.HandOver => "This deployment has no sub-centres to hand cases to.",
            CaseAction.Supervise when Supervised => "The case is already under supervision.",
            CaseAction.TakeBack when !AssignedInside => "The case is not assigned inside the department.",
            CaseAction.Return when State != CaseState.PendingDispatch && AssignedInside =>
                "Cancel the internal assignment first (take the case back), then return it.",
            CaseAction.Return when State != CaseState.PendingDispatch && ctx is not null && DispatchedAt is { } sent
                && ctx.Deadlines.ReturnWindowEnd(this, sent) is { } until && ctx.Now > until =>
                $"The window for returning this case ended at {Local(until)}.",
            CaseAction.RequestExtension when ctx is not null && HandlingDueAt is { } due && ctx.Now >= due =>
                "The handling deadline has passed: an extension can no longer be asked.",
            CaseAction.RequestExtension when ctx is not null && HandlingDueAt is { } due && ctx.Now > ctx.Deadlines.ExtensionLatestRequest(this, due) =>
                $"An extension had to be asked by {Local(ctx.Deadlines.ExtensionLatestRequest(this, due))}.",
            _ => null,
        };
    }

    /// <summary>The actions the actor may perform now, each with the fields it needs.</summary>
    public IReadOnlyList<Transition> AvailableActions(Actor actor, TransitionContext? ctx = null) =>
        Enum.GetValues<CaseAction>()
            .Select(a => WhyNot(a, actor, out var t, out _, ctx) is null ? t : null)
            .OfType<Transition>()
            .ToList();

    /// <summary>Performs one action of the workflow, or throws saying exactly why not. Never silently does nothing.</summary>
    public void Perform(CaseAction action, ActionInput input, TransitionContext ctx)
    {
        var actor = ctx.Actor;
        var whyNot = WhyNot(action, actor, out var transition, out var role, ctx);
        if (whyNot is not null)
        {
            // A role that can never perform the action, or the wrong department or person, is a permission problem;
            // otherwise the state or the time is wrong.
            var everAllowed = TransitionTable.For(action).Any(t => actor.Roles.Any(t.Roles.Contains));
            if (!everAllowed || (transition is not null && !actor.Roles.Any(transition.Roles.Contains))
                || whyNot.Contains(" of this case") || whyNot.Contains("another inspector") || whyNot.Contains("another handler")
                || whyNot.Contains("Only the inspector") || whyNot.Contains("issued by the supervisor"))
                throw new CaseForbiddenException(whyNot);
            throw new CaseRuleException("TransitionNotAllowed", whyNot, State);
        }
        var missing = transition!.Fields.Where(f => f.Required && !input.Has(f.Name)).ToDictionary(f => f.Name, f => new[] { $"'{f.Name}' is required for '{action.Name()}'." });
        if (missing.Count > 0) throw new CaseValidationException(missing);
        if (action == CaseAction.Assign && input.Has("assignee") == input.Has("team"))
            throw CaseValidationException.Single("assignee", "Assign the case to one handler ('assignee') or to one team ('team'), not both and not neither.");

        var before = Snapshot();
        var from = State;
        var now = ctx.Now;
        CaseState? target = transition.To;
        object? payload = null;
        switch (action)
        {
            case CaseAction.RequestVerification:
                AssignedInspector = Blank(input.Inspector);
                AddInspector(AssignedInspector);
                VerificationDueAt = ctx.Deadlines.Due(this, CasePhase.Verification, now);
                payload = new { inspector = AssignedInspector };
                break;
            case CaseAction.Verify:
                VerifiedBy = role == Identity.Role.Inspector ? actor.Id : AssignedInspector;
                AddInspector(VerifiedBy);
                AssignedInspector = null;
                // Filing is timed from the verdict: the shift leader decides on a verified report.
                FilingDueAt = ctx.Deadlines.Due(this, CasePhase.Filing, now);
                payload = new { confirmed = input.Confirmed, inspector = VerifiedBy, attachmentIds = input.AttachmentIds };
                break;
            case CaseAction.Register:
                if (input.Has("categoryCode")) CategoryCode = input.CategoryCode!.Trim();
                payload = new { categoryCode = CategoryCode };
                break;
            case CaseAction.File:
                if (input.Has("categoryCode")) CategoryCode = input.CategoryCode!.Trim();
                if (CategoryCode is null) throw CaseValidationException.Single("categoryCode", "Filing needs a category.");
                FilingStandardItem = input.StandardItem!.Trim();
                CatalogueVersion = input.CatalogueVersion ?? CatalogueVersion;
                FiledAt = now;
                DispatchDueAt = ctx.Deadlines.Due(this, CasePhase.Dispatch, now);
                payload = new { categoryCode = CategoryCode, standardItem = FilingStandardItem, catalogueVersion = CatalogueVersion };
                break;
            case CaseAction.Reject:
                RejectReason = input.Reason!.Trim();
                FilingStandardItem = Blank(input.StandardItem);
                payload = new { reason = RejectReason, standardItem = FilingStandardItem };
                break;
            case CaseAction.AnswerDirectly:
                Answer = input.Answer!.Trim();
                ClosedAtIntake = true;
                ClosedAt = now;
                FollowUpDueAt = ctx.Deadlines.Due(this, CasePhase.FollowUp, now);
                payload = new { answer = Answer };
                break;
            case CaseAction.SelfHandle:
                if (input.AttachmentIds is not { Count: >= 2 })
                    throw CaseValidationException.Single("attachmentIds", "A problem handled on the spot needs photos before and after (at least two).");
                CategoryCode = input.CategoryCode!.Trim();
                CatalogueVersion = input.CatalogueVersion ?? CatalogueVersion;
                Result = input.Result!.Trim();
                SelfHandled = true;
                AddInspector(actor.Id);
                FiledAt = FinishedAt = ClosedAt = now;
                payload = new { categoryCode = CategoryCode, result = Result, attachmentIds = input.AttachmentIds };
                break;
            case CaseAction.Dispatch:
            case CaseAction.Redispatch:
                AssignDepartments(input);
                AssignedHandler = null;
                AssignedTeam = null;
                DispatchedAt = now;
                SignForDueAt = ctx.Deadlines.Due(this, CasePhase.SignFor, now);
                HandlingDueAt = ctx.Deadlines.Due(this, CasePhase.Handling, now);
                ResumeState = null;
                payload = new { leadDepartment = LeadDepartmentCode, assistingDepartments = AssistingDepartments, reason = Blank(input.Reason), signForDueAt = SignForDueAt, handlingDueAt = HandlingDueAt };
                break;
            case CaseAction.SignFor:
                break;
            case CaseAction.Assign:
                AssignedHandler = Blank(input.Assignee);
                AssignedTeam = Blank(input.Team);
                payload = AssignedTeam is null
                    ? new { assignee = AssignedHandler, department = LeadDepartmentCode }
                    : (object)new { team = AssignedTeam, department = LeadDepartmentCode };
                break;
            case CaseAction.TakeBack:
                payload = AssignedTeam is null
                    ? new { assignee = AssignedHandler, department = LeadDepartmentCode }
                    : (object)new { team = AssignedTeam, department = LeadDepartmentCode };
                AssignedHandler = null;
                AssignedTeam = null;
                break;
            case CaseAction.Return when from == CaseState.PendingDispatch:
                FilingDueAt = ctx.Deadlines.Due(this, CasePhase.Filing, now);
                payload = new { reason = input.Reason };
                break;
            case CaseAction.Return:
                ResumeState = from;
                ReturnCount++;
                payload = new { reason = input.Reason, department = LeadDepartmentCode };
                break;
            case CaseAction.ApproveReturn:
                payload = new { department = LeadDepartmentCode };
                BackToDispatch(ctx);
                break;
            case CaseAction.DenyReturn:
            case CaseAction.DenyExtension:
                target = ResumeState ?? CaseState.Handling;
                ResumeState = null;
                RequestedDueAt = null;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.ReferArbitration:
                payload = new { reason = input.Reason, department = LeadDepartmentCode };
                break;
            case CaseAction.Arbitrate:
                payload = new { upheld = input.Upheld, reason = input.Reason, department = LeadDepartmentCode };
                if (input.Upheld == true)
                {
                    BackToDispatch(ctx);
                    target = CaseState.PendingDispatch;
                }
                else
                {
                    target = ResumeState ?? CaseState.Handling;
                    ResumeState = null;
                }
                break;
            case CaseAction.RequestExtension:
                if (input.DueAt <= now || (HandlingDueAt is not null && input.DueAt <= HandlingDueAt))
                    throw CaseValidationException.Single("dueAt", "The requested deadline must be later than the current handling deadline.");
                RequestedDueAt = input.DueAt;
                ResumeState = from;
                payload = new { requestedDueAt = RequestedDueAt, currentDueAt = HandlingDueAt, reason = input.Reason };
                break;
            case CaseAction.ApproveExtension:
                // The approved deadline falls within the department's working time.
                var newDue = ctx.Deadlines.WithinWorkingTime(this, CasePhase.Handling, input.DueAt ?? RequestedDueAt!.Value);
                if (HandlingDueAt is not null && newDue <= HandlingDueAt)
                    throw CaseValidationException.Single("dueAt", "An extension must move the handling deadline later (within working time).");
                payload = new { previousDueAt = HandlingDueAt, handlingDueAt = newDue };
                HandlingDueAt = newDue;
                target = ResumeState ?? CaseState.Handling;
                ResumeState = null;
                RequestedDueAt = null;
                if (IsOverdue && newDue > now) IsOverdue = false;
                break;
            case CaseAction.RequestSuspension:
            case CaseAction.DenySuspension:
                payload = new { reason = input.Reason };
                break;
            case CaseAction.ApproveSuspension:
                SuspendedAt = now;
                // A suspended case leaves the overdue counts (挂账 is excluded by the standards).
                IsOverdue = false;
                break;
            case CaseAction.Resume:
                if (SuspendedAt is { } pausedAt)
                {
                    ClockPausedSeconds += (long)ctx.Deadlines.BusinessTime(this, CasePhase.Handling, LeadDepartmentCode, pausedAt, now).TotalSeconds;
                    if (HandlingDueAt is not null)
                        HandlingDueAt = ctx.Deadlines.ExtendByPause(this, CasePhase.Handling, HandlingDueAt.Value, pausedAt, now);
                }
                payload = new { suspendedAt = SuspendedAt, handlingDueAt = HandlingDueAt };
                SuspendedAt = null;
                break;
            case CaseAction.AssistReport:
                // An assisting department's part, with its own on-time verdict against the handling deadline.
                payload = new { department = actor.DepartmentCode, result = input.Result!.Trim(), attachmentIds = input.AttachmentIds,
                    dueAt = HandlingDueAt, onTime = HandlingDueAt is null || now <= HandlingDueAt };
                break;
            case CaseAction.Finish:
                Result = input.Result!.Trim();
                FinishedAt = now;
                payload = new { result = Result, attachmentIds = input.AttachmentIds, onTime = HandlingDueAt is null || now <= HandlingDueAt };
                if (ctx.Rules.ReviewFeedback)
                {
                    ReviewDueAt = ctx.Deadlines.Due(this, CasePhase.Review, now);
                    target = CaseState.FeedbackReview;
                }
                else
                {
                    EnterCheck(input.Inspector, ctx);
                    target = CaseState.PendingCheck;
                }
                break;
            case CaseAction.AcceptFeedback:
                EnterCheck(input.Inspector, ctx);
                payload = new { inspector = AssignedInspector };
                break;
            case CaseAction.RejectFeedback:
                payload = new { reason = input.Reason };
                break;
            case CaseAction.AssignCheck:
                AssignedInspector = input.Inspector!.Trim();
                AddInspector(AssignedInspector);
                payload = new { inspector = AssignedInspector };
                break;
            case CaseAction.CheckPass:
            case CaseAction.CheckFail:
                var method = role == Identity.Role.Inspector ? "on-site" : AssignedInspector is not null ? "on-behalf" : "call-back";
                if (method == "call-back" && action == CaseAction.CheckPass && !input.Has("opinion"))
                    throw CaseValidationException.Single("opinion", "Record what the citizen said on the call-back.");
                if (action == CaseAction.CheckPass)
                {
                    CloseDueAt = ctx.Deadlines.Due(this, CasePhase.Close, now);
                    payload = new { method, inspector = AssignedInspector, attachmentIds = input.AttachmentIds };
                }
                else
                {
                    ReworkCount++;
                    payload = new { method, inspector = AssignedInspector, reason = input.Reason, reworkCount = ReworkCount, attachmentIds = input.AttachmentIds };
                }
                break;
            case CaseAction.Close:
                ClosingStandardItem = input.StandardItem!.Trim();
                ClosedAt = now;
                FollowUpDueAt = ctx.Deadlines.Due(this, CasePhase.FollowUp, now);
                IsOverdue = false;
                payload = new { standardItem = ClosingStandardItem };
                break;
            case CaseAction.FollowUp:
                if (input.Contacted == true && input.Satisfaction is null)
                    throw CaseValidationException.Single("satisfaction", "A follow-up that reached the citizen records their satisfaction.");
                FollowedUpAt = now;
                FollowUpContacted = input.Contacted;
                FollowUpResolved = input.Resolved;
                FollowUpSatisfaction = input.Satisfaction;
                FollowUpComment = Blank(input.Comment);
                payload = new { contacted = input.Contacted, resolved = input.Resolved, satisfaction = input.Satisfaction, comment = FollowUpComment };
                break;
            case CaseAction.Reopen:
                ReopenedCount++;
                ClosedAt = null;
                ClosedAtIntake = false;
                SelfHandled = false;
                AssignedHandler = null;
                AssignedTeam = null;
                if (LeadDepartmentCode is not null)
                {
                    HandlingDueAt = ctx.Deadlines.Due(this, CasePhase.Handling, now);
                    target = CaseState.Handling;
                }
                else
                {
                    FilingDueAt = ctx.Deadlines.Due(this, CasePhase.Filing, now);
                    target = CaseState.PendingFiling;
                }
                payload = new { reason = input.Reason, reopenedCount = ReopenedCount, department = LeadDepartmentCode };
                break;
            case CaseAction.Transfer:
                TransferTarget = input.Target!.Trim();
                payload = new { target = TransferTarget, reason = input.Reason };
                break;
            case CaseAction.Merge:
                if (string.Equals(input.TargetCase!.Trim(), Number, StringComparison.OrdinalIgnoreCase))
                    throw CaseValidationException.Single("targetCase", "A case cannot be merged into itself.");
                MergedIntoNumber = input.TargetCase.Trim();
                payload = new { targetCase = MergedIntoNumber };
                break;
            case CaseAction.Cancel:
                payload = new { reason = input.Reason };
                break;
            case CaseAction.HandOver:
            {
                var to = input.Platform!.Trim();
                if (to == PlatformCode) throw CaseValidationException.Single("platform", "The case is already on this platform.");
                var fromPlatform = PlatformCode;
                PlatformCode = to;
                payload = new { from = fromPlatform, to };
                break;
            }
            case CaseAction.Urge:
                payload = new { department = LeadDepartmentCode, assignee = AssignedHandler, team = AssignedTeam };
                break;
            case CaseAction.Supervise:
                Supervised = true;
                payload = new { dueAt = input.DueAt };
                break;
            default:
                throw new InvalidOperationException($"No handler for action {action}.");
        }
        State = target ?? State;
        Append(ctx, action.Name(), from, role, input.Opinion ?? input.Reason, payload, before);
    }

    /// <summary>A return that stands: the case waits for the dispatcher again, with no department.</summary>
    void BackToDispatch(TransitionContext ctx)
    {
        LeadDepartmentCode = null;
        AssistingDepartmentCodes = "";
        AssignedHandler = null;
        AssignedTeam = null;
        SignForDueAt = HandlingDueAt = null;
        ResumeState = null;
        DispatchDueAt = ctx.Deadlines.Due(this, CasePhase.Dispatch, ctx.Now);
    }

    /// <summary>
    /// The check (核查) goes to a named inspector — the server names the default (the verifier, the reporting inspector,
    /// the grid's inspector) — or, where none applies, becomes a call-back by intake or an agent.
    /// </summary>
    void EnterCheck(string? inspector, TransitionContext ctx)
    {
        AssignedInspector = Blank(inspector) ?? VerifiedBy;
        AddInspector(AssignedInspector);
        CheckDueAt = ctx.Deadlines.Due(this, CasePhase.Check, ctx.Now);
    }

    void AddInspector(string? id)
    {
        if (id is null || InspectorIds.Contains("," + id + ",", StringComparison.Ordinal)) return;
        InspectorIds = (InspectorIds.Length == 0 ? "," : InspectorIds) + id + ",";
    }

    /// <summary>Whether this inspector holds or has held a task on the case.</summary>
    public bool HadInspector(string id) => InspectorIds.Contains("," + id + ",", StringComparison.Ordinal);

    void AssignDepartments(ActionInput input)
    {
        var lead = input.LeadDepartment!.Trim();
        var assisting = (input.AssistingDepartments ?? []).Where(d => d is not null).Select(d => d.Trim()).Where(d => d.Length > 0).Distinct().ToList();
        if (assisting.Contains(lead))
            throw CaseValidationException.Single("assistingDepartments", "The lead department cannot also assist.");
        if (assisting.Any(d => d.Contains(',')))
            throw CaseValidationException.Single("assistingDepartments", "A department code has no commas.");
        LeadDepartmentCode = lead;
        AssistingDepartmentCodes = assisting.Count == 0 ? "" : "," + string.Join(",", assisting) + ",";
    }

    /// <summary>Records something that happened to the case without changing its state (unmasking, a reminder…).</summary>
    public void Note(string kind, TransitionContext ctx, string? opinion = null, object? payload = null)
    {
        var role = ctx.Actor.Roles.Count > 0 ? ctx.Actor.Roles.First() : (Role?)null;
        Append(ctx, kind, State, role, opinion, payload, Snapshot());
    }

    /// <summary>
    /// A historical import whose source records facts, not steps (received, replied, closed): stored as one
    /// "import-facts" event with those facts (even when the creation is the only one) and no invented workflow steps. Only the importer may record it, only on a
    /// case it just created from the same source, once. The reply's on-time verdict is given only where the policy
    /// has a handling deadline for that date (its year's calendar is loaded); otherwise it stays unknown.
    /// </summary>
    public void RecordImportedFacts(ImportedFacts facts, TransitionContext ctx)
    {
        if (!ctx.Actor.Has(Role.Importer))
            throw new CaseForbiddenException("Only the importer records the facts of an imported case.");
        if (Source != CaseSource.Import || Version != 1 || State != CaseState.Reported)
            throw new CaseRuleException("ImportFactsOnlyOnNewImport", "Imported facts are recorded once, right after the imported case is created.", State);
        if (facts.RepliedAt < CreatedAt || facts.ClosedAt < CreatedAt)
            throw CaseValidationException.Single("closedAt", "A reply or closure cannot be earlier than the case's creation.");
        var before = Snapshot();
        var from = State;
        LeadDepartmentCode = Blank(facts.Department) ?? LeadDepartmentCode;
        Answer = Blank(facts.Reply);
        DateTimeOffset? due = null;
        bool? onTime = null;
        if (facts.RepliedAt is { } replied)
        {
            FinishedAt = replied;
            due = ctx.Deadlines.Due(this, CasePhase.Handling, CreatedAt);
            onTime = due is null ? null : replied <= due;
        }
        if (facts.ClosedAt is { } closed)
        {
            ClosedAt = closed;
            State = CaseState.Closed;
        }
        var payload = new
        {
            department = LeadDepartmentCode,
            repliedAt = facts.RepliedAt,
            reply = Answer,
            closedAt = facts.ClosedAt,
            handlingDueAt = due,
            onTime,
            categoryMissing = CategoryCode is null ? true : (bool?)null,
        };
        // The event stands at the last fact it records (the closure, else the reply); the clock that ran is not judged.
        var at = new[] { facts.ClosedAt, facts.RepliedAt, ctx.Now }.Max()!.Value;
        Append(ctx with { Now = at }, "import-facts", from, Role.Importer, null, payload, before);
    }

    /// <summary>Another report of the same problem was merged into this case: recorded here too, with who merged it.</summary>
    public void MergedIn(string mergedNumber, TransitionContext ctx)
    {
        MergedInCount++;
        Note("merged-in", ctx, payload: new { caseNumber = mergedNumber, mergedBy = ctx.Actor.Name });
    }

    /// <summary>
    /// Removes the reporter's identity (retention, or the citizen's request); the case, its history and its figures stay.
    /// The event names the reason, never the data.
    /// </summary>
    public bool ForgetReporter(string reason, TransitionContext ctx)
    {
        if (ReporterName is null && ReporterPhone is null && ReporterAddress is null) return false;
        ReporterName = ReporterPhone = ReporterAddress = null;
        Note("reporter-erased", ctx, payload: new { reason });
        return true;
    }

    /// <summary>
    /// Recomputes the running deadlines from the start of their phase with the current calendar and limits (an
    /// administrator's explicit request after a calendar edit). One event when any moved; false when none did.
    /// </summary>
    public bool RecomputeDeadlines(TransitionContext ctx)
    {
        if (State == CaseState.Suspended) return false;
        // A dispatched case that is not signed for yet runs both its sign-for and its handling clock.
        CasePhase[] phases = State == CaseState.PendingSignFor ? [CasePhase.SignFor, CasePhase.Handling]
            : CurrentPhase is { } p ? [p] : [];
        var before = Snapshot();
        var changes = new List<object>();
        foreach (var phase in phases)
        {
            var start = phase switch
            {
                CasePhase.SignFor or CasePhase.Handling => DispatchedAt,
                CasePhase.FollowUp => ClosedAt,
                _ => ClockPhase == phase ? ClockStartedAt : null,
            } ?? PhaseStartedAt;
            var previous = DueOf(phase);
            var due = ctx.Deadlines.Due(this, phase, start);
            if (due is null || due == previous) continue;
            SetDue(phase, due);
            changes.Add(new { phase, previousDueAt = previous, dueAt = due });
        }
        if (changes.Count == 0) return false;
        var role = ctx.Actor.Roles.Count > 0 ? ctx.Actor.Roles.First() : (Role?)null;
        Append(ctx, "deadlines-recomputed", State, role, null, new { changes }, before);
        return true;
    }

    DateTimeOffset? DueOf(CasePhase phase) => phase switch
    {
        CasePhase.Filing => FilingDueAt,
        CasePhase.Verification => VerificationDueAt,
        CasePhase.Dispatch => DispatchDueAt,
        CasePhase.SignFor => SignForDueAt,
        CasePhase.Handling => HandlingDueAt,
        CasePhase.Review => ReviewDueAt,
        CasePhase.Check => CheckDueAt,
        CasePhase.Close => CloseDueAt,
        _ => FollowUpDueAt,
    };

    void SetDue(CasePhase phase, DateTimeOffset? due)
    {
        switch (phase)
        {
            case CasePhase.Filing: FilingDueAt = due; break;
            case CasePhase.Verification: VerificationDueAt = due; break;
            case CasePhase.Dispatch: DispatchDueAt = due; break;
            case CasePhase.SignFor: SignForDueAt = due; break;
            case CasePhase.Handling: HandlingDueAt = due; break;
            case CasePhase.Review: ReviewDueAt = due; break;
            case CasePhase.Check: CheckDueAt = due; break;
            case CasePhase.Close: CloseDueAt = due; break;
            default: FollowUpDueAt = due; break;
        }
    }

    /// <summary>Sets or clears the overdue flag; the clock worker calls this, and it is logged as an event.</summary>
    public bool MarkOverdue(bool overdue, TransitionContext ctx, CasePhase phase)
    {
        if (IsOverdue == overdue || (overdue && State == CaseState.Suspended)) return false;
        IsOverdue = overdue;
        Note(overdue ? "overdue" : "overdue-cleared", ctx, payload: new { phase });
        return true;
    }

    /// <summary>What a change is compared against: every due, and who held the running phase.</summary>
    sealed record ClockSnapshot(DateTimeOffset?[] Dues, string? Department, string? User);

    ClockSnapshot Snapshot() =>
        new(Enum.GetValues<CasePhase>().Select(DueOf).ToArray(), HolderDepartment(ClockPhase), HolderUser(ClockPhase));

    string? HolderDepartment(CasePhase? phase) => phase is { } p && CaseStates.DepartmentPhases.Contains(p) ? LeadDepartmentCode : null;

    string? HolderUser(CasePhase? phase) => phase switch
    {
        CasePhase.SignFor or CasePhase.Handling => AssignedHandler,
        CasePhase.Verification or CasePhase.Check => AssignedInspector,
        _ => null,
    };

    void Append(TransitionContext ctx, string action, CaseState? from, Role? role, string? opinion, object? payload, ClockSnapshot before)
    {
        Version++;
        UpdatedAt = ctx.Now;
        if (from != State) PhaseStartedAt = ctx.Now;
        var ended = SyncClock(ctx, before);
        var json = payload is null ? null : JsonSerializer.Serialize(payload, PayloadJson);
        if (json == "{}") json = null;

        var phases = Enum.GetValues<CasePhase>();
        Dictionary<CasePhase, DateTimeOffset?>? dues = null;
        for (var i = 0; i < phases.Length; i++)
            if (DueOf(phases[i]) != before.Dues[i]) (dues ??= [])[phases[i]] = DueOf(phases[i]);
        var department = HolderDepartment(ClockPhase);
        var user = HolderUser(ClockPhase);
        string? clock = null;
        if (ended is not null || dues is not null || from != State || department != before.Department || user != before.User)
            clock = JsonSerializer.Serialize(new ClockRecord
            {
                // The persisted clock as it stands (a suspended phase keeps its phase and start, without a due).
                Phase = ClockPhase,
                StartedAt = ClockStartedAt,
                PausedSeconds = ClockPausedSeconds == 0 ? null : ClockPausedSeconds,
                DueAt = ClockDueAt,
                WarnAt = ClockWarnAt,
                Department = department,
                User = user,
                Ended = ended,
                Dues = dues,
            }, ClockJson);
        _newEvents.Add(new CaseEvent(Id, PlatformCode, Version, action, from, State, ctx.Actor, role, ctx.Now, Blank(opinion), json, clock));
    }

    /// <summary>
    /// Keeps the persisted clock (phase, due, warning instant, next check) in step with the state: a new phase starts
    /// a new clock and ends the old one (returned, with its verdict and times), a moved due (extension, resume) moves
    /// the warning, a suspension stops it. An overdue flag that the new clock no longer justifies is cleared here; the
    /// transition's own event records why.
    /// </summary>
    EndedPhase? SyncClock(TransitionContext ctx, ClockSnapshot before)
    {
        var phase = State == CaseState.Suspended ? null : CurrentPhase;
        var due = phase is null ? null : CurrentDueAt;
        EndedPhase? ended = null;
        if (phase != ClockPhase && State != CaseState.Suspended)
        {
            if (ClockPhase is { } endedPhase && ClockStartedAt is { } started)
            {
                var business = ctx.Deadlines.BusinessTime(this, endedPhase, before.Department, started, ctx.Now);
                var businessSeconds = Math.Max(0, (long)business.TotalSeconds - ClockPausedSeconds);
                ended = new EndedPhase(endedPhase, started, ctx.Now, ClockDueAt, ClockDueAt is null || ctx.Now <= ClockDueAt,
                    (long)(ctx.Now - started).TotalSeconds, businessSeconds, ClockPausedSeconds, before.Department, before.User,
                    ctx.Deadlines.KindOf(this, endedPhase));
            }
            ClockPhase = phase;
            ClockStartedAt = phase is null ? null : ctx.Now;
            ClockPausedSeconds = 0;
        }
        if (due == ClockDueAt && (due is null || ClockWarnAt is not null)) return ended;
        ClockDueAt = due;
        ClockWarnAt = due is { } d && phase is { } p ? ctx.Deadlines.WarnAt(this, p, d) : null;
        NextCheckAt = ClockWarnAt is { } w && w < due ? w : due;
        if (IsOverdue && (due is null || due > ctx.Now)) IsOverdue = false;
        return ended;
    }

    /// <summary>
    /// Sets the persisted clock from the events' clock records (the projection's rebuild): the phase, its start, due
    /// and warning as recorded then, never recomputed from today's calendar.
    /// </summary>
    public void RestoreClockFrom(ClockRecord record)
    {
        ClockPhase = record.Phase;
        ClockStartedAt = record.StartedAt;
        ClockDueAt = record.DueAt;
        ClockWarnAt = record.WarnAt;
        ClockPausedSeconds = record.PausedSeconds ?? 0;
    }

    /// <summary>Where the light of the running clock stands at <paramref name="now"/>: the one rule API, lists and worker share.</summary>
    public CaseLight LightAt(DateTimeOffset now)
    {
        if (State == CaseState.Suspended) return CaseLight.Paused;
        if (ClockDueAt is not { } due) return CaseLight.None;
        if (IsOverdue || now >= due) return CaseLight.Red;
        return ClockWarnAt is { } warn && now >= warn ? CaseLight.Yellow : CaseLight.Green;
    }

    /// <summary>
    /// Starts the persisted clock of a case stored before clocks were persisted (the phase counted from when its state
    /// was entered). Bookkeeping, not an event: the case's history does not change.
    /// </summary>
    public bool RestoreClock(TransitionContext ctx)
    {
        if (ClockPhase is not null || CurrentPhase is null || State == CaseState.Suspended) return false;
        SyncClock(ctx, Snapshot());
        ClockStartedAt = PhaseStartedAt;
        return true;
    }

    /// <summary>The clock worker's bookkeeping: when it must look at this case again (null: nothing left to do).</summary>
    public void ScheduleCheck(DateTimeOffset? at) => NextCheckAt = at;

    /// <summary>The due instant of the phase the case is in now, for lights and the worker's index.</summary>
    public DateTimeOffset? CurrentDueAt => CurrentPhase is { } phase && State != CaseState.Suspended ? DueOf(phase) : null;

    public CasePhase? CurrentPhase => State switch
    {
        CaseState.Reported or CaseState.PendingFiling => CasePhase.Filing,
        CaseState.Verifying => CasePhase.Verification,
        CaseState.PendingDispatch => CasePhase.Dispatch,
        CaseState.PendingSignFor => CasePhase.SignFor,
        CaseState.Handling or CaseState.ReturnRequested or CaseState.ExtensionRequested or CaseState.SuspensionRequested
            or CaseState.Suspended or CaseState.ArbitrationRequested => CasePhase.Handling,
        CaseState.FeedbackReview => CasePhase.Review,
        CaseState.PendingCheck => CasePhase.Check,
        CaseState.PendingClose => CasePhase.Close,
        CaseState.Closed when FollowedUpAt is null && !SelfHandled => CasePhase.FollowUp,
        _ => null,
    };

    public bool HasDepartment(string departmentCode) =>
        LeadDepartmentCode == departmentCode || AssistingDepartmentCodes.Contains("," + departmentCode + ",", StringComparison.Ordinal);

    static string Local(DateTimeOffset instant) => instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm");

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
