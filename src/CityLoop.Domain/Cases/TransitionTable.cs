using CityLoop.Domain.Identity;
using static CityLoop.Domain.Cases.CaseState;
using static CityLoop.Domain.Identity.Role;

namespace CityLoop.Domain.Cases;

/// <summary>What an action needs from the person performing it; the API lists these, the UI renders them.</summary>
public enum FieldKind { Text, Boolean, Department, Departments, Category, StandardItem, DateTime, CaseNumber, Attachments, Satisfaction, User }

public sealed record ActionField(string Name, FieldKind Kind, bool Required);

/// <summary>
/// One row of the workflow: an action allowed from some states, for some roles. <see cref="To"/> is null where the
/// target depends on the case (a denied request goes back where it came from, a reopened case to its department).
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

    public static readonly IReadOnlyList<Transition> All =
    [
        T(CaseAction.RequestVerification, [Reported], Verifying, [IntakeOperator, ShiftLeader],
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
        T(CaseAction.Dispatch, [PendingDispatch], PendingSignFor, [Dispatcher],
            new ActionField("leadDepartment", FieldKind.Department, true), new ActionField("assistingDepartments", FieldKind.Departments, false), Opinion),
        T(CaseAction.SignFor, [PendingSignFor], Handling, [DepartmentHandler, DepartmentHead], Opinion),
        T(CaseAction.Return, [PendingSignFor, Handling], ReturnRequested, [DepartmentHandler, DepartmentHead], Reason),
        // The dispatcher's own return: "not a case for us", back to intake with the data kept.
        T(CaseAction.Return, [PendingDispatch], PendingFiling, [Dispatcher], Reason),
        T(CaseAction.ApproveReturn, [ReturnRequested], PendingDispatch, [Dispatcher], Opinion),
        T(CaseAction.DenyReturn, [ReturnRequested], null, [Dispatcher], Reason),
        T(CaseAction.Redispatch, [PendingSignFor, Handling, ReturnRequested], PendingSignFor, [Dispatcher],
            new ActionField("leadDepartment", FieldKind.Department, true), new ActionField("assistingDepartments", FieldKind.Departments, false), Reason),
        T(CaseAction.RequestExtension, [PendingSignFor, Handling], ExtensionRequested, [DepartmentHandler, DepartmentHead],
            new ActionField("dueAt", FieldKind.DateTime, true), Reason),
        T(CaseAction.ApproveExtension, [ExtensionRequested], null, [Dispatcher, ShiftLeader],
            new ActionField("dueAt", FieldKind.DateTime, false), Opinion),
        T(CaseAction.DenyExtension, [ExtensionRequested], null, [Dispatcher, ShiftLeader], Reason),
        T(CaseAction.RequestSuspension, [Handling], SuspensionRequested, [DepartmentHead], Reason),
        T(CaseAction.ApproveSuspension, [SuspensionRequested], Suspended, [ShiftLeader], Opinion),
        T(CaseAction.DenySuspension, [SuspensionRequested], Handling, [ShiftLeader], Reason),
        T(CaseAction.Resume, [Suspended], Handling, [ShiftLeader], Opinion),
        T(CaseAction.Finish, [Handling], PendingCheck, [DepartmentHandler, DepartmentHead],
            new ActionField("result", FieldKind.Text, true), Attachments),
        T(CaseAction.CheckPass, [PendingCheck], PendingClose, [Inspector, IntakeOperator], Opinion, Attachments),
        T(CaseAction.CheckFail, [PendingCheck], Handling, [Inspector, IntakeOperator], Reason, Attachments),
        T(CaseAction.Close, [PendingClose], Closed, [ShiftLeader], new ActionField("standardItem", FieldKind.StandardItem, true), Opinion),
        // A citizen's self-rating through the follow-up link arrives as the portal channel.
        T(CaseAction.FollowUp, [Closed], Closed, [HotlineAgent, PortalChannel],
            new ActionField("contacted", FieldKind.Boolean, true), new ActionField("resolved", FieldKind.Boolean, false),
            new ActionField("satisfaction", FieldKind.Satisfaction, false), new ActionField("comment", FieldKind.Text, false)),
        // The worker reopens on its own where the follow-up policy says so (a dissatisfied or unresolved answer).
        T(CaseAction.Reopen, [Closed], null, [ShiftLeader, Supervisor, BackgroundWorker], Reason),
        T(CaseAction.Transfer, BeforeDispatch, Transferred, [IntakeOperator, ShiftLeader],
            new ActionField("target", FieldKind.Text, true), Reason),
        T(CaseAction.Merge, BeforeDispatch, Cancelled, [IntakeOperator, ShiftLeader],
            new ActionField("targetCase", FieldKind.CaseNumber, true), Opinion),
        T(CaseAction.Cancel, BeforeDispatch, Cancelled, [IntakeOperator, ShiftLeader], Reason),
        T(CaseAction.Supervise, Enum.GetValues<CaseState>().Where(s => s.IsOpen()).ToArray(), null, [Supervisor],
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
