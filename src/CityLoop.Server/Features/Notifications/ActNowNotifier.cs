using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;

namespace CityLoop.Server.Features.Notifications;

/// <summary>
/// Tells the people who must act on a case now that it is their turn: the departments a case is dispatched to, the
/// handler it is assigned to, the approver of a request, the inspector of a check, the department an answer returns
/// to. Without it a department would first hear of a new case at the yellow light.
/// </summary>
public sealed class ActNowNotifier(Notifier notifier) : ICaseHook
{
    public int Order => 900;

    /// <summary>Who acts next, by what happened: roles (within the lead department where department-bound) and the phrase for the message.</summary>
    static (Role[] Roles, string What)? Next(CaseChange change)
    {
        var c = change.Case;
        return change.Event.Action switch
        {
            "dispatch" or "redispatch" => ([Role.DepartmentHandler, Role.DepartmentHead], "新派遣案件待签收"),
            "request-verification" => ([Role.Inspector], "请现场核实"),
            "verify" or "register" => ([Role.ShiftLeader], "待立案"),
            "file" or "approve-return" => ([Role.Dispatcher], "待派遣"),
            "arbitrate" when c.State == CaseState.PendingDispatch => ([Role.Dispatcher], "退单仲裁成立，待重新派遣"),
            "arbitrate" => ([Role.DepartmentHandler, Role.DepartmentHead], "退单仲裁未成立，请继续办理"),
            "return" when c.State == CaseState.ReturnRequested => ([Role.Dispatcher], "部门申请回退，待审批"),
            "return" => ([Role.ShiftLeader], "派遣员退回，待重新立案"),
            "request-extension" => ([Role.Dispatcher, Role.ShiftLeader], "部门申请延期，待审批"),
            "request-suspension" => ([Role.ShiftLeader], "部门申请挂账，待审批"),
            "refer-arbitration" => ([Role.ShiftLeader, Role.Supervisor], "退单争议，待仲裁"),
            "approve-extension" => ([Role.DepartmentHandler, Role.DepartmentHead], "延期申请已同意"),
            "deny-extension" or "deny-return" or "deny-suspension" => ([Role.DepartmentHandler, Role.DepartmentHead], "申请未获批准，请继续办理"),
            "approve-suspension" => ([Role.DepartmentHandler, Role.DepartmentHead], "挂账申请已同意"),
            "resume" or "reject-feedback" or "check-fail" or "reopen" when c.LeadDepartmentCode is not null =>
                ([Role.DepartmentHandler, Role.DepartmentHead], "案件需重新办理"),
            "reopen" => ([Role.ShiftLeader], "案件重新办理，待立案"),
            "finish" when c.State == CaseState.FeedbackReview => ([Role.Dispatcher], "处置反馈待审核"),
            "finish" or "accept-feedback" or "assign-check" => (c.AssignedInspector is null ? [Role.IntakeOperator, Role.HotlineAgent] : [Role.Inspector], "待核查"),
            "check-pass" => ([Role.ShiftLeader], "核查通过，待结案"),
            "urge" => ([Role.DepartmentHandler, Role.DepartmentHead], "催办：请加快办理"),
            "assign" => ([Role.DepartmentHandler], "部门负责人分派给您办理"),
            _ => null,
        };
    }

    public async Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        if (Next(change) is not var (roles, what)) return;
        var c = change.Case;
        var users = new List<User>();
        foreach (var role in roles)
        {
            var departments = Roles.DepartmentBound.Contains(role)
                ? change.Event.Action is "dispatch" or "redispatch" ? [c.LeadDepartmentCode, .. c.AssistingDepartments]
                    : c.AssignedTeam is { } team ? [team] : [c.LeadDepartmentCode]
                : new string?[] { null };
            foreach (var department in departments)
            {
                // The centre that holds the case is told: its own platform's people (decision 026; NULL is the root).
                var found = await notifier.StaffOfAsync(c, role, department, ct);
                // Named people first: the assigned inspector or handler, not everyone with the role.
                if (role == Role.Inspector && c.AssignedInspector is { } inspector) found = found.Where(u => u.Id.ToString() == inspector).ToList();
                if (role == Role.DepartmentHandler && c.AssignedHandler is { } handler && department == c.LeadDepartmentCode)
                    found = found.Where(u => u.Id.ToString() == handler).ToList();
                users.AddRange(found);
            }
        }
        // Whoever just acted does not need telling.
        users.RemoveAll(u => u.Id.ToString() == change.Event.ActorId);
        if (users.Count == 0) return;
        var fields = await notifier.FieldsAsync(c, ct);
        fields["what"] = what;
        // The event that asks them to act is already on the case: the messages are not logged there a second time.
        await notifier.ToStaffAsync(c, "act-now", fields, users, change.Context, ct, logOnCase: false);
    }
}
