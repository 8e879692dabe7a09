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
    PendingCheck,        // 待核查: the department reports the work done
    PendingClose,        // 待结案: check passed
    Closed,              // 结案 (including 直接办结 at intake)
    Transferred,         // 转办: handed to another unit or platform
    Cancelled,           // 作废 / 并单: a duplicate, possibly merged into another case
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
    Filing,
    SignFor,
    Handling,
    Check,
    Close,
    FollowUp,
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
        CaseState.Rejected, CaseState.Closed, CaseState.Transferred, CaseState.Cancelled,
    };

    public static bool IsOpen(this CaseState state) => !Terminal.Contains(state);

    /// <summary>States in which a department holds the case.</summary>
    public static readonly IReadOnlySet<CaseState> WithDepartment = new HashSet<CaseState>
    {
        CaseState.PendingSignFor, CaseState.Handling, CaseState.ReturnRequested, CaseState.ExtensionRequested,
        CaseState.SuspensionRequested, CaseState.Suspended,
    };
}
