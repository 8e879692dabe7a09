using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

/// <summary>Walks a fresh case along the workflow to any state, the way the desks would.</summary>
public sealed class CaseBuilder
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));
    public const string Dept = "D1";
    public DateTimeOffset Now = T0;

    public static Actor As(Role role, string? dept = null) =>
        new($"u-{role}", role.ToString(), new HashSet<Role> { role }, dept ?? (Roles.DepartmentBound.Contains(role) ? Dept : null));

    /// <summary>The platform switches the builder's actions run under (shift leaders may supervise here).</summary>
    public WorkflowSettings Settings = new() { ShiftLeaderSupervises = true, HandOver = true };

    /// <summary>The check goes to nobody (a call-back by intake or an agent) instead of the inspector.</summary>
    public bool CallBackCheck;

    public TransitionContext Ctx(Actor actor) => new(actor, Now = Now.AddMinutes(10), FixedDeadlinePolicy.Default, Settings);

    /// <summary>The actor of a role who may perform the action on a built case (an assisting department reports its part).</summary>
    public static Actor ActorFor(CaseAction action, Role role) =>
        action == CaseAction.AssistReport && Roles.DepartmentBound.Contains(role) ? As(role, "D2") : As(role);

    public static ActionInput FullInput => new()
    {
        Opinion = "ok", Reason = "because", Answer = "answered", Result = "fixed", Comment = "c", Target = "other-platform",
        TargetCase = "OTHER-1", StandardItem = "S-1", LeadDepartment = Dept, AssistingDepartments = ["D2"],
        DueAt = T0.AddDays(60), Confirmed = true, Contacted = true, Resolved = false, Satisfaction = Satisfaction.Dissatisfied,
        CategoryCode = "E0102", Inspector = "u-Inspector", Assignee = "u-DepartmentHandler", Upheld = false,
        AttachmentIds = [Guid.Parse("00000000-0000-0000-0000-00000000000a"), Guid.Parse("00000000-0000-0000-0000-00000000000b")],
        Platform = "451203",
    };

    public Case New(RequestType type = RequestType.Enquiry, Role reporter = Role.HotlineAgent) =>
        Case.Create(new NewCase { Source = reporter == Role.Inspector ? CaseSource.InspectorPatrol : CaseSource.Hotline, RequestType = type,
                Description = "井盖缺失", Latitude = 24.69, Longitude = 108.06, ReporterPhone = "13812341234" },
            "451202-20260302-00001", "451202", null, null, Ctx(As(reporter)));

    public Case Do(Case c, CaseAction action, Role role, ActionInput? input = null)
    {
        c.Perform(action, input ?? FullInput, Ctx(As(role)));
        return c;
    }

    /// <summary>A case in <paramref name="state"/>, reached through legal actions only.</summary>
    public Case InState(CaseState state)
    {
        var c = New();
        switch (state)
        {
            case CaseState.Reported: break;
            case CaseState.Verifying: Do(c, CaseAction.RequestVerification, Role.IntakeOperator, new ActionInput()); break;
            case CaseState.PendingFiling: Do(c, CaseAction.Register, Role.IntakeOperator); break;
            case CaseState.Rejected: Do(c, CaseAction.Reject, Role.ShiftLeader); break;
            case CaseState.PendingDispatch: Do(c, CaseAction.File, Role.ShiftLeader); break;
            case CaseState.Transferred: Do(c, CaseAction.Transfer, Role.IntakeOperator); break;
            case CaseState.Cancelled: Do(c, CaseAction.Cancel, Role.IntakeOperator); break;
            case CaseState.Merged: Do(c, CaseAction.Merge, Role.IntakeOperator); break;
            default:
                Do(c, CaseAction.File, Role.ShiftLeader);
                Do(c, CaseAction.Dispatch, Role.Dispatcher);
                if (state == CaseState.PendingSignFor) break;
                Do(c, CaseAction.SignFor, Role.DepartmentHandler);
                switch (state)
                {
                    case CaseState.Handling: break;
                    case CaseState.ReturnRequested: Do(c, CaseAction.Return, Role.DepartmentHandler); break;
                    case CaseState.ArbitrationRequested:
                        Do(c, CaseAction.Return, Role.DepartmentHandler);
                        Do(c, CaseAction.ReferArbitration, Role.Dispatcher);
                        break;
                    case CaseState.ExtensionRequested: Do(c, CaseAction.RequestExtension, Role.DepartmentHandler); break;
                    case CaseState.SuspensionRequested: Do(c, CaseAction.RequestSuspension, Role.DepartmentHead); break;
                    case CaseState.Suspended:
                        Do(c, CaseAction.RequestSuspension, Role.DepartmentHead);
                        Do(c, CaseAction.ApproveSuspension, Role.ShiftLeader);
                        break;
                    default:
                        var review = Settings;
                        Settings = Settings with { ReviewFeedback = state == CaseState.FeedbackReview };
                        Do(c, CaseAction.Finish, Role.DepartmentHandler, CallBackCheck ? FullInput with { Inspector = null } : FullInput);
                        Settings = review;
                        if (state is CaseState.PendingCheck or CaseState.FeedbackReview) break;
                        Do(c, CaseAction.CheckPass, Role.Inspector);
                        if (state == CaseState.PendingClose) break;
                        Do(c, CaseAction.Close, Role.ShiftLeader);
                        break;
                }
                break;
        }
        Assert.Equal(state, c.State);
        return c;
    }
}
