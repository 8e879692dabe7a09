using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

public class WorkflowRuleTests
{
    readonly CaseBuilder _b = new();

    [Fact]
    public void AnswerDirectly_OnAComplaint_IsRefused()
    {
        var c = _b.New(RequestType.Complaint);
        Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.AnswerDirectly, Role.HotlineAgent));
        Assert.Equal(CaseState.Reported, c.State);
    }

    [Fact]
    public void CheckFail_SendsBackToTheSameDepartmentAndCountsRework()
    {
        var c = _b.InState(CaseState.PendingCheck);
        _b.Do(c, CaseAction.CheckFail, Role.Inspector);
        Assert.Equal(CaseState.Handling, c.State);
        Assert.Equal(CaseBuilder.Dept, c.LeadDepartmentCode);
        Assert.Equal(1, c.ReworkCount);
    }

    [Fact]
    public void Reopen_ByThePolicyWithoutADissatisfiedFollowUp_IsRefused()
    {
        var c = _b.InState(CaseState.Closed);
        Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.Reopen, Role.BackgroundWorker));
        _b.Do(c, CaseAction.FollowUp, Role.HotlineAgent, new ActionInput { Contacted = true, Resolved = true, Satisfaction = Satisfaction.Satisfied });
        Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.Reopen, Role.BackgroundWorker));
    }

    [Theory]
    [InlineData(Role.ShiftLeader)]
    [InlineData(Role.Supervisor)]
    public void Reopen_ByALeaderForAStatedReason_WorksWithoutAFollowUp(Role role)
    {
        var c = _b.InState(CaseState.Closed);
        Assert.Throws<CaseValidationException>(() => _b.Do(c, CaseAction.Reopen, role, ActionInput.Empty));
        _b.Do(c, CaseAction.Reopen, role, new ActionInput { Reason = "媒体曝光问题仍存在" });
        Assert.Equal(CaseState.Handling, c.State);
        Assert.Equal(1, c.ReopenedCount);
    }

    [Fact]
    public void FollowUp_Dissatisfied_ThenReopen_GoesBackToTheDepartment()
    {
        var c = _b.InState(CaseState.Closed);
        _b.Do(c, CaseAction.FollowUp, Role.HotlineAgent, new ActionInput { Contacted = true, Resolved = false, Satisfaction = Satisfaction.Dissatisfied });
        Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.FollowUp, Role.HotlineAgent));
        _b.Do(c, CaseAction.Reopen, Role.Supervisor);
        Assert.Equal(CaseState.Handling, c.State);
        Assert.Equal(1, c.ReopenedCount);
        Assert.NotNull(c.HandlingDueAt);
    }

    [Fact]
    public void DenyReturn_GoesBackToWhereTheRequestCameFrom()
    {
        var c = _b.InState(CaseState.PendingSignFor);
        _b.Do(c, CaseAction.Return, Role.DepartmentHandler);
        _b.Do(c, CaseAction.DenyReturn, Role.Dispatcher);
        Assert.Equal(CaseState.PendingSignFor, c.State);
        Assert.Equal(1, c.ReturnCount);
    }

    [Fact]
    public void ApproveReturn_ClearsTheDepartmentsForRedispatch()
    {
        var c = _b.InState(CaseState.ReturnRequested);
        _b.Do(c, CaseAction.ApproveReturn, Role.Dispatcher);
        Assert.Equal(CaseState.PendingDispatch, c.State);
        Assert.Null(c.LeadDepartmentCode);
        Assert.Empty(c.AssistingDepartments);
    }

    [Fact]
    public void ApproveExtension_MovesTheHandlingDeadline()
    {
        var c = _b.InState(CaseState.Handling);
        var due = c.HandlingDueAt!.Value;
        _b.Do(c, CaseAction.RequestExtension, Role.DepartmentHandler, new ActionInput { Reason = "parts", DueAt = due.AddDays(2) });
        _b.Do(c, CaseAction.ApproveExtension, Role.ShiftLeader, new ActionInput());
        Assert.Equal(due.AddDays(2), c.HandlingDueAt);
        Assert.Equal(CaseState.Handling, c.State);
    }

    [Fact]
    public void RequestExtension_ToAnEarlierDeadline_IsInvalid()
    {
        var c = _b.InState(CaseState.Handling);
        Assert.Throws<CaseValidationException>(() =>
            _b.Do(c, CaseAction.RequestExtension, Role.DepartmentHandler, new ActionInput { Reason = "x", DueAt = c.HandlingDueAt!.Value.AddHours(-1) }));
        Assert.Equal(CaseState.Handling, c.State);
    }

    [Fact]
    public void Suspension_PausesTheHandlingClock()
    {
        var c = _b.InState(CaseState.Handling);
        var due = c.HandlingDueAt!.Value;
        _b.Do(c, CaseAction.RequestSuspension, Role.DepartmentHead);
        _b.Do(c, CaseAction.ApproveSuspension, Role.ShiftLeader);
        var suspendedAt = c.SuspendedAt!.Value;
        _b.Now = _b.Now.AddDays(5);
        _b.Do(c, CaseAction.Resume, Role.ShiftLeader);
        Assert.Equal(CaseState.Handling, c.State);
        Assert.Equal(due + (c.UpdatedAt - suspendedAt), c.HandlingDueAt);
    }

    [Fact]
    public void Dispatch_WithTheLeadAlsoAssisting_IsInvalid()
    {
        var c = _b.InState(CaseState.PendingDispatch);
        Assert.Throws<CaseValidationException>(() =>
            _b.Do(c, CaseAction.Dispatch, Role.Dispatcher, new ActionInput { LeadDepartment = "D1", AssistingDepartments = ["D1"] }));
    }

    [Fact]
    public void Merge_IntoItself_IsInvalid()
    {
        var c = _b.New();
        Assert.Throws<CaseValidationException>(() => _b.Do(c, CaseAction.Merge, Role.IntakeOperator, new ActionInput { TargetCase = c.Number }));
        _b.Do(c, CaseAction.Merge, Role.IntakeOperator, new ActionInput { TargetCase = "X-2" });
        Assert.Equal("X-2", c.MergedIntoNumber);
        Assert.Equal(CaseState.Merged, c.State);
        Assert.NotEqual(CaseState.Cancelled, c.State);
    }

    [Fact]
    public void MergedIn_LeavesAnEventOnTheTarget_NamingTheMergedCaseAndWhoMergedIt()
    {
        var target = _b.InState(CaseState.Handling);
        var events = target.NewEvents.Count;
        target.MergedIn("451202-20260302-00009", _b.Ctx(CaseBuilder.As(Role.IntakeOperator)));
        var e = target.NewEvents[^1];
        Assert.Equal(events + 1, target.NewEvents.Count);
        Assert.Equal("merged-in", e.Action);
        Assert.Contains("451202-20260302-00009", e.Payload);
        Assert.Contains("IntakeOperator", e.Payload);
        Assert.Equal(1, target.MergedInCount);
        Assert.Equal(CaseState.Handling, target.State);
    }

    [Fact]
    public void Create_WithoutLocationOrAddress_IsInvalid()
    {
        var ex = Assert.Throws<CaseValidationException>(() => Case.Create(
            new NewCase { Source = CaseSource.Hotline, RequestType = RequestType.Help, Description = "x" },
            "N", "P", null, null, _b.Ctx(CaseBuilder.As(Role.HotlineAgent))));
        Assert.Contains("location", ex.Errors.Keys);
    }

    [Fact]
    public void Create_ByADepartmentHandler_IsForbidden()
    {
        Assert.Throws<CaseForbiddenException>(() => Case.Create(
            new NewCase { Source = CaseSource.Hotline, RequestType = RequestType.Help, Description = "x", Address = "a" },
            "N", "P", null, null, _b.Ctx(CaseBuilder.As(Role.DepartmentHandler))));
    }

    [Fact]
    public void Anonymous_Report_KeepsNoReporterIdentity()
    {
        var c = Case.Create(new NewCase { Source = CaseSource.Website, RequestType = RequestType.Report, Description = "x", Address = "a", Anonymous = true, ReporterName = "张三", ReporterPhone = "13800000000" },
            "N", "P", null, null, _b.Ctx(CaseBuilder.As(Role.IntakeOperator)));
        Assert.Null(c.ReporterName);
        Assert.Null(c.ReporterPhone);
    }

    [Fact]
    public void AvailableActions_ForTheDispatcherOfAFiledCase_AreDispatchAndReturn()
    {
        var c = _b.InState(CaseState.PendingDispatch);
        var actions = c.AvailableActions(CaseBuilder.As(Role.Dispatcher)).Select(t => t.Action).ToList();
        Assert.Equal([CaseAction.Dispatch, CaseAction.Return], actions);
    }
}
