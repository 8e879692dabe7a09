using CityLoop.Domain.Identity;
using static CityLoop.Domain.Cases.CaseState;
using static CityLoop.Domain.Identity.Role;

namespace CityLoop.Domain.Cases;

/// <summary>What an action needs from the person performing it; the API lists these, the UI renders them.</summary>
public enum FieldKind { Text, Boolean, Department, Departments, Category, StandardItem, DateTime, CaseNumber, Attachments, Satisfaction, User, Team, Platform }

public sealed record ActionField(string Name, FieldKind Kind, bool Required);

/// <summary>
/// One row of the workflow: an action allowed from some states, for some roles. <see cref="To"/> is the target state,
/// stated here and nowhere else; null where the case decides it (a denied request goes back where it came from, a
/// reopened case to its department, a finished one to review or check by configuration) or where the action leaves
/// the state as it is (a reminder, an internal assignment).
/// </summary>
public sealed record Transition(CaseAction Action, IReadOnlySet<CaseState> From, CaseState? To, IReadOnlySet<Role> Roles, IReadOnlyList<ActionField> Fields);

/// <summary>
/// The single table of who may do what from where (REFERENCE.md §3's default). Every desk, channel and the API read
/// it; nothing else decides whether a transition is allowed.
/// </summary>
public static class TransitionTable
{
    static readonly ActionField Opinion = new("opinion", FieldKind.Text, false);
    static readonly ActionField Reason = new ActionField("reason", FieldKind.Text, true);
    static readonly ActionField Attachments = new ActionField("attachmentIds", FieldKind.Attachments, false);

    static readonly CaseState[] BeforeDispatch = [Reported, Verifying, PendingFiling, PendingDispatch];

    static readonly CaseState[] WithDepartmentNow = [PendingSignFor, Handling, ReturnRequested, ExtensionRequested, SuspensionRequested];

