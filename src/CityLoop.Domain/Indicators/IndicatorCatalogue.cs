namespace CityLoop.Domain.Indicators;

public enum IndicatorUnit { Count, Percent }

/// <summary>What a figure counts over: the cases' fact rows, or the hotline's call records (接通率).</summary>
public enum IndicatorSubject { Cases, Calls, Patrol }

/// <summary>
/// One figure: Σnumerator (÷ Σdenominator, as a percentage) over the <see cref="CaseFact"/> rows of a slice whose
/// <see cref="Date"/> falls in the period. Numerator and denominator name fact counters, so the figure, its SQL and its
/// drill-down (the rows with a non-zero counter) are the same rule. <see cref="Source"/> names the seed or standard
/// whose counting it reproduces where they differ.
/// </summary>
public sealed record IndicatorDefinition(string Id, string NameZh, string NameEn, string Numerator, string? Denominator, FactDate Date,
    IndicatorUnit Unit, string HowZh, string HowEn, string? Source = null, IndicatorSubject Subject = IndicatorSubject.Cases)
{
    /// <summary>Percentages and counts are shown to 2 decimals, half-up (the seeds' rounding).</summary>
    public const int Decimals = 2;

    /// <summary>
    /// The fact column naming the person accountable for the figure (the reporter for 有效上报率, the dispatcher for
    /// 按期派遣率 …): the person assessments group by it, and a person's drill-down filters on it. Null: nobody's own.
    /// </summary>
    public string? Actor { get; init; }

    /// <summary>The value of sums already taken: null when the denominator is zero (no case to count over).</summary>
    public decimal? ValueOf(long numerator, long denominator)
    {
        if (Denominator is null) return numerator;
        if (denominator == 0) return null;
        return Math.Round(100m * numerator / denominator, Decimals, MidpointRounding.AwayFromZero);
    }

    /// <summary>The figure over fact rows in memory (the definition the SQL implements; used by the unit tests).</summary>
    public IndicatorResult Evaluate(IEnumerable<CaseFact> facts, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        long n = 0, d = 0;
        foreach (var f in facts)
        {
            var date = f.DateOf(Date);
            if ((from is not null || to is not null) && date is null) continue;
            if (from is not null && date < from) continue;
            if (to is not null && date >= to) continue;
            n += f.Counter(Numerator);
            if (Denominator is not null) d += f.Counter(Denominator);
        }
        return new IndicatorResult(ValueOf(n, d), n, Denominator is null ? null : d);
    }
}

public sealed record IndicatorResult(decimal? Value, long Numerator, long? Denominator);

/// <summary>
/// The catalogue of figures a city is judged by (issue 8, REFERENCE.md §6): every report and screen names the id it
/// uses. Ids are stable; a seed that counts differently from the standard has its own id.
/// </summary>
public static class IndicatorCatalogue
{
    static IndicatorDefinition Count(string id, string zh, string en, string counter, FactDate date, string howZh, string howEn) =>
        new(id, zh, en, counter, null, date, IndicatorUnit.Count, howZh, howEn);

    static IndicatorDefinition Rate(string id, string zh, string en, string numerator, string denominator, FactDate date, string howZh, string howEn,
        string? source = null) =>
        new(id, zh, en, numerator, denominator, date, IndicatorUnit.Percent, howZh, howEn, source);

    /// <summary>
    /// 漏报率 from the patrol records (decision 023), not a fact counter: the cases others reported in the inspector's
    /// grids while the inspector was on duty ÷ (those + the inspector's own reports in the same windows).
    /// </summary>
    public static readonly IndicatorDefinition MissedReportRate = new("missed-report-rate", "漏报率", "Missed report rate", "Missed", "OwnAndMissed",
        FactDate.Received, IndicatorUnit.Percent,
        "在岗期间本人责任网格内由他人上报（未被作废或不予立案）的件数 ÷（该件数 + 本人同期在这些时段的上报数）。",
        "Cases others reported in the inspector's grids while the inspector was on duty (not withdrawn or rejected) ÷ (those + the inspector's own reports in the same windows).",
        Subject: IndicatorSubject.Patrol);

