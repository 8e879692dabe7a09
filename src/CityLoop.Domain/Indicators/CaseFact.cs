using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Indicators;

/// <summary>
/// One row per case of the figures' facts (REFERENCE.md §6, the production 数字城管 fact row): the dimensions a figure
/// is sliced by, the dates that put a case in a period, and 0/1 (or count) counters. Every indicator is a ratio of sums
/// of these counters over a slice, and its drill-down is the rows behind a sum. Folded from the case's events alone
/// (<see cref="Apply"/>) — action names, payloads and clock records — plus the case's immutable intake facts, so a
/// rebuild from the log gives the same row. Counters describe the case as its history ends (a reopened case is no
/// longer closed until it closes again), except those named "ever" or "count".
/// </summary>
public sealed class CaseFact
{
    public Guid CaseId { get; set; }
    public string PlatformCode { get; set; } = "";
    public string CaseNumber { get; set; } = "";

    // Dimensions.
    public CaseSource Source { get; set; }
    public RequestType RequestType { get; set; }
    public string? CategoryCode { get; set; }
    public string? DistrictCode { get; set; }
    public string? StreetCode { get; set; }
    public string? CommunityCode { get; set; }
    public string? GridCode { get; set; }
    /// <summary>The department holding the case as its history ends (null after a return that stood).</summary>
    public string? LeadDepartmentCode { get; set; }
    /// <summary>Who reported it: the inspector, operator, agent or channel principal that created the case.</summary>
    public string ReportedBy { get; set; } = "";
    public Role? ReporterRole { get; set; }
    /// <summary>The state after the last event (so an "open" figure needs no join to the case row).</summary>
    public CaseState State { get; set; }

    // Who is accountable for each step: the person assessments (REFERENCE §6) group the step's figures by these.
    /// <summary>受理员: the intake operator who took the case in (its reporter, or the first intake operator to act on it).</summary>
    public string? IntakeBy { get; set; }
    /// <summary>The intake operator who sent the verification task (核实派发).</summary>
    public string? VerificationSentBy { get; set; }
    /// <summary>The inspector whose verdict the verification is (on site, or recorded for them by intake).</summary>
    public string? VerifiedBy { get; set; }
    /// <summary>值班长: who filed the case.</summary>
    public string? FiledBy { get; set; }
    /// <summary>派遣员: who first dispatched the case.</summary>
    public string? DispatchedBy { get; set; }
    /// <summary>The intake operator who sent the last check task (核查派发).</summary>
    public string? CheckSentBy { get; set; }
    /// <summary>The inspector of the last check (or the intake operator or agent of a call-back check).</summary>
    public string? CheckedBy { get; set; }
    /// <summary>值班长: who closed the case (the closure that stands).</summary>
    public string? ClosedBy { get; set; }

    // Dates that put a case in a period.
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? FiledAt { get; set; }
    public DateTimeOffset? DispatchedAt { get; set; }
    public DateTimeOffset? HandlingDueAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public DateTimeOffset? FollowedUpAt { get; set; }
    /// <summary>市派: the upper platform's deadline for the result; where set, 及时反馈 means closed by it.</summary>
    public DateTimeOffset? FeedbackDueAt { get; set; }

