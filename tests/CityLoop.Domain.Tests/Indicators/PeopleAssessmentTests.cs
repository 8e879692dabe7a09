using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Domain.Tests.Cases;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>Who acted on each step, as the fact row records it, and the people's scores (REFERENCE §6) by their formulas.</summary>
public class PeopleAssessmentTests
{
    static Actor Person(string id, Role role) => new(id, id, new HashSet<Role> { role }, null);

    static void Do(CaseBuilder b, Case c, CaseAction action, Actor actor, ActionInput? input = null) =>
        c.Perform(action, input ?? CaseBuilder.FullInput, b.Ctx(actor));

    [Fact]
    public void AVerdictRecordedByIntake_IsTheInspectors_AndTheTaskTheOperators()
    {
        var b = new CaseBuilder();
        var c = b.New();
        Do(b, c, CaseAction.RequestVerification, Person("op-1", Role.IntakeOperator), new ActionInput { Inspector = "insp-7" });
        Do(b, c, CaseAction.Verify, Person("op-2", Role.IntakeOperator), new ActionInput { Confirmed = true });
        Do(b, c, CaseAction.File, Person("leader-1", Role.ShiftLeader));
        var f = IndicatorTests.Fold(c);
        Assert.Equal(("op-1", "op-1", "insp-7", "leader-1"), (f.IntakeBy, f.VerificationSentBy, f.VerifiedBy, f.FiledBy));
        Assert.Equal((1, 1, 1), (f.IntakeHandled, f.VerificationSent, f.VerificationSentOnTime));
    }

    [Fact]
    public void LateFilingLateCheckTaskAndReopening_CountAgainstThePersonWhoseStepItWas()
    {
        var b = new CaseBuilder();
        // Filed two hours after the report: the filing limit is one hour.
        var late = b.New();
        b.Now = b.Now.AddHours(2);
        Do(b, late, CaseAction.File, Person("leader-1", Role.ShiftLeader));
        var lf = IndicatorTests.Fold(late);
        Assert.Equal((1, 0, "leader-1"), (lf.Filed, lf.FiledOnTime, lf.FiledBy));

        // The check task assigned after the check phase's due; then checked by the named inspector and closed.
        var c = b.InState(CaseState.PendingCheck);
        var due = c.CheckDueAt!.Value;
        b.Now = due.AddHours(1);
        Do(b, c, CaseAction.AssignCheck, Person("op-3", Role.IntakeOperator), new ActionInput { Inspector = "insp-9" });
        Do(b, c, CaseAction.CheckPass, Person("insp-9", Role.Inspector));
        Do(b, c, CaseAction.Close, Person("leader-2", Role.ShiftLeader));
        var f = IndicatorTests.Fold(c);
        Assert.Equal((1, 0, "op-3"), (f.CheckSent, f.CheckSentOnTime, f.CheckSentBy));
        Assert.Equal(("insp-9", "leader-2", 1), (f.CheckedBy, f.ClosedBy, f.ClosingDecided));
        Assert.Equal("u-Dispatcher", f.DispatchedBy);

        // A reopening withdraws the shift leader's closure.
        c.Perform(CaseAction.FollowUp, CaseBuilder.FullInput, b.Ctx(CaseBuilder.As(Role.HotlineAgent)));
        c.Perform(CaseAction.Reopen, CaseBuilder.FullInput, b.Ctx(CaseBuilder.As(Role.ShiftLeader)));
        var r = IndicatorTests.Fold(c);
        Assert.Equal((null, 0, 0), (r.ClosedBy, r.ClosingDecided, r.ClosingOnTime));
    }

    [Fact]
    public void TheRoleScores_FollowReference6_WithVolumeSteps()
    {
        // 派遣员: 1,600 dispatched → 90 of the default steps; 20 × 90 % + 40 × 90 % + 40 × 80 % = 86 → B.
        var dispatchers = AssessmentScheme.DefaultDispatchers;
        var score = dispatchers.Score(new Dictionary<string, decimal?> { ["dispatched"] = 1600, ["dispatched-on-time-rate"] = 90, ["accurate-dispatch-rate"] = 80 });
        Assert.Equal(86.00m, score);
        Assert.Equal("B", dispatchers.Grade(score));
        Assert.Equal(100m, dispatchers.Terms[0].Share(2000) * 100);
        Assert.Equal(60m, dispatchers.Terms[0].Share(1) * 100);
        Assert.Null(dispatchers.Terms[0].Share(0));

        // 监督员 with no check to count over: 40 × 80 % + 20 × (1 − 10 %) + 20 × 100 % = 70 of 80 → 87.5 of 100.
        var inspectors = AssessmentScheme.DefaultInspectors;
        var s = inspectors.Score(new Dictionary<string, decimal?>
            { ["valid-report-rate"] = 80, ["missed-report-rate"] = 10, ["verified-on-time-rate"] = 100, ["checked-on-time-rate"] = null });
        Assert.Equal(87.50m, s);
        Assert.Contains("(1 − 漏报率) × 20", inspectors.How(false));
        Assert.Contains("受理数分值", AssessmentScheme.DefaultIntake.How(false));

        // 值班长 and 受理员 by their weights.
        Assert.Equal(86.67m, AssessmentScheme.DefaultShiftLeaders.Score(new Dictionary<string, decimal?>
            { ["filed-on-time-rate"] = 100, ["accurate-filing-rate"] = 66.67m, ["closing-on-time-rate"] = 100 }));
        Assert.Equal(90.00m, AssessmentScheme.DefaultIntake.Score(new Dictionary<string, decimal?>
            { ["intake-accepted"] = 3, ["verification-sent-on-time-rate"] = 100, ["check-sent-on-time-rate"] = 100 }));
    }

    [Fact]
    public void EveryDefaultScheme_IsUsable_AndBadSchemesAreNamed()
    {
        foreach (var subject in AssessmentScheme.Subjects) Assert.Empty(AssessmentScheme.DefaultFor(subject).Problems());
        var countWithoutSteps = AssessmentScheme.DefaultDispatchers with { Terms = [new() { Indicator = "dispatched", Weight = 20 }] };
        Assert.Contains(countWithoutSteps.Problems(), p => p.Contains("without volume steps"));
        var nobodys = AssessmentScheme.DefaultInspectors with { Terms = [new() { Indicator = "disposal-rate", Weight = 20 }] };
        Assert.Contains(nobodys.Problems(), p => p.Contains("nobody's own"));
        var patrolForStreets = AssessmentScheme.DefaultStreets with { Terms = [new() { Indicator = "missed-report-rate", Weight = 20 }] };
        Assert.Contains(patrolForStreets.Problems(), p => p.Contains("inspector's figure"));
    }
}
