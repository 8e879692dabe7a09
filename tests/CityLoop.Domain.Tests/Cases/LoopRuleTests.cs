using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

/// <summary>The rest of the loop: every phase timed, internal assignment, assisting reports, review, checks, arbitration.</summary>
public class LoopRuleTests
{
    readonly CaseBuilder _b = new();

    static ClockRecord? Clock(CaseEvent e) => e.Clock is null ? null : JsonSerializer.Deserialize<ClockRecord>(e.Clock, Case.ClockJson);

    [Fact]
    public void Verification_AndDispatch_RunTheirOwnClocks()
    {
        var c = _b.New();
        _b.Do(c, CaseAction.RequestVerification, Role.IntakeOperator, new ActionInput { Inspector = "u-Inspector" });
        Assert.Equal(CasePhase.Verification, c.ClockPhase);
        Assert.Equal(c.VerificationDueAt, c.ClockDueAt);
        var verifying = Clock(c.NewEvents[^1])!;
        Assert.Equal(CasePhase.Filing, verifying.Ended!.Phase);
        Assert.Equal("u-Inspector", verifying.User);

        _b.Do(c, CaseAction.Verify, Role.Inspector);
        Assert.Equal(CasePhase.Filing, c.ClockPhase);
        Assert.Equal(CasePhase.Verification, Clock(c.NewEvents[^1])!.Ended!.Phase);
        Assert.True(Clock(c.NewEvents[^1])!.Ended!.OnTime);
        _b.Do(c, CaseAction.File, Role.ShiftLeader);
        Assert.Equal(CaseState.PendingDispatch, c.State);
        Assert.Equal(CasePhase.Dispatch, c.ClockPhase);
        Assert.Equal(c.DispatchDueAt, c.ClockDueAt);
        Assert.NotEqual(CaseLight.None, c.LightAt(_b.Now));
        Assert.Equal(CaseLight.Red, c.LightAt(c.DispatchDueAt!.Value));
    }

    [Fact]
    public void EveryEvent_CarriesItsPlatform_AndPhaseChangesCarryTheirClock()
    {
        var c = _b.InState(CaseState.Closed);
        Assert.All(c.NewEvents, e => Assert.Equal("451202", e.PlatformCode));
        Assert.All(c.NewEvents.Where(e => e.FromState != e.ToState), e => Assert.NotNull(e.Clock));
        var dispatch = Clock(c.NewEvents.Single(e => e.Action == "dispatch"))!;
        Assert.Equal(c.HandlingDueAt, dispatch.Dues![CasePhase.Handling]);
        Assert.Equal(CaseBuilder.Dept, dispatch.Department);
        var finish = Clock(c.NewEvents.Single(e => e.Action == "finish"))!;
        Assert.Equal(CasePhase.Handling, finish.Ended!.Phase);
        Assert.Equal(CaseBuilder.Dept, finish.Ended.Department);
    }

    [Fact]
    public void ThePayloads_NeverCarryTheCallersPersonalData()
    {
        var c = _b.InState(CaseState.Closed);
        Assert.DoesNotContain(c.NewEvents, e => (e.Payload ?? "").Contains("13812341234") || (e.Clock ?? "").Contains("13812341234"));
    }