    // Counters.
    public int Reported { get; set; }
    /// <summary>接件: taken in (not withdrawn as 作废 at intake).</summary>
    public int Accepted { get; set; }
    /// <summary>Handled by this platform's own units (not transferred elsewhere).</summary>
    public int Own { get; set; }
    public int Imported { get; set; }
    /// <summary>The source an imported case came from (null for the platform's own cases): figures can be sliced by it.</summary>
    public string? ImportOrigin { get; set; }
    /// <summary>
    /// The case's workflow is known: every own case, and an import whose source gave its steps. An import of facts only
    /// (received, replied, closed) is 0, so it stays out of the rates whose inputs it lacks (valid reports, answered at
    /// intake, repeats, first-time closure, follow-up).
    /// </summary>
    public int StepsKnown { get; set; }
    /// <summary>Whether the reply's timeliness is known: a case with known steps, or an import with an on-time verdict.</summary>
    public int ReplyKnown { get; set; }
    /// <summary>Closed, and its steps known (the base of first-time closure and follow-up rates).</summary>
    public int ClosedStepsKnown { get; set; }
    /// <summary>The verdict an import of facts carries for its reply (null: none, or not such an import).</summary>
    public bool? ImportedReplyOnTime { get; set; }
    /// <summary>有效上报: confirmed on site, filed, or fixed on the spot by the reporting inspector.</summary>
    public int ValidReport { get; set; }
    public int VerificationDone { get; set; }
    public int VerifiedOnTime { get; set; }
    public int Filed { get; set; }
    public int FiledOnTime { get; set; }
    /// <summary>准确立案: filed and not withdrawn (作废) afterwards.</summary>
    public int FiledAccurately { get; set; }
    public int Rejected { get; set; }
    /// <summary>Dispatched at least once (ever).</summary>
    public int Dispatched { get; set; }
    public int DispatchedOnTime { get; set; }
    /// <summary>准确派遣: dispatched and never sent back to dispatch by an approved or upheld return.</summary>
    public int DispatchedAccurately { get; set; }
    public int SignedFor { get; set; }
    public int SignedOnTime { get; set; }
    /// <summary>应处置: held by a department as the history ends.</summary>
    public int NeedDispose { get; set; }
    /// <summary>处置: the department's report of the work done stands (not sent back by a failed check since).</summary>
    public int Disposed { get; set; }
    public int DisposedOnTime { get; set; }
    /// <summary>经处置: reported done at least once (the base of 返工率).</summary>
    public int ThroughDispose { get; set; }
    public int CheckDone { get; set; }
    public int CheckedOnTime { get; set; }
    /// <summary>应结案: filed (including fixed on the spot), and not withdrawn, transferred or merged since.</summary>
    public int NeedArchive { get; set; }
    /// <summary>结案: a filed case closed.</summary>
    public int Archived { get; set; }
    /// <summary>按期结案: closed, its handling reported on time, and the closing decision on time.</summary>
    public int ArchivedOnTime { get; set; }
    public int ArchivedLate { get; set; }
    /// <summary>Closed among the cases held by a department (解决, 怀化's count).</summary>
    public int Solved { get; set; }
    /// <summary>办结: closed by any route (answered at intake, fixed on the spot, or the whole loop).</summary>
    public int Closed { get; set; }
    /// <summary>Closed with no rework, no return and no reopening.</summary>
    public int ClosedFirstTime { get; set; }
    public int Unclosed { get; set; }
    /// <summary>Answered at intake or reported done by the department within its deadline.</summary>
    public int RepliedOnTime { get; set; }
    public int ReworkCount { get; set; }
    public int Reworked { get; set; }
    public int ReturnCount { get; set; }
    public int Returned { get; set; }
    public int ExtensionCount { get; set; }
    public int Extended { get; set; }
    /// <summary>挂账: suspended as the history ends.</summary>
    public int Suspended { get; set; }
    public int Transferred { get; set; }
    public int Cancelled { get; set; }
    public int Merged { get; set; }
    public int MergedInCount { get; set; }
    public int SelfHandled { get; set; }
    public int AnsweredDirectly { get; set; }
    public int ClosedAtIntake { get; set; }
    /// <summary>The last follow-up of the case (a later one, after a reopening, replaces it).</summary>
    public int FollowedUp { get; set; }
    public int Contacted { get; set; }
    /// <summary>Closed and followed up (回访 of a closure that stands).</summary>
    public int ClosedFollowedUp { get; set; }
    public int Rated { get; set; }
    /// <summary>Whose rating the satisfaction counters hold: "follow-up" (the 回访) or "citizen" (the portal's own rating).</summary>
    public string? RatingSource { get; set; }
    public int Satisfied { get; set; }
    public int BasicallySatisfied { get; set; }
    public int Dissatisfied { get; set; }
    public int SatisfiedOrBasically { get; set; }
    public int ResolutionAnswered { get; set; }
    public int Resolved { get; set; }
    public int Repeat { get; set; }
    public int ReopenCount { get; set; }
    public int Reopened { get; set; }
    /// <summary>Ever marked overdue by the clock worker (超期).</summary>
    public int Overdue { get; set; }
    /// <summary>超期待处置: held by a department, its work not reported done (or sent back), and marked overdue.</summary>
    public int OverduePending { get; set; }
    public int Supervised { get; set; }
    /// <summary>An intake operator took the case in (受理数 of the operator in <see cref="IntakeBy"/>).</summary>
    public int IntakeHandled { get; set; }
    /// <summary>A verification task was sent (the last one counts) and whether within the filing phase's limit.</summary>
    public int VerificationSent { get; set; }
    public int VerificationSentOnTime { get; set; }
    /// <summary>A check task was assigned (the last one counts) and whether before the check phase's due.</summary>
    public int CheckSent { get; set; }
    public int CheckSentOnTime { get; set; }
    /// <summary>结案 by a shift leader's closing decision that stands (self-handled cases close without one).</summary>
    public int ClosingDecided { get; set; }
    /// <summary>The standing closing decision was taken within the closing limit (值班长's 按时结案).</summary>
    public int ClosingOnTime { get; set; }

