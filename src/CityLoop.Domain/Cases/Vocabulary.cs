namespace CityLoop.Domain.Cases;

/// <summary>
/// The states of one case, covering both the 数字城管 stages and the 12345 closed loop (REFERENCE.md §3).
/// A hotline work order and a city-management case are the same aggregate at different stages.
/// </summary>
public enum CaseState
{
    Reported,            // 案件登记: received from a channel, at intake
    Verifying,           // 信息核实: an inspector checks on site that the problem is real
    PendingFiling,       // 待立案: the shift leader decides 立案 or 不予立案
    Rejected,            // 不予立案 (作废)
    PendingDispatch,     // 待派遣: filed, waiting for the dispatcher
    PendingSignFor,      // 待签收: dispatched, the department has not acknowledged
    Handling,            // 处置中
    ReturnRequested,     // 回退申请: the department says "not ours"
    ExtensionRequested,  // 延期申请
    SuspensionRequested, // 挂账申请
    Suspended,           // 挂账: clocks paused, out of the overdue counts
    FeedbackReview,      // 待反馈审核: the dispatcher accepts or sends back the department's report (where configured)
    ArbitrationRequested,// 退单仲裁: a disputed return waits for the shift leader's or supervisor's decision
    PendingCheck,        // 待核查: the department reports the work done
    PendingClose,        // 待结案: check passed
    Closed,              // 结案 (including 直接办结 at intake)
    Transferred,         // 转办: handed to another unit or platform
    Cancelled,           // 作废: withdrawn at intake
    Merged,              // 并单: a duplicate merged into another case, which carries on
}

/// <summary>The public vocabulary of actions; the API spells them in kebab-case and never renames them.</summary>
public enum CaseAction
{
    RequestVerification,
    Verify,
    Register,
    File,
    Reject,
    AnswerDirectly,
    Dispatch,
    SignFor,
    Return,
    ApproveReturn,
    DenyReturn,
    Redispatch,
    RequestExtension,
    ApproveExtension,
    DenyExtension,
    RequestSuspension,
    ApproveSuspension,
    DenySuspension,
    Resume,
    Finish,
    CheckPass,
    CheckFail,
    Close,
    FollowUp,
    Reopen,
    Transfer,
    Merge,
    Cancel,
    Supervise,
    Assign,          // 二级派遣: the department head gives the case to one of its handlers
    TakeBack,        // the head takes an internal assignment back
    AssistReport,    // 协办反馈: an assisting department reports its part
    AcceptFeedback,  // 处置反馈审核通过
    RejectFeedback,  // 处置反馈退回
    AssignCheck,     // intake gives the check (核查) task to a named inspector
    SelfHandle,      // 自行处置: an inspector fixed a minor problem on the spot
    Urge,            // 催办: a person nudges the department (the clock worker's reminders are "remind" notes)
    ReferArbitration,// a disputed return goes to arbitration
    Arbitrate,       // the shift leader or supervisor decides a disputed return
    HandOver,        // 移交分中心: the city centre hands a case to a sub-centre of the deployment, or a sub-centre hands it back up
}

/// <summary>Where a report came from (REFERENCE.md §2 intake channels).</summary>
public enum CaseSource
{
    Hotline,          // 12345 / 12319 call
    InspectorPatrol,  // 监督员巡查
    Website,
    MobileApp,
    WeChat,
    Video,            // 高空鹰眼, park cameras, AI alerts
    LeaderInstruction,
    Media,
    PeopleCongress,   // 人大建议 / 政协提案
    UpperPlatform,    // 市派 / 省派
    DepartmentTransfer,
    Open311,
    Import,
    LowerPlatform,    // 上报: reported up by a county or district platform
}

public enum RequestType
{
    Enquiry,    // 咨询
    Help,       // 求助
    Complaint,  // 投诉
    Report,     // 举报
    Suggestion, // 建议
    Praise,     // 表扬
}

public enum Urgency
{
    Normal,
    Urgent,
    Critical,
}

/// <summary>The clocked phases of a case; each has its own deadline.</summary>
public enum CasePhase
{
    Filing,        // 受理/立案: from report (or verification) to the filing decision
    Verification,  // 核实
    Dispatch,      // 派遣: filed, waiting for the dispatcher
    SignFor,       // 签收
    Handling,      // 处置
    Review,        // 处置反馈审核
    Check,         // 核查
    Close,         // 结案
    FollowUp,      // 回访
}

public enum Satisfaction
{
    VerySatisfied,
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

public static class CaseStates
{
    /// <summary>States in which the platform's work on a case is over.</summary>
    public static readonly IReadOnlySet<CaseState> Terminal = new HashSet<CaseState>
    {
        CaseState.Rejected, CaseState.Closed, CaseState.Transferred, CaseState.Cancelled, CaseState.Merged,
    };

    public static bool IsOpen(this CaseState state) => !Terminal.Contains(state);

    /// <summary>States in which a department holds the case.</summary>
    public static readonly IReadOnlySet<CaseState> WithDepartment = new HashSet<CaseState>
    {
        CaseState.PendingSignFor, CaseState.Handling, CaseState.ReturnRequested, CaseState.ExtensionRequested,
        CaseState.SuspensionRequested, CaseState.Suspended, CaseState.ArbitrationRequested,
    };

    /// <summary>The phases a department works in, on its own calendar; the command centre's others run on the centre's.</summary>
    public static readonly IReadOnlySet<CasePhase> DepartmentPhases = new HashSet<CasePhase> { CasePhase.SignFor, CasePhase.Handling };
}
