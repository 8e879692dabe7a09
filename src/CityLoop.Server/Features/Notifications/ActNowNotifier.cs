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

    /// <summary>Who acts next, by what happened: roles (within the lead department where department-bound) and the phrase for the message, in Chinese and English.</summary>
    static (Role[] Roles, string What, string WhatEnglish)? Next(CaseChange change)
    {
        var c = change.Case;
        return change.Event.Action switch
        {
            "dispatch" or "redispatch" => ([Role.DepartmentHandler, Role.DepartmentHead], "新派遣案件待签收", "a new case to sign for"),
            "request-verification" => ([Role.Inspector], "请现场核实", "verify it on site"),
            "verify" or "register" => ([Role.ShiftLeader], "待立案", "waiting to be filed"),
            "file" or "approve-return" => ([Role.Dispatcher], "待派遣", "waiting for dispatch"),
            "arbitrate" when c.State == CaseState.PendingDispatch => ([Role.Dispatcher], "退单仲裁成立，待重新派遣", "the return was upheld: dispatch it again"),
            "arbitrate" => ([Role.DepartmentHandler, Role.DepartmentHead], "退单仲裁未成立，请继续办理", "the return was not upheld: carry on handling it"),
            "return" when c.State == CaseState.ReturnRequested => ([Role.Dispatcher], "部门申请回退，待审批", "the department asks to return it: decide"),
            "return" => ([Role.ShiftLeader], "派遣员退回，待重新立案", "returned by the dispatcher: file it again"),
            "request-extension" => ([Role.Dispatcher, Role.ShiftLeader], "部门申请延期，待审批", "the department asks for more time: decide"),
            "request-suspension" => ([Role.ShiftLeader], "部门申请挂账，待审批", "the department asks to suspend it: decide"),
            "refer-arbitration" => ([Role.ShiftLeader, Role.Supervisor], "退单争议，待仲裁", "a disputed return: arbitrate"),
            "approve-extension" => ([Role.DepartmentHandler, Role.DepartmentHead], "延期申请已同意", "the extension was approved"),
            "deny-extension" or "deny-return" or "deny-suspension" => ([Role.DepartmentHandler, Role.DepartmentHead], "申请未获批准，请继续办理", "the request was denied: carry on handling it"),
            "approve-suspension" => ([Role.DepartmentHandler, Role.DepartmentHead], "挂账申请已同意", "the suspension was approved"),
            "resume" or "reject-feedback" or "check-fail" or "reopen" when c.LeadDepartmentCode is not null =>
                ([Role.DepartmentHandler, Role.DepartmentHead], "案件需重新办理", "the case must be handled again"),
            "reopen" => ([Role.ShiftLeader], "案件重新办理，待立案", "the case is reopened: file it again"),
            "finish" when c.State == CaseState.FeedbackReview => ([Role.Dispatcher], "处置反馈待审核", "a handling report to review"),
            "finish" or "accept-feedback" or "assign-check" => (c.AssignedInspector is null ? [Role.IntakeOperator, Role.HotlineAgent] : [Role.Inspector], "待核查", "waiting to be checked"),
            "check-pass" => ([Role.ShiftLeader], "核查通过，待结案", "checked: close it"),
            "urge" => ([Role.DepartmentHandler, Role.DepartmentHead], "催办：请加快办理", "urged: please speed it up"),
            "assign" => ([Role.DepartmentHandler], "部门负责人分派给您办理", "your department head assigned it to you"),
            _ => null,
        };
    }

    public async Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        if (Next(change) is not var (roles, what, whatEnglish)) return;
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
        fields["what@en"] = whatEnglish;
        // The state it asks them to act in: a request already decided when the notice is delivered is not news (decision 034).
        fields[Notifier.StateField] = c.State.ToString();
        // The event that asks them to act is already on the case: the messages are not logged there a second time.
        // The notice is about the phase the case is now in: set aside if it has moved on before delivery.
        await notifier.ToStaffAsync(c, "act-now", fields, users, change.Context, ct, logOnCase: false, phase: c.ClockPhase);
    }
}