    // Helpers of the fold, kept on the row so that an incremental apply needs nothing else.
    /// <summary>Whether the last report of the work done was on time (按期处置 of the report that stands or stood).</summary>
    public bool LastFinishOnTime { get; set; }
    /// <summary>The due of the running check phase, from the clock records (to judge when the check task was sent).</summary>
    public DateTimeOffset? CheckDueAt { get; set; }

    /// <summary>The names of the counters, for the catalogue and for summing in SQL.</summary>
    public static readonly IReadOnlySet<string> CounterNames = typeof(CaseFact).GetProperties()
        .Where(p => p.PropertyType == typeof(int)).Select(p => p.Name).ToHashSet();

    static readonly Dictionary<string, Func<CaseFact, int>> Counters = typeof(CaseFact).GetProperties()
        .Where(p => p.PropertyType == typeof(int))
        .ToDictionary(p => p.Name, p => (Func<CaseFact, int>)(f => (int)p.GetValue(f)!));

    public int Counter(string name) => Counters[name](this);

    public DateTimeOffset? DateOf(FactDate date) => date switch
    {
        FactDate.Received => ReceivedAt,
        FactDate.Filed => FiledAt,
        FactDate.Dispatched => DispatchedAt,
        FactDate.HandlingDue => HandlingDueAt,
        FactDate.Finished => FinishedAt,
        FactDate.Closed => ClosedAt,
        _ => FollowedUpAt,
    };

    /// <summary>The row a case starts with, from its creation event and its immutable intake facts.</summary>
    public static CaseFact Start(Case c, CaseEvent created)
    {
        var f = new CaseFact
        {
            CaseId = c.Id,
            PlatformCode = created.PlatformCode,
            CaseNumber = c.Number,
            Source = c.Source,
            RequestType = c.RequestType,
            DistrictCode = c.DistrictCode,
            StreetCode = c.StreetCode,
            CommunityCode = c.CommunityCode,
            GridCode = c.GridCode,
            ReportedBy = created.ActorId,
            ReporterRole = created.Role,
            ReceivedAt = created.At,
            Reported = 1,
            Imported = c.Source == CaseSource.Import ? 1 : 0,
            StepsKnown = 1,
            FeedbackDueAt = c.FeedbackDueAt,
        };
        f.Apply(created, null);
        return f;
    }