    [Fact]
    public void InternalAssignment_RestrictsTheDepartmentsOtherHandlers_AndMustBeTakenBackBeforeAReturn()
    {
        var c = _b.InState(CaseState.Handling);
        _b.Do(c, CaseAction.Assign, Role.DepartmentHead, new ActionInput { Assignee = "u-other-handler" });
        Assert.Equal("u-other-handler", c.AssignedHandler);
        Assert.Equal("u-other-handler", Clock(c.NewEvents[^1])!.User);
        Assert.Throws<CaseForbiddenException>(() => _b.Do(c, CaseAction.Finish, Role.DepartmentHandler));
        var ex = Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.Return, Role.DepartmentHead));
        Assert.Contains("internal assignment", ex.Message);
        _b.Do(c, CaseAction.TakeBack, Role.DepartmentHead);
        Assert.Null(c.AssignedHandler);
        _b.Do(c, CaseAction.Return, Role.DepartmentHead);
        Assert.Equal(CaseState.ReturnRequested, c.State);
    }

    [Fact]
    public void Return_AfterItsWindow_IsRefused()
    {
        var c = _b.InState(CaseState.Handling);
        _b.Now = c.DispatchedAt!.Value.AddDays(2).AddMinutes(1);
        var ex = Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.Return, Role.DepartmentHandler));
        Assert.Contains("window", ex.Message);
    }

    [Fact]
    public void Extension_BeforeSignFor_TooLateOrAfterTheDeadline_IsRefused()
    {
        var pending = _b.InState(CaseState.PendingSignFor);
        Assert.Throws<CaseRuleException>(() => _b.Do(pending, CaseAction.RequestExtension, Role.DepartmentHandler));

        var c = _b.InState(CaseState.Handling);
        _b.Now = c.HandlingDueAt!.Value.AddHours(-23);
        Assert.Contains("had to be asked", Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.RequestExtension, Role.DepartmentHandler)).Message);
        _b.Now = c.HandlingDueAt!.Value.AddMinutes(1);
        Assert.Contains("passed", Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.RequestExtension, Role.DepartmentHandler)).Message);
        Assert.DoesNotContain(c.AvailableActions(CaseBuilder.As(Role.DepartmentHandler), _b.Ctx(CaseBuilder.As(Role.DepartmentHandler))),
            t => t.Action == CaseAction.RequestExtension);
    }

    [Fact]
    public void AssistingDepartment_ReportsItsPart_WithItsOwnOnTimeVerdict()
    {
        var c = _b.InState(CaseState.Handling);
        Assert.Throws<CaseForbiddenException>(() => c.Perform(CaseAction.AssistReport, CaseBuilder.FullInput, _b.Ctx(CaseBuilder.As(Role.DepartmentHandler, "D9"))));
        _b.Now = c.HandlingDueAt!.Value.AddHours(1);
        c.Perform(CaseAction.AssistReport, new ActionInput { Result = "已配合清运" }, _b.Ctx(CaseBuilder.As(Role.DepartmentHandler, "D2")));
        var e = c.NewEvents[^1];
        Assert.Equal("assist-report", e.Action);
        Assert.Equal("D2", e.DepartmentCode);
        Assert.Contains("\"onTime\":false", e.Payload);
        Assert.Equal(CaseState.Handling, c.State);
    }

    [Fact]
    public void Review_WhereConfigured_TheDispatcherAcceptsOrSendsBackTheReport()
    {
        var c = _b.InState(CaseState.Handling);
        _b.Settings = _b.Settings with { ReviewFeedback = true };
        _b.Do(c, CaseAction.Finish, Role.DepartmentHandler);
        Assert.Equal(CaseState.FeedbackReview, c.State);
        Assert.Equal(CasePhase.Review, c.ClockPhase);
        _b.Do(c, CaseAction.RejectFeedback, Role.Dispatcher, new ActionInput { Reason = "照片不清晰" });
        Assert.Equal(CaseState.Handling, c.State);
        _b.Do(c, CaseAction.Finish, Role.DepartmentHandler);
        _b.Do(c, CaseAction.AcceptFeedback, Role.Dispatcher, new ActionInput { Inspector = "u-Inspector" });
        Assert.Equal(CaseState.PendingCheck, c.State);
        Assert.Equal("u-Inspector", c.AssignedInspector);
    }

    [Fact]
    public void Check_GoesToTheNamedInspectorOnly_OrIsACallBackWhereNoneApplies()
    {
        var c = _b.InState(CaseState.PendingCheck);
        Assert.Equal("u-Inspector", c.AssignedInspector);
        Assert.Throws<CaseForbiddenException>(() => c.Perform(CaseAction.CheckPass, ActionInput.Empty, _b.Ctx(new Actor("u-other", "other", new HashSet<Role> { Role.Inspector }, null))));
        Assert.Throws<CaseRuleException>(() => _b.Do(c, CaseAction.CheckPass, Role.HotlineAgent));
        _b.Do(c, CaseAction.CheckPass, Role.Inspector);
        Assert.Contains("on-site", c.NewEvents[^1].Payload);
        Assert.True(c.HadInspector("u-Inspector"));

        var callBack = new CaseBuilder { CallBackCheck = true }.InState(CaseState.PendingCheck);
        Assert.Null(callBack.AssignedInspector);
        Assert.Throws<CaseRuleException>(() => callBack.Perform(CaseAction.CheckPass, ActionInput.Empty, _b.Ctx(CaseBuilder.As(Role.Inspector))));
        Assert.Throws<CaseValidationException>(() => callBack.Perform(CaseAction.CheckPass, ActionInput.Empty, _b.Ctx(CaseBuilder.As(Role.HotlineAgent))));
        callBack.Perform(CaseAction.CheckPass, new ActionInput { Opinion = "市民确认已修复" }, _b.Ctx(CaseBuilder.As(Role.HotlineAgent)));
        Assert.Contains("call-back", callBack.NewEvents[^1].Payload);
        Assert.Equal(CaseState.PendingClose, callBack.State);
    }

    [Fact]
    public void SelfHandle_ByTheReportingInspector_ClosesWithoutDispatch_AndNeedsBeforeAndAfterPhotos()
    {
        var c = _b.New(reporter: Role.Inspector);
        Assert.Throws<CaseValidationException>(() => _b.Do(c, CaseAction.SelfHandle, Role.Inspector,
            new ActionInput { CategoryCode = "E0102", Result = "已清理", AttachmentIds = [Guid.NewGuid()] }));
        _b.Do(c, CaseAction.SelfHandle, Role.Inspector, CaseBuilder.FullInput with { Result = "已当场清理" });
        Assert.Equal(CaseState.Closed, c.State);
        Assert.True(c.SelfHandled);
        Assert.False(c.ClosedAtIntake);
        Assert.Null(c.LeadDepartmentCode);
        Assert.Null(c.ClockPhase);
        Assert.Throws<CaseForbiddenException>(() => _b.New().Perform(CaseAction.SelfHandle, CaseBuilder.FullInput, _b.Ctx(CaseBuilder.As(Role.Inspector))));
    }

    [Fact]
    public void DisputedReturn_IsArbitrated_WithReasons_EitherWay()
    {
        var upheld = _b.InState(CaseState.ArbitrationRequested);
        _b.Do(upheld, CaseAction.Arbitrate, Role.ShiftLeader, new ActionInput { Upheld = true, Reason = "属公路部门职责" });
        Assert.Equal(CaseState.PendingDispatch, upheld.State);
        Assert.Null(upheld.LeadDepartmentCode);
        Assert.Equal(CasePhase.Dispatch, upheld.ClockPhase);

        var denied = _b.InState(CaseState.ArbitrationRequested);
        _b.Do(denied, CaseAction.Arbitrate, Role.Supervisor, new ActionInput { Upheld = false, Reason = "属本单位职责清单" });
        Assert.Equal(CaseState.Handling, denied.State);
        Assert.Equal(CaseBuilder.Dept, denied.LeadDepartmentCode);
    }

    [Fact]
    public void Urge_IsRecordedOnTheCase_WithoutChangingIt()
    {
        var c = _b.InState(CaseState.Handling);
        _b.Do(c, CaseAction.Urge, Role.Dispatcher, new ActionInput { Opinion = "请加快处理" });
        Assert.Equal("urge", c.NewEvents[^1].Action);
        Assert.Equal(CaseState.Handling, c.State);
    }

    [Fact]
    public void Supervision_ByAShiftLeader_OnlyWhereThePlatformAllowsIt()
    {
        var b = new CaseBuilder { Settings = WorkflowSettings.Default };
        var c = b.InState(CaseState.Handling);
        Assert.Throws<CaseForbiddenException>(() => b.Do(c, CaseAction.Supervise, Role.ShiftLeader, new ActionInput { Opinion = "督办" }));
        b.Settings = new WorkflowSettings { ShiftLeaderSupervises = true };
        b.Do(c, CaseAction.Supervise, Role.ShiftLeader, new ActionInput { Opinion = "督办" });
        Assert.True(c.Supervised);
    }

    [Fact]
    public void Suspension_IsExcludedFromThePhasesBusinessTime()
    {
        var c = _b.InState(CaseState.Handling);
        _b.Do(c, CaseAction.RequestSuspension, Role.DepartmentHead);
        _b.Do(c, CaseAction.ApproveSuspension, Role.ShiftLeader);
        _b.Now = _b.Now.AddHours(5);
        _b.Do(c, CaseAction.Resume, Role.ShiftLeader);
        _b.Do(c, CaseAction.Finish, Role.DepartmentHandler);
        var ended = Clock(c.NewEvents.Last(e => e.Action == "finish"))!.Ended!;
        Assert.Equal(CasePhase.Handling, ended.Phase);
        Assert.True(ended.PausedSeconds >= 5 * 3600);
        Assert.Equal(ended.WallSeconds - ended.PausedSeconds, ended.BusinessSeconds);
    }
}
