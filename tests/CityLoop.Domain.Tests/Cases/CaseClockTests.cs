using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

/// <summary>The persisted phase clock that transitions keep in step: due, warning instant, next check, light.</summary>
public class CaseClockTests
{
    readonly CaseBuilder _b = new();

    /// <summary>The phase the last event ended, as its clock record states it.</summary>
    static EndedPhase? Ended(Case c) =>
        c.NewEvents[^1].Clock is { } json ? System.Text.Json.JsonSerializer.Deserialize<ClockRecord>(json, Case.ClockJson)!.Ended : null;

    [Fact]
    public void Dispatch_StartsTheSignForClock_WithItsWarningAtEightyPercent()
    {
        var c = _b.InState(CaseState.PendingSignFor);
        Assert.Equal(CasePhase.SignFor, c.ClockPhase);
        Assert.Equal(c.SignForDueAt, c.ClockDueAt);
        // FixedDeadlinePolicy: sign-for 2 h, yellow after 80 % → 24 min before the due.
        Assert.Equal(c.SignForDueAt!.Value.AddMinutes(-24), c.ClockWarnAt);
        Assert.Equal(c.ClockWarnAt, c.NextCheckAt);
        Assert.Equal(CaseLight.Green, c.LightAt(c.ClockWarnAt!.Value.AddSeconds(-1)));
        Assert.Equal(CaseLight.Yellow, c.LightAt(c.ClockWarnAt!.Value));
        Assert.Equal(CaseLight.Red, c.LightAt(c.ClockDueAt!.Value));
    }

    [Fact]
    public void SignFor_EndsTheSignForPhase_AndRunsTheHandlingClock()
    {
        var c = _b.InState(CaseState.PendingSignFor);
        _b.Do(c, CaseAction.SignFor, Role.DepartmentHandler);
        var ended = Assert.IsType<EndedPhase>(Ended(c));
        Assert.Equal(CasePhase.SignFor, ended.Phase);
        Assert.Equal(CasePhase.Handling, c.ClockPhase);
        Assert.Equal(c.HandlingDueAt, c.ClockDueAt);
    }

    [Fact]
    public void Suspension_StopsTheClock_AndResumeRestartsItLater()
    {
        var c = _b.InState(CaseState.Handling);
        var due = c.ClockDueAt!.Value;
        _b.Do(c, CaseAction.RequestSuspension, Role.DepartmentHead);
        _b.Do(c, CaseAction.ApproveSuspension, Role.ShiftLeader);
        Assert.Null(c.ClockDueAt);
        Assert.Null(c.NextCheckAt);
        Assert.Equal(CaseLight.Paused, c.LightAt(due.AddDays(10)));
        Assert.False(c.MarkOverdue(true, _b.Ctx(CaseBuilder.As(Role.BackgroundWorker)), CasePhase.Handling));
        _b.Do(c, CaseAction.Resume, Role.ShiftLeader);
        Assert.Equal(CasePhase.Handling, c.ClockPhase);
        Assert.True(c.ClockDueAt > due);
        Assert.Equal(c.ClockWarnAt, c.NextCheckAt);
    }

    [Fact]
    public void Extension_MovesTheDue_AndClearsAnOverdueFlagItNoLongerJustifies()
    {
        var c = _b.InState(CaseState.Handling);
        Assert.True(c.MarkOverdue(true, _b.Ctx(CaseBuilder.As(Role.BackgroundWorker)), CasePhase.Handling));
        var later = c.HandlingDueAt!.Value.AddDays(5);
        _b.Do(c, CaseAction.RequestExtension, Role.DepartmentHandler, new ActionInput { DueAt = later, Reason = "材料未到" });
        _b.Do(c, CaseAction.ApproveExtension, Role.Dispatcher);
        Assert.False(c.IsOverdue);
        Assert.Equal(c.HandlingDueAt, c.ClockDueAt);
        Assert.True(c.ClockDueAt >= later);
        Assert.Equal(c.ClockDueAt!.Value.AddHours(-72 * 0.2), c.ClockWarnAt);
    }

    [Fact]
    public void Close_LeavesTheFollowUpClock_UntilTheFollowUpIsDone()
    {
        var c = _b.InState(CaseState.Closed);
        Assert.Equal(CasePhase.FollowUp, c.ClockPhase);
        _b.Do(c, CaseAction.FollowUp, Role.HotlineAgent, new ActionInput { Contacted = true, Resolved = false, Satisfaction = Satisfaction.Dissatisfied });
        Assert.Null(c.ClockPhase);
        Assert.Null(c.NextCheckAt);
        Assert.Equal(CasePhase.FollowUp, Ended(c)?.Phase);
        _b.Do(c, CaseAction.Reopen, Role.BackgroundWorker);
        Assert.Equal(CaseState.Handling, c.State);
        Assert.Equal(CasePhase.Handling, c.ClockPhase);
    }
}