    /// <summary>
    /// Folds one event of the case into the row. <paramref name="clock"/> is the event's clock record, if any;
    /// <paramref name="counted"/> says whose rating counts for 满意率 when a follow-up call and the citizen both rated.
    /// </summary>
    public void Apply(CaseEvent e, ClockRecord? clock, CountedRating counted = CountedRating.Call)
    {
        using var payload = e.Payload is null ? null : JsonDocument.Parse(e.Payload);
        var p = payload?.RootElement;
        var ended = clock?.Ended;
        if (e.Role == Role.IntakeOperator && IntakeBy is null) IntakeBy = e.ActorId;
        if (clock is { Phase: CasePhase.Check, DueAt: { } checkDue }) CheckDueAt = checkDue;
        switch (e.Action)
        {
            case "create":
                CategoryCode = Str(p, "categoryCode") ?? CategoryCode;
                Repeat = Str(p, "repeatOf") is null ? 0 : 1;
                ImportOrigin = Str(p, "origin");
                break;
            case "import-facts":
                // Only what the source recorded: the department, the reply (with its verdict where one was possible), the closure.
                StepsKnown = 0;
                LeadDepartmentCode = Str(p, "department") ?? LeadDepartmentCode;
                HandlingDueAt = Date(p, "handlingDueAt");
                FinishedAt = Date(p, "repliedAt");
                ClosedAt = Date(p, "closedAt");
                ImportedReplyOnTime = Bool(p, "onTime");
                break;
            case "register":
                CategoryCode = Str(p, "categoryCode") ?? CategoryCode;
                break;
            case "request-verification":
                VerificationSent = 1;
                VerificationSentBy = e.ActorId;
                VerificationSentOnTime = ended is { Phase: CasePhase.Filing } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "assign-check":
                CheckSent = 1;
                CheckSentBy = e.ActorId;
                CheckSentOnTime = CheckDueAt is { } due && e.At > due ? 0 : 1;
                break;
            case "verify":
                VerifiedBy = Str(p, "inspector") ?? e.ActorId;
                if (Bool(p, "confirmed") == true) ValidReport = 1;
                VerificationDone = 1;
                VerifiedOnTime = ended is { Phase: CasePhase.Verification } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "file":
                CategoryCode = Str(p, "categoryCode") ?? CategoryCode;
                Filed = ValidReport = 1;
                FiledAt = e.At;
                FiledBy = e.ActorId;
                FiledOnTime = ended is { Phase: CasePhase.Filing } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "reject":
                Rejected = 1;
                break;
            case "answer-directly":
                AnsweredDirectly = ClosedAtIntake = 1;
                ClosedAt = e.At;
                break;
            case "self-handle":
                CategoryCode = Str(p, "categoryCode") ?? CategoryCode;
                SelfHandled = Filed = FiledOnTime = ValidReport = 1;
                FiledAt = FinishedAt = ClosedAt = e.At;
                LastFinishOnTime = true;
                break;
            case "dispatch":
            case "redispatch":
                LeadDepartmentCode = Str(p, "leadDepartment");
                HandlingDueAt = Date(p, "handlingDueAt");
                if (Dispatched == 0)
                {
                    Dispatched = DispatchedAccurately = 1;
                    DispatchedAt = e.At;
                    DispatchedBy = e.ActorId;
                    DispatchedOnTime = ended is { Phase: CasePhase.Dispatch } ? (ended.OnTime ? 1 : 0) : 1;
                }
                break;
            case "sign-for":
                SignedFor = 1;
                SignedOnTime = ended is { Phase: CasePhase.SignFor } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "return" when e.FromState != CaseState.PendingDispatch:
                ReturnCount++;
                Returned = 1;
                break;
            case "approve-return":
                BackToDispatch();
                break;
            case "arbitrate" when Bool(p, "upheld") == true:
                BackToDispatch();
                break;
            case "approve-extension":
                ExtensionCount++;
                Extended = 1;
                HandlingDueAt = Date(p, "handlingDueAt") ?? HandlingDueAt;
                break;
            case "resume":
                HandlingDueAt = Date(p, "handlingDueAt") ?? HandlingDueAt;
                break;
            case "finish":
                Disposed = ThroughDispose = 1;
                FinishedAt = e.At;
                LastFinishOnTime = Bool(p, "onTime") ?? true;
                DisposedOnTime = LastFinishOnTime ? 1 : 0;
                break;
            case "reject-feedback":
                Disposed = DisposedOnTime = 0;
                break;
            case "check-pass":
                CheckedBy = e.Role == Role.Inspector ? e.ActorId : Str(p, "inspector") ?? e.ActorId;
                CheckDone = 1;
                CheckedOnTime = ended is { Phase: CasePhase.Check } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "check-fail":
                CheckedBy = e.Role == Role.Inspector ? e.ActorId : Str(p, "inspector") ?? e.ActorId;
                ReworkCount++;
                Reworked = 1;
                Disposed = DisposedOnTime = 0;
                CheckDone = 1;
                CheckedOnTime = ended is { Phase: CasePhase.Check } ? (ended.OnTime ? 1 : 0) : 1;
                break;
            case "close":
                ClosedAt = e.At;
                // 按期结案: the department's report was on time and the closing decision too.
                var closeOnTime = ended is not { Phase: CasePhase.Close } || ended.OnTime;
                ArchivedOnTime = LastFinishOnTime && closeOnTime ? 1 : 0;
                ClosedBy = e.ActorId;
                ClosingDecided = 1;
                ClosingOnTime = closeOnTime ? 1 : 0;
                break;
            case "follow-up":
                FollowedUp = 1;
                FollowedUpAt = e.At;
                Contacted = Bool(p, "contacted") == true ? 1 : 0;
                var satisfaction = Str(p, "satisfaction");
                // The citizen's own rating of this closure stays where it is the one that counts, or where the call got none.
                if (RatingSource != "citizen" || (counted == CountedRating.Call && satisfaction is not null))
                    Rate(satisfaction, satisfaction is null ? null : "follow-up");
                var resolved = Bool(p, "resolved");
                ResolutionAnswered = resolved is null ? 0 : 1;
                Resolved = resolved == true ? 1 : 0;
                break;
            case "citizen-rating":
                if (RatingSource != "follow-up" || counted == CountedRating.Citizen)
                {
                    Rate(Str(p, "satisfaction"), "citizen");
                    // A rating with no follow-up is counted in the period of the rating.
                    if (FollowedUp == 0) FollowedUpAt = e.At;
                }
                break;
            case "reopen":
                RatingSource = null;
                ReopenCount++;
                Reopened = 1;
                ClosedAt = null;
                ClosedBy = null;
                ClosingDecided = ClosingOnTime = 0;
                ClosedAtIntake = 0;
                Disposed = DisposedOnTime = ArchivedOnTime = 0;
                break;
            case "transfer":
                Transferred = 1;
                break;
            case "hand-over":
                // Handed to another centre of the deployment (decision 026): its figures go with it; the event carries the new platform.
                PlatformCode = e.PlatformCode;
                break;
            case "merge":
                Merged = 1;
                break;
            case "merged-in":
                MergedInCount++;
                break;
            case "cancel":
                Cancelled = 1;
                break;
            case "overdue":
                Overdue = 1;
                break;
            case "supervise":
                Supervised = 1;
                break;
        }
        State = e.ToState;
        Derive();
    }