    public static readonly IReadOnlyList<Transition> All =
    [
        // A camera's alert goes to an inspector's verification by itself (Features/Camera): the channel asks for it.
        T(CaseAction.RequestVerification, [Reported], Verifying, [IntakeOperator, ShiftLeader, CameraChannel],
            new ActionField("inspector", FieldKind.User, false), Opinion),
        T(CaseAction.Verify, [Verifying], PendingFiling, [Inspector, IntakeOperator],
            new ActionField("confirmed", FieldKind.Boolean, true), Opinion, Attachments),
        T(CaseAction.Register, [Reported], PendingFiling, [HotlineAgent, IntakeOperator],
            new ActionField("categoryCode", FieldKind.Category, false), Opinion),
        T(CaseAction.File, [Reported, PendingFiling], PendingDispatch, [ShiftLeader],
            new ActionField("categoryCode", FieldKind.Category, false), new ActionField("standardItem", FieldKind.StandardItem, true), Opinion),
        T(CaseAction.Reject, [Reported, PendingFiling], Rejected, [ShiftLeader],
            Reason, new ActionField("standardItem", FieldKind.StandardItem, false)),
        T(CaseAction.AnswerDirectly, [Reported], Closed, [HotlineAgent, IntakeOperator],
            new ActionField("answer", FieldKind.Text, true)),
        // 自行处置: the reporting inspector fixed it on the spot; filed and closed without dispatch.
        T(CaseAction.SelfHandle, [Reported], Closed, [Inspector],
            new ActionField("categoryCode", FieldKind.Category, true), new ActionField("result", FieldKind.Text, true),
            new ActionField("attachmentIds", FieldKind.Attachments, true)),
        T(CaseAction.Dispatch, [PendingDispatch], PendingSignFor, [Dispatcher],
            new ActionField("leadDepartment", FieldKind.Department, true), new ActionField("assistingDepartments", FieldKind.Departments, false), Opinion),
        T(CaseAction.SignFor, [PendingSignFor], Handling, [DepartmentHandler, DepartmentHead], Opinion),
        // 二级派遣: to one handler or to one team (a child department of the lead department) — exactly one of the two.
        T(CaseAction.Assign, [Handling], null, [DepartmentHead], new ActionField("assignee", FieldKind.User, false), new ActionField("team", FieldKind.Team, false), Opinion),
        T(CaseAction.TakeBack, [Handling], null, [DepartmentHead], Opinion),
        T(CaseAction.Return, [PendingSignFor, Handling], ReturnRequested, [DepartmentHandler, DepartmentHead], Reason),
        // The dispatcher's own return: "not a case for us", back to intake with the data kept.
        T(CaseAction.Return, [PendingDispatch], PendingFiling, [Dispatcher], Reason),
        T(CaseAction.ApproveReturn, [ReturnRequested], PendingDispatch, [Dispatcher], Opinion),
        T(CaseAction.DenyReturn, [ReturnRequested], null, [Dispatcher], Reason),
        T(CaseAction.ReferArbitration, [ReturnRequested], ArbitrationRequested, [Dispatcher], Reason),
        // Upheld: the return stands (back to dispatch); not upheld: the department keeps the case.
        T(CaseAction.Arbitrate, [ArbitrationRequested], null, [ShiftLeader, Supervisor],
            new ActionField("upheld", FieldKind.Boolean, true), Reason),
        T(CaseAction.Redispatch, [PendingSignFor, Handling, ReturnRequested, ArbitrationRequested], PendingSignFor, [Dispatcher],
            new ActionField("leadDepartment", FieldKind.Department, true), new ActionField("assistingDepartments", FieldKind.Departments, false), Reason),
        T(CaseAction.RequestExtension, [Handling], ExtensionRequested, [DepartmentHandler, DepartmentHead],
            new ActionField("dueAt", FieldKind.DateTime, true), Reason),
        T(CaseAction.ApproveExtension, [ExtensionRequested], null, [Dispatcher, ShiftLeader],
            new ActionField("dueAt", FieldKind.DateTime, false), Opinion),
        T(CaseAction.DenyExtension, [ExtensionRequested], null, [Dispatcher, ShiftLeader], Reason),
        T(CaseAction.RequestSuspension, [Handling], SuspensionRequested, [DepartmentHead], Reason),
        T(CaseAction.ApproveSuspension, [SuspensionRequested], Suspended, [ShiftLeader], Opinion),
        T(CaseAction.DenySuspension, [SuspensionRequested], Handling, [ShiftLeader], Reason),
        T(CaseAction.Resume, [Suspended], Handling, [ShiftLeader], Opinion),
        T(CaseAction.AssistReport, WithDepartmentNow, null, [DepartmentHandler, DepartmentHead],
            new ActionField("result", FieldKind.Text, true), Attachments),
        // To the dispatcher's review where the platform requires it, else straight to the check.
        T(CaseAction.Finish, [Handling], null, [DepartmentHandler, DepartmentHead],
            new ActionField("result", FieldKind.Text, true), Attachments),
        T(CaseAction.AcceptFeedback, [FeedbackReview], PendingCheck, [Dispatcher], Opinion),
        T(CaseAction.RejectFeedback, [FeedbackReview], Handling, [Dispatcher], Reason),
        T(CaseAction.AssignCheck, [PendingCheck], null, [IntakeOperator], new ActionField("inspector", FieldKind.User, true), Opinion),
        // The assigned inspector on site, intake recording that inspector's verdict, or — where no inspector applies —
        // a call-back to the citizen by intake or an agent.
        T(CaseAction.CheckPass, [PendingCheck], PendingClose, [Inspector, IntakeOperator, HotlineAgent], Opinion, Attachments),
        T(CaseAction.CheckFail, [PendingCheck], Handling, [Inspector, IntakeOperator, HotlineAgent], Reason, Attachments),
        T(CaseAction.Close, [PendingClose], Closed, [ShiftLeader], new ActionField("standardItem", FieldKind.StandardItem, true), Opinion),
        // A citizen's self-rating through the follow-up link arrives as the portal channel.
        T(CaseAction.FollowUp, [Closed], null, [HotlineAgent, PortalChannel],
            new ActionField("contacted", FieldKind.Boolean, true), new ActionField("resolved", FieldKind.Boolean, false),
            new ActionField("satisfaction", FieldKind.Satisfaction, false), new ActionField("comment", FieldKind.Text, false)),
        // The follow-up policy reopens on its own where configured (a dissatisfied or unresolved answer).
        T(CaseAction.Reopen, [Closed], null, [ShiftLeader, Supervisor, BackgroundWorker], Reason),
        // Between the centres of one deployment (decision 026): the case changes platform, keeps its number and state.
        T(CaseAction.HandOver, [Reported, PendingFiling, PendingDispatch], null, [ShiftLeader, Dispatcher],
            new ActionField("platform", FieldKind.Platform, true), Opinion),
        T(CaseAction.Transfer, BeforeDispatch, Transferred, [IntakeOperator, ShiftLeader],
            new ActionField("target", FieldKind.Text, true), Reason),
        T(CaseAction.Merge, BeforeDispatch, Merged, [IntakeOperator, ShiftLeader],
            new ActionField("targetCase", FieldKind.CaseNumber, true), Opinion),
        T(CaseAction.Cancel, BeforeDispatch, Cancelled, [IntakeOperator, ShiftLeader], Reason),
        T(CaseAction.Urge, WithDepartmentNow, null, [Dispatcher, ShiftLeader, Supervisor], new ActionField("opinion", FieldKind.Text, true)),
        // The shift leader supervises only where the platform allows it (WorkflowSettings.ShiftLeaderSupervises).
        T(CaseAction.Supervise, Enum.GetValues<CaseState>().Where(s => s.IsOpen()).ToArray(), null, [Supervisor, ShiftLeader],
            new ActionField("opinion", FieldKind.Text, true), new ActionField("dueAt", FieldKind.DateTime, false)),
    ];

    /// <summary>Who may create a case at all: intake staff, inspectors, and the channels' system principals.</summary>
    public static readonly IReadOnlySet<Role> CreateRoles = new HashSet<Role>
    {
        HotlineAgent, IntakeOperator, ShiftLeader, Inspector, PortalChannel, CameraChannel, Open311Client, PeerPlatform, Importer,
    };

    public static IEnumerable<Transition> For(CaseAction action) => All.Where(t => t.Action == action);

    public static Transition? Find(CaseAction action, CaseState from) =>
        All.FirstOrDefault(t => t.Action == action && t.From.Contains(from));

    public static string Name(this CaseAction action) => Kebab.From(action.ToString());

    public static bool TryParseAction(string? name, out CaseAction action) => Kebab.TryParse(name, out action);

    static Transition T(CaseAction action, CaseState[] from, CaseState? to, Role[] roles, params ActionField[] fields) =>
        new(action, from.ToHashSet(), to, roles.ToHashSet(), fields);
}