    public static readonly IReadOnlyList<IndicatorDefinition> All =
    [
        Count("reported", "上报数", "Reports received", nameof(CaseFact.Reported), FactDate.Received,
            "期内受理（登记）的全部诉求与上报案件数。", "Every request or report received in the period.") with { Actor = nameof(CaseFact.ReportedBy) },
        Rate("valid-report-rate", "有效上报率", "Valid report rate", nameof(CaseFact.ValidReport), nameof(CaseFact.StepsKnown), FactDate.Received,
            "有效上报数（核实属实、立案或自行处置）÷ 上报数。", "Reports confirmed on site, filed or fixed on the spot ÷ reports received.") with { Actor = nameof(CaseFact.ReportedBy) },
        Count("filed", "立案数", "Cases filed", nameof(CaseFact.Filed), FactDate.Filed,
            "期内立案（含自行处置）的案件数。", "Cases filed in the period (including those fixed on the spot).") with { Actor = nameof(CaseFact.FiledBy) },
        Rate("filing-rate", "立案率", "Filing rate", nameof(CaseFact.Filed), nameof(CaseFact.ValidReport), FactDate.Received,
            "立案数 ÷ 有效上报数（按受理日期）。", "Filed ÷ valid reports, by the date received."),
        Rate("filing-rate-all-reports", "立案率（怀化口径）", "Filing rate over all reports (Huaihua)", nameof(CaseFact.Filed), nameof(CaseFact.Reported),
            FactDate.Received, "立案数 ÷ 全部上报数（不予立案的也计入分母）。", "Filed ÷ every report received (rejected reports stay in the denominator).", "怀化"),
        Count("rejected", "不予立案数", "Reports rejected", nameof(CaseFact.Rejected), FactDate.Received,
            "期内受理、值班长决定不予立案的上报数。", "Reports received in the period that the shift leader decided not to file."),
        Rate("filed-on-time-rate", "按时立案率", "Filed on time", nameof(CaseFact.FiledOnTime), nameof(CaseFact.Filed), FactDate.Filed,
            "在立案时限内立案的案件数 ÷ 立案数。", "Cases filed within the filing limit ÷ cases filed.") with { Actor = nameof(CaseFact.FiledBy) },
        Rate("accurate-filing-rate", "准确立案率", "Accurate filing rate", nameof(CaseFact.FiledAccurately), nameof(CaseFact.Filed), FactDate.Filed,
            "（立案数 − 立案后作废数）÷ 立案数。", "(Filed − filed then withdrawn) ÷ filed.") with { Actor = nameof(CaseFact.FiledBy) },
        Count("dispatched", "派遣数", "Cases dispatched", nameof(CaseFact.Dispatched), FactDate.Dispatched,
            "期内首次派遣的案件数。", "Cases first dispatched in the period.") with { Actor = nameof(CaseFact.DispatchedBy) },
        Rate("accurate-dispatch-rate", "准确派遣率", "Accurate dispatch rate", nameof(CaseFact.DispatchedAccurately), nameof(CaseFact.Dispatched),
            FactDate.Dispatched, "派遣后未因回退（批准或仲裁成立）退回派遣的案件数 ÷ 派遣数。",
            "Dispatched cases never sent back to dispatch by an approved or upheld return ÷ cases dispatched.") with { Actor = nameof(CaseFact.DispatchedBy) },
        Rate("dispatched-on-time-rate", "按期派遣率", "Dispatched on time", nameof(CaseFact.DispatchedOnTime), nameof(CaseFact.Dispatched),
            FactDate.Dispatched, "在派遣时限内首次派遣的案件数 ÷ 派遣数。", "Cases first dispatched within the dispatch limit ÷ cases dispatched.") with { Actor = nameof(CaseFact.DispatchedBy) },
        Rate("signed-on-time-rate", "按时签收率", "Signed for on time", nameof(CaseFact.SignedOnTime), nameof(CaseFact.SignedFor), FactDate.Dispatched,
            "在签收时限内签收的案件数 ÷ 已签收案件数。", "Cases signed for within the sign-for limit ÷ cases signed for."),
        Count("disposed", "处置数", "Cases handled", nameof(CaseFact.Disposed), FactDate.Finished,
            "部门已反馈处置完成且未被核查退回的案件数（按处置完成日期）。",
            "Cases whose department reported the work done, not sent back by a failed check since (by the date finished)."),
        Rate("disposal-rate", "处置率", "Handling rate", nameof(CaseFact.Disposed), nameof(CaseFact.NeedDispose), FactDate.Dispatched,
            "处置数 ÷ 应处置数（由部门承办的案件，按派遣日期；挂账的不计入）。",
            "Handled ÷ cases held by a department (by the date dispatched; suspended cases excluded)."),
        Rate("disposed-on-time-rate", "按期处置率", "Handled on time", nameof(CaseFact.DisposedOnTime), nameof(CaseFact.NeedDispose), FactDate.Dispatched,
            "在处置时限（含批准的延期）内反馈完成的案件数 ÷ 应处置数。",
            "Cases reported done within the handling deadline (with approved extensions) ÷ cases held by a department."),
        Count("archived", "结案数", "Cases closed (filed)", nameof(CaseFact.Archived), FactDate.Closed,
            "期内结案的立案案件数（含自行处置）。", "Filed cases closed in the period (including those fixed on the spot)."),
        Rate("archive-rate", "结案率", "Closing rate", nameof(CaseFact.Archived), nameof(CaseFact.NeedArchive), FactDate.Filed,
            "结案数 ÷ 应结案数（立案案件，按立案日期）。", "Closed ÷ filed, by the date filed."),
        Rate("archived-on-time-rate", "按期结案率", "Closed on time", nameof(CaseFact.ArchivedOnTime), nameof(CaseFact.NeedArchive), FactDate.Filed,
            "按期处置且按时结案的案件数 ÷ 应结案数。", "Cases handled on time and closed within the closing limit ÷ cases filed."),
        Rate("archived-late-rate", "超期结案率", "Closed late", nameof(CaseFact.ArchivedLate), nameof(CaseFact.Archived), FactDate.Closed,
            "结案但未按期的案件数 ÷ 结案数。", "Closed cases not closed on time ÷ cases closed."),
        Rate("unclosed-rate", "未结案率", "Still open", nameof(CaseFact.Unclosed), nameof(CaseFact.Reported), FactDate.Received,
            "期末仍在办理中的案件数 ÷ 上报数。", "Cases still open ÷ reports received."),
        Count("overdue", "超期数", "Cases overdue", nameof(CaseFact.Overdue), FactDate.Received,
            "曾被时钟判定超期的案件数。", "Cases the clock worker ever marked overdue."),
        Rate("overdue-pending-rate", "超期待处置率", "Overdue and not yet handled", nameof(CaseFact.OverduePending), nameof(CaseFact.NeedDispose),
            FactDate.Dispatched, "由部门承办、曾超期且尚未反馈处置完成的件数 ÷ 应处置数（按派遣日期）。",
            "Cases held by a department, marked overdue and not reported done ÷ cases held by a department (by the date dispatched).", "成都金牛"),
        Count("rework", "返工数", "Rework", nameof(CaseFact.ReworkCount), FactDate.Finished,
            "核查不通过、退回重新处置的次数。", "Times a check failed and the case went back to the department."),
        Rate("rework-rate", "返工率", "Rework rate", nameof(CaseFact.Reworked), nameof(CaseFact.ThroughDispose), FactDate.Finished,
            "返工过的案件数 ÷ 经处置（反馈过完成）的案件数。", "Cases reworked at least once ÷ cases ever reported done."),
        Count("returns", "回退数", "Returns", nameof(CaseFact.ReturnCount), FactDate.Dispatched,
            "部门提出回退（非本单位职责）的次数。", "Times a department returned a case as not its duty."),
        Rate("return-rate", "退单率", "Return rate", nameof(CaseFact.Returned), nameof(CaseFact.Dispatched), FactDate.Dispatched,
            "被部门回退过的案件数 ÷ 派遣数。", "Cases a department returned at least once ÷ cases dispatched."),
        Count("extensions", "延期数", "Extensions", nameof(CaseFact.ExtensionCount), FactDate.Dispatched,
            "批准的延期次数。", "Extensions approved."),
        Rate("extension-rate", "延期率", "Extension rate", nameof(CaseFact.Extended), nameof(CaseFact.Dispatched), FactDate.Dispatched,
            "获批延期的案件数 ÷ 派遣数。", "Cases with an approved extension ÷ cases dispatched."),
        Count("suspended", "挂账数", "Cases suspended", nameof(CaseFact.Suspended), FactDate.Received,
            "期末处于挂账状态的案件数。", "Cases suspended as their history ends."),
        Rate("completion-rate", "办结率", "Completion rate", nameof(CaseFact.Closed), nameof(CaseFact.Reported), FactDate.Received,
            "办结（任何方式结案）数 ÷ 受理数。", "Closed by any route ÷ requests received."),
        Rate("completion-rate-own", "办结率（河池口径）", "Completion rate of own cases (Hechi)", nameof(CaseFact.Closed), nameof(CaseFact.Own),
            FactDate.Received, "办结数 ÷ 本单位承办数（转其他单位办理的不计入分母）。",
            "Closed ÷ cases handled by the platform's own units (cases transferred to other units excluded).", "河池"),
        Rate("acceptance-rate", "接件率", "Acceptance rate", nameof(CaseFact.Accepted), nameof(CaseFact.Reported), FactDate.Received,
            "接件数（未在受理环节作废）÷ 收到的诉求数。", "Requests taken in (not withdrawn at intake) ÷ requests received.", "河池"),
        Rate("resolution-rate-due", "解决率（怀化口径）", "Resolution rate of cases due (Huaihua)", nameof(CaseFact.Solved), nameof(CaseFact.NeedDispose),
            FactDate.HandlingDue, "结案数 ÷ 处置时限落在期内的应处置案件数。",
            "Closed ÷ cases held by a department whose handling deadline falls in the period.", "怀化"),
        Rate("resolution-rate-follow-up", "解决率（三率）", "Resolution rate from follow-ups (three rates)", nameof(CaseFact.Resolved),
            nameof(CaseFact.ResolutionAnswered), FactDate.FollowedUp, "回访中市民认为已解决的件数 ÷ 回访中回答了是否解决的件数。",
            "Follow-ups in which the citizen said the problem was solved ÷ follow-ups that asked.", "三率"),
        Rate("direct-completion-rate", "直接办结率", "Answered at intake", nameof(CaseFact.ClosedAtIntake), nameof(CaseFact.StepsKnown), FactDate.Received,
            "受理环节当即办结数 ÷ 受理数。", "Closed at intake ÷ requests received."),
        Rate("first-time-completion-rate", "一次办结率", "Closed first time", nameof(CaseFact.ClosedFirstTime), nameof(CaseFact.ClosedStepsKnown), FactDate.Closed,
            "未经返工、回退、重办即办结的件数 ÷ 办结数。", "Closed with no rework, return or reopening ÷ closed."),
        Rate("timely-feedback-rate", "及时反馈率", "Replied on time", nameof(CaseFact.RepliedOnTime), nameof(CaseFact.ReplyKnown), FactDate.Received,
            "当即答复或在处置时限内反馈的件数 ÷ 受理数；上级交办（市派）的案件以上级的反馈时限为准，结案即反馈上级。",
            "Answered at intake or reported done within the deadline ÷ requests received; a case dispatched down by an upper platform counts when it closes (its result goes back up) by the upper's feedback deadline.", "怀化"),
        Rate("verified-on-time-rate", "按期核实率", "Verified on time", nameof(CaseFact.VerifiedOnTime), nameof(CaseFact.VerificationDone),
            FactDate.Received, "在核实时限内完成核实的件数 ÷ 完成核实的件数。", "Verifications done within the limit ÷ verifications done.") with { Actor = nameof(CaseFact.VerifiedBy) },
        Rate("checked-on-time-rate", "按期核查率", "Checked on time", nameof(CaseFact.CheckedOnTime), nameof(CaseFact.CheckDone), FactDate.Finished,
            "最后一次核查在时限内完成的件数 ÷ 核查过的件数。", "Cases whose last check was done within the limit ÷ cases checked.") with { Actor = nameof(CaseFact.CheckedBy) },
        Count("followed-up", "回访数", "Follow-ups", nameof(CaseFact.FollowedUp), FactDate.FollowedUp,
            "期内回访的件数。", "Cases followed up in the period."),
        Rate("follow-up-rate", "回访率", "Follow-up rate", nameof(CaseFact.ClosedFollowedUp), nameof(CaseFact.ClosedStepsKnown), FactDate.Closed,
            "回访数 ÷ 办结数。", "Followed up ÷ closed."),
        Rate("satisfaction-rate", "满意率", "Satisfaction rate", nameof(CaseFact.SatisfiedOrBasically), nameof(CaseFact.Rated), FactDate.FollowedUp,
            "（满意 + 基本满意）÷ 有效评价数。", "(Satisfied + basically satisfied) ÷ ratings given."),
        Rate("follow-up-satisfaction-rate", "回访满意率", "Satisfied on follow-up", nameof(CaseFact.Satisfied), nameof(CaseFact.FollowedUp),
            FactDate.FollowedUp, "满意（含非常满意）数 ÷ 回访数。", "Satisfied (including very satisfied) ÷ followed up.", "怀化"),
        Count("dissatisfied", "不满意数", "Dissatisfied", nameof(CaseFact.Dissatisfied), FactDate.FollowedUp,
            "最后一次回访评价为不满意的件数。", "Cases whose last follow-up was dissatisfied."),
        Rate("repeat-rate", "重复诉求率", "Repeat requests", nameof(CaseFact.Repeat), nameof(CaseFact.StepsKnown), FactDate.Received,
            "重复近期已办结诉求的件数 ÷ 受理数。", "Requests repeating a recently closed one ÷ requests received."),
        Count("transferred", "转办数", "Transferred", nameof(CaseFact.Transferred), FactDate.Received,
            "转其他单位或平台办理的件数。", "Requests handed to another unit or platform."),
        Count("cancelled", "作废数", "Withdrawn", nameof(CaseFact.Cancelled), FactDate.Received,
            "受理环节作废的件数。", "Requests withdrawn at intake."),
        Count("merged", "并单数", "Merged", nameof(CaseFact.Merged), FactDate.Received,
            "作为重复件并入其他案件的件数。", "Duplicates merged into another case."),
        Count("self-handled", "自行处置数", "Fixed on the spot", nameof(CaseFact.SelfHandled), FactDate.Received,
            "监督员发现后当场自行处置的件数。", "Problems the reporting inspector fixed on the spot.") with { Actor = nameof(CaseFact.ReportedBy) },
        Count("answered-directly", "当即办理数", "Answered directly", nameof(CaseFact.AnsweredDirectly), FactDate.Received,
            "受理员当即答复办结的件数。", "Requests answered at intake."),
        Count("reopened", "重办数", "Reopened", nameof(CaseFact.Reopened), FactDate.Received,
            "结案后被重新打开的件数。", "Cases reopened after closing."),
        // The people's own figures (REFERENCE §6 role scores), each with the column naming whose it is.
        Count("intake-accepted", "受理数", "Requests taken in by intake", nameof(CaseFact.IntakeHandled), FactDate.Received,
            "受理员受理（登记、派发核实、转办、并单或作废）的件数，记在最先经手的受理员名下。",
            "Requests an intake operator took in (registered, sent to verification, transferred, merged or withdrawn), counted for the first operator who acted.")
            with { Actor = nameof(CaseFact.IntakeBy) },
        Rate("verification-sent-on-time-rate", "核实按时派发率", "Verification sent on time", nameof(CaseFact.VerificationSentOnTime),
            nameof(CaseFact.VerificationSent), FactDate.Received, "在受理时限内派发核实任务的件数 ÷ 派发核实的件数。",
            "Verification tasks sent within the intake limit ÷ verification tasks sent.") with { Actor = nameof(CaseFact.VerificationSentBy) },
        Rate("check-sent-on-time-rate", "核查按时派发率", "Check sent on time", nameof(CaseFact.CheckSentOnTime), nameof(CaseFact.CheckSent),
            FactDate.Finished, "在核查时限届满前派发核查任务的件数 ÷ 派发核查的件数（按处置完成日期）。",
            "Check tasks assigned before the check phase's due ÷ check tasks assigned (by the date finished).") with { Actor = nameof(CaseFact.CheckSentBy) },
        Rate("closing-on-time-rate", "按时结案率", "Closing decided on time", nameof(CaseFact.ClosingOnTime), nameof(CaseFact.ClosingDecided),
            FactDate.Closed, "在结案时限内作出结案决定的件数 ÷ 值班长结案的件数（自行处置的不计入）。",
            "Closing decisions taken within the closing limit ÷ cases closed by a shift leader (those fixed on the spot excluded).")
            with { Actor = nameof(CaseFact.ClosedBy) },
        // The hotline's calls (call_records): a call's period date is when it reached the hotline (Received).
        Call("calls-offered", "呼入数", "Calls offered", nameof(CallFact.Offered), null,
            "期内进入热线（排队或振铃）的来电数。", "Calls that reached the hotline (queued or rang) in the period."),
        Call("calls-missed", "未接来电数", "Calls missed", nameof(CallFact.Missed), null,
            "期内未接通即挂断的来电数（须回拨）。", "Calls abandoned before an agent answered (each must be called back)."),
        Call("call-connection-rate", "接通率", "Call connection rate", nameof(CallFact.Answered), nameof(CallFact.Offered),
            "坐席接通的来电数 ÷ 呼入数。", "Calls answered by an agent ÷ calls offered."),
        MissedReportRate,
    ];

    static IndicatorDefinition Call(string id, string zh, string en, string numerator, string? denominator, string howZh, string howEn) =>
        new(id, zh, en, numerator, denominator, FactDate.Received, denominator is null ? IndicatorUnit.Count : IndicatorUnit.Percent, howZh, howEn,
            Subject: IndicatorSubject.Calls);

    static readonly Dictionary<string, IndicatorDefinition> ById = All.ToDictionary(d => d.Id);

    public static IndicatorDefinition? Find(string id) => ById.GetValueOrDefault(id);
}