    void Rate(string? satisfaction, string? source)
    {
        RatingSource = source;
        Rated = satisfaction is null ? 0 : 1;
        Satisfied = satisfaction is "very-satisfied" or "satisfied" ? 1 : 0;
        BasicallySatisfied = satisfaction == "basically-satisfied" ? 1 : 0;
        Dissatisfied = satisfaction == "dissatisfied" ? 1 : 0;
        SatisfiedOrBasically = Satisfied | BasicallySatisfied;
    }

    void BackToDispatch()
    {
        LeadDepartmentCode = null;
        HandlingDueAt = null;
        DispatchedAccurately = 0;
        Disposed = DisposedOnTime = 0;
    }

    /// <summary>The counters that follow from the state the history ends in.</summary>
    void Derive()
    {
        Accepted = Cancelled == 0 ? 1 : 0;
        Own = Transferred == 0 ? 1 : 0;
        FiledAccurately = Filed == 1 && Cancelled == 0 ? 1 : 0;
        Suspended = State == CaseState.Suspended ? 1 : 0;
        NeedDispose = LeadDepartmentCode is not null && State != CaseState.Suspended ? 1 : 0;
        Closed = State == CaseState.Closed ? 1 : 0;
        NeedArchive = Filed == 1 && Cancelled == 0 && Transferred == 0 && Merged == 0 ? 1 : 0;
        ClosedFollowedUp = Closed & FollowedUp;
        Unclosed = State.IsOpen() ? 1 : 0;
        Archived = Closed == 1 && Filed == 1 ? 1 : 0;
        if (Archived == 0) ArchivedOnTime = 0;
        else if (SelfHandled == 1 && Dispatched == 0) ArchivedOnTime = 1;
        ArchivedLate = Archived == 1 && ArchivedOnTime == 0 ? 1 : 0;
        Solved = Archived & NeedDispose;
        OverduePending = NeedDispose == 1 && Disposed == 0 && Overdue == 1 ? 1 : 0;
        ClosedFirstTime = Closed == 1 && ReworkCount == 0 && ReturnCount == 0 && ReopenCount == 0 ? 1 : 0;
        // A case dispatched down by an upper platform is answered when its result goes back up, i.e. when it closes here.
        RepliedOnTime = ClosedAtIntake == 1 || (FeedbackDueAt is { } feedbackDue ? Closed == 1 && ClosedAt <= feedbackDue : DisposedOnTime == 1) ? 1 : 0;
        if (StepsKnown == 0)
        {
            // An import of facts: a department held it, but no 处置/结案 steps of this platform's workflow are known.
            NeedDispose = Solved = OverduePending = ClosedFirstTime = ClosedFollowedUp = 0;
            RepliedOnTime = ImportedReplyOnTime == true ? 1 : 0;
        }
        ReplyKnown = StepsKnown == 1 || ImportedReplyOnTime is not null ? 1 : 0;
        ClosedStepsKnown = Closed & StepsKnown;
        IntakeHandled = IntakeBy is null ? 0 : 1;
        if (Archived == 0) ClosingDecided = ClosingOnTime = 0;
    }

    static string? Str(JsonElement? p, string name) =>
        p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static bool? Bool(JsonElement? p, string name) =>
        p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    static DateTimeOffset? Date(JsonElement? p, string name) =>
        p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetDateTimeOffset() : null;
}

/// <summary>
/// Whose rating counts for 满意率 where a follow-up call and the citizen's own rating on the portal both rated the same
/// closure (setting FollowUp:CountedRating). Where only one of them rated, that one counts.
/// </summary>
public enum CountedRating { Call, Citizen }

/// <summary>Which date of a case puts it in a period.</summary>
public enum FactDate { Received, Filed, Dispatched, HandlingDue, Finished, Closed, FollowedUp }
