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
    public bool Confidential { get; init; }
    public bool Anonymous { get; init; }
    public Urgency Urgency { get; init; } = Urgency.Normal;
    public string? ExternalId { get; init; }
    /// <summary>Set by intake, not by the reporter: the recently closed case this report repeats.</summary>
    public string? RepeatOfNumber { get; init; }
}

/// <summary>Where the geocoder placed a case: its grid and area chain, or a flag that it is outside every grid.</summary>
public sealed record CasePlace(string? GridCode, string? CommunityCode, string? StreetCode, string? DistrictCode, bool OutsideGrid);

/// <summary>A phase clock that stopped: its phase, start, end and the due it had, for the per-phase time record.</summary>
public sealed record EndedPhase(CasePhase Phase, DateTimeOffset StartedAt, DateTimeOffset EndedAt, DateTimeOffset? DueAt);

/// <summary>Traffic light of a case's running phase clock.</summary>
public enum CaseLight { None, Green, Yellow, Red, Paused }

public sealed record TransitionContext(Actor Actor, DateTimeOffset Now, IDeadlinePolicy Deadlines);

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
    public bool Confidential { get; private set; }
    public bool Anonymous { get; private set; }
    public string? QueryCodeHash { get; private set; }

    public string? LeadDepartmentCode { get; private set; }
    /// <summary>Assisting departments as ",A,B," so that "is this department on the case" is one LIKE on both databases.</summary>
    public string AssistingDepartmentCodes { get; private set; } = "";
    public string? AssignedInspector { get; private set; }

    public DateTimeOffset? FilingDueAt { get; private set; }
    public DateTimeOffset? SignForDueAt { get; private set; }
    public DateTimeOffset? HandlingDueAt { get; private set; }
    public DateTimeOffset? CheckDueAt { get; private set; }
    public DateTimeOffset? CloseDueAt { get; private set; }
    public DateTimeOffset? FollowUpDueAt { get; private set; }
    public DateTimeOffset? RequestedDueAt { get; private set; }
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
    /// <summary>The phase that the last change ended, for the per-phase time record; not persisted.</summary>
    public EndedPhase? LastEndedPhase { get; private set; }
    /// <summary>The recently closed case this report repeats (same caller, or same place and category).</summary>
    public string? RepeatOfNumber { get; private set; }

    public bool Supervised { get; private set; }
    public string? MergedIntoNumber { get; private set; }
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
            Latitude = input.Latitude,
            Longitude = input.Longitude,
            Address = Blank(input.Address),
            ComponentId = Blank(input.ComponentId),
            ReporterName = input.Anonymous ? null : Blank(input.ReporterName),
            ReporterPhone = input.Anonymous ? null : Blank(input.ReporterPhone),
            Confidential = input.Confidential,
            Anonymous = input.Anonymous,
            QueryCodeHash = queryCodeHash,
            RepeatOfNumber = Blank(input.RepeatOfNumber),
            CreatedAt = ctx.Now,
            UpdatedAt = ctx.Now,
            CreatedBy = actor.Id,
        };
        if (place is not null) c.Place(place);
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
        });
        return c;
    }

    static void Validate(NewCase input)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Description)) errors["description"] = ["A description is required."];
        else if (input.Description.Length > 4000) errors["description"] = ["A description has at most 4000 characters."];
        var hasPoint = input.Latitude is not null && input.Longitude is not null;
        if ((input.Latitude is null) != (input.Longitude is null)) errors["location"] = ["Give both lat and lon, or neither."];
        if (!hasPoint && string.IsNullOrWhiteSpace(input.Address)) errors["location"] = ["Give a location (lat, lon) or an address."];
        if (input.Latitude is < -90 or > 90) errors["location.lat"] = ["Latitude must be between -90 and 90."];
        if (input.Longitude is < -180 or > 180) errors["location.lon"] = ["Longitude must be between -180 and 180."];
        if (input.ReporterPhone is { Length: > 0 } phone && !phone.All(ch => char.IsDigit(ch) || ch is '-' or '+' or ' '))
            errors["reporter.phone"] = ["A phone number has digits, spaces, '+' and '-' only."];
        if (input.Address is { Length: > 500 }) errors["address"] = ["An address has at most 500 characters."];
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

    /// <summary>Why the actor cannot perform the action now, or null if they can (before looking at the input).</summary>
    public string? WhyNot(CaseAction action, Actor actor, out Transition? transition, out Role role)
    {
        role = default;
        transition = TransitionTable.Find(action, State);
        if (transition is null)
            return $"'{action.Name()}' is not allowed while the case is {Kebab.From(State.ToString())}.";
        var roles = transition.Roles;
        if (!actor.Roles.Any(roles.Contains))
            return $"'{action.Name()}' needs one of the roles {string.Join(", ", roles.Select(r => r.ToKebab()))}.";
        role = actor.Roles.First(roles.Contains);
        if (Roles.DepartmentBound.Contains(role) && (actor.DepartmentCode is null || actor.DepartmentCode != LeadDepartmentCode))
            return $"'{action.Name()}' is for the lead department of this case.";
        if (role == Identity.Role.Inspector && action is CaseAction.Verify or CaseAction.CheckPass or CaseAction.CheckFail
            && AssignedInspector is not null && AssignedInspector != actor.Id)
            return "This task is assigned to another inspector.";
        return action switch
        {
            CaseAction.AnswerDirectly when RequestType is not (RequestType.Enquiry or RequestType.Help or RequestType.Praise) =>
                "Only enquiries, requests for help and praise can be answered directly at intake.",
            CaseAction.FollowUp when FollowedUpAt is not null && FollowedUpAt >= ClosedAt =>
                "This closure has already been followed up.",
            CaseAction.Reopen when !(FollowedUpAt >= ClosedAt && (FollowUpResolved == false || FollowUpSatisfaction == Satisfaction.Dissatisfied)) =>
                "A case is reopened only after a follow-up in which the citizen was dissatisfied or the problem unresolved.",
            CaseAction.Supervise when Supervised => "The case is already under supervision.",
            _ => null,
        };
    }

    /// <summary>The actions the actor may perform now, each with the fields it needs.</summary>
    public IReadOnlyList<Transition> AvailableActions(Actor actor) =>
        Enum.GetValues<CaseAction>()
            .Select(a => WhyNot(a, actor, out var t, out _) is null ? t : null)
            .OfType<Transition>()
            .ToList();

    /// <summary>Performs one action of the workflow, or throws saying exactly why not. Never silently does nothing.</summary>
    public void Perform(CaseAction action, ActionInput input, TransitionContext ctx)
    {
        var actor = ctx.Actor;
        var whyNot = WhyNot(action, actor, out var transition, out var role);
        if (whyNot is not null)
        {
            // A role that can never perform the action is a permission problem; otherwise the state is wrong.
            var everAllowed = TransitionTable.For(action).Any(t => actor.Roles.Any(t.Roles.Contains));
            if (!everAllowed || (transition is not null && !actor.Roles.Any(transition.Roles.Contains)) || whyNot.Contains("lead department") || whyNot.Contains("another inspector"))
                throw new CaseForbiddenException(whyNot);
            throw new CaseRuleException("TransitionNotAllowed", whyNot, State);
        }
        var missing = transition!.Fields.Where(f => f.Required && !input.Has(f.Name)).ToDictionary(f => f.Name, f => new[] { $"'{f.Name}' is required for '{action.Name()}'." });
        if (missing.Count > 0) throw new CaseValidationException(missing);

        var from = State;
        var now = ctx.Now;
        object? payload = null;
        switch (action)
        {
            case CaseAction.RequestVerification:
                AssignedInspector = Blank(input.Inspector);
                State = CaseState.Verifying;
                payload = new { inspector = AssignedInspector };
                break;
            case CaseAction.Verify:
                State = CaseState.PendingFiling;
                AssignedInspector = null;
                payload = new { confirmed = input.Confirmed, attachmentIds = input.AttachmentIds };
                break;
            case CaseAction.Register:
                if (input.Has("categoryCode")) CategoryCode = input.CategoryCode!.Trim();
                State = CaseState.PendingFiling;
                payload = new { categoryCode = CategoryCode };
                break;
            case CaseAction.File:
                if (input.Has("categoryCode")) CategoryCode = input.CategoryCode!.Trim();
                if (CategoryCode is null) throw CaseValidationException.Single("categoryCode", "Filing needs a category.");
                FilingStandardItem = input.StandardItem!.Trim();
                CatalogueVersion = input.CatalogueVersion ?? CatalogueVersion;
                FiledAt = now;
                State = CaseState.PendingDispatch;
                payload = new { categoryCode = CategoryCode, standardItem = FilingStandardItem, catalogueVersion = CatalogueVersion };
                break;
            case CaseAction.Reject:
                RejectReason = input.Reason!.Trim();
                FilingStandardItem = Blank(input.StandardItem);
                State = CaseState.Rejected;
                payload = new { reason = RejectReason, standardItem = FilingStandardItem };
                break;
            case CaseAction.AnswerDirectly:
                Answer = input.Answer!.Trim();
                ClosedAtIntake = true;
                ClosedAt = now;
                FollowUpDueAt = ctx.Deadlines.Due(this, CasePhase.FollowUp, now);
                State = CaseState.Closed;
                payload = new { answer = Answer };
                break;
            case CaseAction.Dispatch:
            case CaseAction.Redispatch:
                AssignDepartments(input);
                DispatchedAt = now;
                SignForDueAt = ctx.Deadlines.Due(this, CasePhase.SignFor, now);
                HandlingDueAt = ctx.Deadlines.Due(this, CasePhase.Handling, now);
                ResumeState = null;
                State = CaseState.PendingSignFor;
                payload = new { leadDepartment = LeadDepartmentCode, assistingDepartments = AssistingDepartments, reason = Blank(input.Reason), signForDueAt = SignForDueAt, handlingDueAt = HandlingDueAt };
                break;
            case CaseAction.SignFor:
                State = CaseState.Handling;
                break;
            case CaseAction.Return when from == CaseState.PendingDispatch:
                State = CaseState.PendingFiling;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.Return:
                ResumeState = from;
                ReturnCount++;
                State = CaseState.ReturnRequested;
                payload = new { reason = input.Reason, department = LeadDepartmentCode };
                break;
            case CaseAction.ApproveReturn:
                payload = new { department = LeadDepartmentCode };
                LeadDepartmentCode = null;
                AssistingDepartmentCodes = "";
                SignForDueAt = HandlingDueAt = null;
                ResumeState = null;
                State = CaseState.PendingDispatch;
                break;
            case CaseAction.DenyReturn:
            case CaseAction.DenyExtension:
                State = ResumeState ?? CaseState.Handling;
                ResumeState = null;
                RequestedDueAt = null;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.RequestExtension:
                var currentDue = from == CaseState.PendingSignFor ? SignForDueAt : HandlingDueAt;
                if (input.DueAt <= now || (HandlingDueAt is not null && input.DueAt <= HandlingDueAt))
                    throw CaseValidationException.Single("dueAt", "The requested deadline must be later than the current handling deadline.");
                RequestedDueAt = input.DueAt;
                ResumeState = from;
                State = CaseState.ExtensionRequested;
                payload = new { requestedDueAt = RequestedDueAt, currentDueAt = currentDue, reason = input.Reason };
                break;
            case CaseAction.ApproveExtension:
                var newDue = input.DueAt ?? RequestedDueAt!.Value;
                if (HandlingDueAt is not null && newDue <= HandlingDueAt)
                    throw CaseValidationException.Single("dueAt", "An extension must move the handling deadline later.");
                payload = new { previousDueAt = HandlingDueAt, handlingDueAt = newDue };
                HandlingDueAt = newDue;
                State = ResumeState ?? CaseState.Handling;
                ResumeState = null;
                RequestedDueAt = null;
                if (IsOverdue && newDue > now) IsOverdue = false;
                break;
            case CaseAction.RequestSuspension:
                State = CaseState.SuspensionRequested;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.ApproveSuspension:
                SuspendedAt = now;
                // A suspended case leaves the overdue counts (挂账 is excluded by the standards).
                IsOverdue = false;
                State = CaseState.Suspended;
                break;
            case CaseAction.DenySuspension:
                State = CaseState.Handling;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.Resume:
                if (HandlingDueAt is not null && SuspendedAt is not null)
                    HandlingDueAt = ctx.Deadlines.ExtendByPause(this, CasePhase.Handling, HandlingDueAt.Value, SuspendedAt.Value, now);
                payload = new { suspendedAt = SuspendedAt, handlingDueAt = HandlingDueAt };
                SuspendedAt = null;
                State = CaseState.Handling;
                break;
            case CaseAction.Finish:
                Result = input.Result!.Trim();
                FinishedAt = now;
                CheckDueAt = ctx.Deadlines.Due(this, CasePhase.Check, now);
                State = CaseState.PendingCheck;
                payload = new { result = Result, attachmentIds = input.AttachmentIds, onTime = HandlingDueAt is null || now <= HandlingDueAt };
                break;
            case CaseAction.CheckPass:
                CloseDueAt = ctx.Deadlines.Due(this, CasePhase.Close, now);
                State = CaseState.PendingClose;
                payload = new { attachmentIds = input.AttachmentIds };
                break;
            case CaseAction.CheckFail:
                ReworkCount++;
                State = CaseState.Handling;
                payload = new { reason = input.Reason, reworkCount = ReworkCount, attachmentIds = input.AttachmentIds };
                break;
            case CaseAction.Close:
                ClosingStandardItem = input.StandardItem!.Trim();
                ClosedAt = now;
                FollowUpDueAt = ctx.Deadlines.Due(this, CasePhase.FollowUp, now);
                IsOverdue = false;
                State = CaseState.Closed;
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
                if (LeadDepartmentCode is not null)
                {
                    HandlingDueAt = ctx.Deadlines.Due(this, CasePhase.Handling, now);
                    State = CaseState.Handling;
                }
                else State = CaseState.PendingFiling;
                payload = new { reason = input.Reason, reopenedCount = ReopenedCount, department = LeadDepartmentCode };
                break;
            case CaseAction.Transfer:
                TransferTarget = input.Target!.Trim();
                State = CaseState.Transferred;
                payload = new { target = TransferTarget, reason = input.Reason };
                break;
            case CaseAction.Merge:
                if (string.Equals(input.TargetCase!.Trim(), Number, StringComparison.OrdinalIgnoreCase))
                    throw CaseValidationException.Single("targetCase", "A case cannot be merged into itself.");
                MergedIntoNumber = input.TargetCase.Trim();
                State = CaseState.Cancelled;
                payload = new { targetCase = MergedIntoNumber };
                break;
            case CaseAction.Cancel:
                State = CaseState.Cancelled;
                payload = new { reason = input.Reason };
                break;
            case CaseAction.Supervise:
                Supervised = true;
                payload = new { dueAt = input.DueAt };
                break;
            default:
                throw new InvalidOperationException($"No handler for action {action}.");
        }
        Append(ctx, action.Name(), from, role, input.Opinion ?? input.Reason, payload);
    }

    void AssignDepartments(ActionInput input)
    {
        var lead = input.LeadDepartment!.Trim();
        var assisting = (input.AssistingDepartments ?? []).Select(d => d.Trim()).Where(d => d.Length > 0).Distinct().ToList();
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
        Append(ctx, kind, State, role, opinion, payload);
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
        var changes = new List<object>();
        foreach (var phase in phases)
        {
            var start = phase switch
            {
                CasePhase.Filing => CreatedAt,
                CasePhase.SignFor or CasePhase.Handling => DispatchedAt,
                CasePhase.Check => FinishedAt,
                CasePhase.FollowUp => ClosedAt,
                _ => PhaseStartedAt,
            } ?? PhaseStartedAt;
            var previous = DueOf(phase);
            var due = ctx.Deadlines.Due(this, phase, start);
            if (due is null || due == previous) continue;
            switch (phase)
            {
                case CasePhase.Filing: FilingDueAt = due; break;
                case CasePhase.SignFor: SignForDueAt = due; break;
                case CasePhase.Handling: HandlingDueAt = due; break;
                case CasePhase.Check: CheckDueAt = due; break;
                case CasePhase.Close: CloseDueAt = due; break;
                case CasePhase.FollowUp: FollowUpDueAt = due; break;
            }
            changes.Add(new { phase, previousDueAt = previous, dueAt = due });
        }
        if (changes.Count == 0) return false;
        Note("deadlines-recomputed", ctx, payload: new { changes });
        return true;
    }

    DateTimeOffset? DueOf(CasePhase phase) => phase switch
    {
        CasePhase.Filing => FilingDueAt,
        CasePhase.SignFor => SignForDueAt,
        CasePhase.Handling => HandlingDueAt,
        CasePhase.Check => CheckDueAt,
        CasePhase.Close => CloseDueAt,
        _ => FollowUpDueAt,
    };

    /// <summary>Sets or clears the overdue flag; the clock worker calls this, and it is logged as an event.</summary>
    public bool MarkOverdue(bool overdue, TransitionContext ctx, CasePhase phase)
    {
        if (IsOverdue == overdue || (overdue && State == CaseState.Suspended)) return false;
        IsOverdue = overdue;
        Note(overdue ? "overdue" : "overdue-cleared", ctx, payload: new { phase });
        return true;
    }

    void Append(TransitionContext ctx, string action, CaseState? from, Role? role, string? opinion, object? payload)
    {
        Version++;
        UpdatedAt = ctx.Now;
        if (from != State) PhaseStartedAt = ctx.Now;
        SyncClock(ctx);
        var json = payload is null ? null : JsonSerializer.Serialize(payload, PayloadJson);
        if (json == "{}") json = null;
        _newEvents.Add(new CaseEvent(Id, Version, action, from, State, ctx.Actor, role, ctx.Now, Blank(opinion), json));
    }

    /// <summary>
    /// Keeps the persisted clock (phase, due, warning instant, next check) in step with the state: a new phase starts
    /// a new clock, a moved due (extension, resume) moves the warning, a suspension stops it. An overdue flag that the
    /// new clock no longer justifies is cleared here; the transition's own event records why.
    /// </summary>
    void SyncClock(TransitionContext ctx)
    {
        var phase = State == CaseState.Suspended ? null : CurrentPhase;
        var due = phase is null ? null : CurrentDueAt;
        LastEndedPhase = null;
        if (phase != ClockPhase && State != CaseState.Suspended)
        {
            if (ClockPhase is { } ended && ClockStartedAt is { } started)
                LastEndedPhase = new EndedPhase(ended, started, ctx.Now, ClockDueAt);
            ClockPhase = phase;
            ClockStartedAt = phase is null ? null : ctx.Now;
        }
        if (due == ClockDueAt && (due is null || ClockWarnAt is not null)) return;
        ClockDueAt = due;
        ClockWarnAt = due is { } d && phase is { } p ? ctx.Deadlines.WarnAt(this, p, d) : null;
        NextCheckAt = ClockWarnAt is { } w && w < due ? w : due;
        if (IsOverdue && (due is null || due > ctx.Now)) IsOverdue = false;
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
        SyncClock(ctx);
        ClockStartedAt = PhaseStartedAt;
        LastEndedPhase = null;
        return true;
    }

    /// <summary>The clock worker's bookkeeping: when it must look at this case again (null: nothing left to do).</summary>
    public void ScheduleCheck(DateTimeOffset? at) => NextCheckAt = at;

    /// <summary>The due instant of the phase the case is in now, for lights and the worker's index.</summary>
    public DateTimeOffset? CurrentDueAt => State switch
    {
        CaseState.Reported or CaseState.Verifying or CaseState.PendingFiling => FilingDueAt,
        CaseState.PendingSignFor => SignForDueAt,
        CaseState.Handling or CaseState.ReturnRequested or CaseState.ExtensionRequested or CaseState.SuspensionRequested => HandlingDueAt,
        CaseState.PendingCheck => CheckDueAt,
        CaseState.PendingClose => CloseDueAt,
        CaseState.Closed when FollowedUpAt is null => FollowUpDueAt,
        _ => null,
    };

    public CasePhase? CurrentPhase => State switch
    {
        CaseState.Reported or CaseState.Verifying or CaseState.PendingFiling => CasePhase.Filing,
        CaseState.PendingDispatch => null,
        CaseState.PendingSignFor => CasePhase.SignFor,
        CaseState.Handling or CaseState.ReturnRequested or CaseState.ExtensionRequested or CaseState.SuspensionRequested or CaseState.Suspended => CasePhase.Handling,
        CaseState.PendingCheck => CasePhase.Check,
        CaseState.PendingClose => CasePhase.Close,
        CaseState.Closed when FollowedUpAt is null => CasePhase.FollowUp,
        _ => null,
    };

    public bool HasDepartment(string departmentCode) =>
        LeadDepartmentCode == departmentCode || AssistingDepartmentCodes.Contains("," + departmentCode + ",", StringComparison.Ordinal);

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
