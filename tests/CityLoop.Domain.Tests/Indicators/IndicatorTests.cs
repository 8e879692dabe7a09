using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Domain.Tests.Cases;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>
/// Every indicator on one hand-built history of thirteen cases, walked through the domain's own transitions (so the
/// events and clock records are the real ones) and folded into fact rows; the expected figures are counted by hand.
/// </summary>
public class IndicatorTests
{
    static ClockRecord? Clock(CaseEvent e) => e.Clock is null ? null : JsonSerializer.Deserialize<ClockRecord>(e.Clock, Case.ClockJson);

    /// <summary>The fact row of a case, folded from its events as the projection does.</summary>
    public static CaseFact Fold(Case c)
    {
        var events = c.NewEvents;
        var fact = CaseFact.Start(c, events[0]);
        foreach (var e in events.Skip(1)) fact.Apply(e, Clock(e));
        return fact;
    }

    static readonly ActionInput Satisfied = CaseBuilder.FullInput with { Satisfaction = Satisfaction.Satisfied, Resolved = true };

    /// <summary>The history, case by case (A…M), each named by what happened to it.</summary>
    public static Dictionary<string, CaseFact> History()
    {
        var b = new CaseBuilder();
        var cases = new Dictionary<string, Case>();

        // A: the whole loop on time, followed up satisfied and resolved.
        var a = b.InState(CaseState.Closed);
        b.Do(a, CaseAction.FollowUp, Role.HotlineAgent, Satisfied);
        cases["A-closed"] = a;

        // B: reworked twice, then closed.
        var rework = b.InState(CaseState.PendingCheck);
        b.Do(rework, CaseAction.CheckFail, Role.Inspector);
        b.Do(rework, CaseAction.Finish, Role.DepartmentHandler);
        b.Do(rework, CaseAction.CheckFail, Role.Inspector);
        b.Do(rework, CaseAction.Finish, Role.DepartmentHandler);
        b.Do(rework, CaseAction.CheckPass, Role.Inspector);
        b.Do(rework, CaseAction.Close, Role.ShiftLeader);
        cases["B-reworked-twice"] = rework;

        // C: returned by the department, the return approved, redispatched to D3 (waiting for its sign-for).
        var returned = b.InState(CaseState.Handling);
        b.Do(returned, CaseAction.Return, Role.DepartmentHandler);
        b.Do(returned, CaseAction.ApproveReturn, Role.Dispatcher);
        b.Do(returned, CaseAction.Dispatch, Role.Dispatcher, new ActionInput { LeadDepartment = "D3" });
        cases["C-returned"] = returned;

        // D: extended, then reported done (waiting for the check).
        var extended = b.InState(CaseState.Handling);
        b.Do(extended, CaseAction.RequestExtension, Role.DepartmentHandler);
        b.Do(extended, CaseAction.ApproveExtension, Role.Dispatcher, new ActionInput { Opinion = "同意" });
        b.Do(extended, CaseAction.Finish, Role.DepartmentHandler);
        cases["D-extended"] = extended;

        // E: suspended (挂账).
        cases["E-suspended"] = b.InState(CaseState.Suspended);
        // F: transferred to another platform; G: verified as not real, then rejected; H: merged; I: filed, then withdrawn.
        cases["F-transferred"] = b.InState(CaseState.Transferred);
        var rejected = b.New();
        b.Do(rejected, CaseAction.RequestVerification, Role.IntakeOperator, new ActionInput { Inspector = "u-Inspector" });
        b.Do(rejected, CaseAction.Verify, Role.Inspector, new ActionInput { Confirmed = false });
        b.Do(rejected, CaseAction.Reject, Role.ShiftLeader);
        cases["G-rejected"] = rejected;
        cases["H-merged"] = b.InState(CaseState.Merged);
        var cancelled = b.InState(CaseState.PendingDispatch);
        b.Do(cancelled, CaseAction.Cancel, Role.IntakeOperator);
        cases["I-filed-then-cancelled"] = cancelled;

        // J: an enquiry answered at intake.
        var answered = b.New();
        b.Do(answered, CaseAction.AnswerDirectly, Role.HotlineAgent);
        cases["J-answered"] = answered;

        // K: closed, followed up dissatisfied and unresolved, reopened (back with the department).
        var reopened = b.InState(CaseState.Closed);
        b.Do(reopened, CaseAction.FollowUp, Role.HotlineAgent);
        b.Do(reopened, CaseAction.Reopen, Role.ShiftLeader);
        cases["K-reopened"] = reopened;

        // L: fixed on the spot by the reporting inspector.
        var self = b.New(RequestType.Complaint, Role.Inspector);
        b.Do(self, CaseAction.SelfHandle, Role.Inspector);
        cases["L-self-handled"] = self;

        // M: marked overdue, reported done after the handling deadline, then checked and closed.
        var late = b.InState(CaseState.Handling);
        b.Now = late.HandlingDueAt!.Value.AddHours(1);
        late.MarkOverdue(true, b.Ctx(CaseBuilder.As(Role.BackgroundWorker)), CasePhase.Handling);
        b.Do(late, CaseAction.Finish, Role.DepartmentHandler);
        b.Do(late, CaseAction.CheckPass, Role.Inspector);
        b.Do(late, CaseAction.Close, Role.ShiftLeader);
        cases["M-late"] = late;

        return cases.ToDictionary(kv => kv.Key, kv => Fold(kv.Value));
    }

    /// <summary>Hand-counted over A…M: (numerator, denominator) of every indicator.</summary>
    public static TheoryData<string, long, long?> Expected() => new()
    {
        { "reported", 13, null },
        { "valid-report-rate", 9, 13 },            // filed A B C D E I K M, fixed on the spot L
        { "filed", 9, null },
        { "filing-rate", 9, 9 },
        { "filing-rate-all-reports", 9, 13 },
        { "rejected", 1, null },                   // G
        { "filed-on-time-rate", 9, 9 },
        { "accurate-filing-rate", 8, 9 },          // I withdrawn after filing
        { "dispatched", 7, null },                 // A B C D E K M
        { "accurate-dispatch-rate", 6, 7 },        // C's return stood
        { "dispatched-on-time-rate", 7, 7 },
        { "signed-on-time-rate", 7, 7 },
        { "disposed", 4, null },                   // A B D M (K's report no longer stands after the reopening)
        { "disposal-rate", 4, 6 },                 // held by a department: A B C D K M (E suspended)
        { "disposed-on-time-rate", 3, 6 },         // M late
        { "archived", 4, null },                   // A B L M
        { "archive-rate", 4, 8 },                  // filed and not withdrawn: A B C D E K L M
        { "archived-on-time-rate", 3, 8 },
        { "archived-late-rate", 1, 4 },
        { "unclosed-rate", 4, 13 },                // C D E K
        { "overdue", 1, null },
        { "overdue-pending-rate", 0, 6 },          // M, the one overdue case, was reported done
        { "rework", 2, null },
        { "rework-rate", 1, 5 },                   // reported done at least once: A B D K M
        { "returns", 1, null },
        { "return-rate", 1, 7 },
        { "extensions", 1, null },
        { "extension-rate", 1, 7 },
        { "suspended", 1, null },
        { "completion-rate", 5, 13 },              // closed: A B J L M
        { "completion-rate-own", 5, 12 },          // F transferred
        { "acceptance-rate", 12, 13 },             // I withdrawn
        { "resolution-rate-due", 3, 6 },           // A B M
        { "resolution-rate-follow-up", 1, 2 },     // A resolved, K not
        { "direct-completion-rate", 1, 13 },
        { "first-time-completion-rate", 4, 5 },    // B reworked
        { "timely-feedback-rate", 4, 13 },         // J at intake; A B D reported done on time
        { "verified-on-time-rate", 1, 1 },
        { "checked-on-time-rate", 4, 4 },          // A B K M
        { "followed-up", 2, null },
        { "follow-up-rate", 1, 5 },                // K's follow-up belongs to a closure that no longer stands
        { "satisfaction-rate", 1, 2 },
        { "follow-up-satisfaction-rate", 1, 2 },
        { "dissatisfied", 1, null },
        { "repeat-rate", 0, 13 },
        { "transferred", 1, null },
        { "cancelled", 1, null },
        { "merged", 1, null },
        { "self-handled", 1, null },
        { "answered-directly", 1, null },
        { "reopened", 1, null },
        { "intake-accepted", 4, null },                 // an intake operator acted on F (transfer), G (verification), H (merge), I (withdrawal)
        { "verification-sent-on-time-rate", 1, 1 },     // G, sent 10 minutes after the report
        { "check-sent-on-time-rate", 0, 0 },            // no check task was assigned by hand
        { "closing-on-time-rate", 3, 3 },               // A B M closed by the shift leader (L fixed on the spot, K reopened)
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void EveryIndicator_OnTheHandBuiltHistory_GivesTheHandCountedFigure(string id, long numerator, long? denominator)
    {
        var def = IndicatorCatalogue.Find(id)!;
        var result = def.Evaluate(History().Values);
        Assert.Equal(numerator, result.Numerator);
        Assert.Equal(denominator, result.Denominator);
        Assert.Equal(denominator is null ? numerator : denominator == 0 ? null : Math.Round(100m * numerator / denominator.Value, 2, MidpointRounding.AwayFromZero),
            result.Value);
    }

    [Fact]
    public void EveryIndicatorOfTheCatalogue_HasAHandCountedExpectation()
    {
        var covered = Expected().Select(row => (string)row[0]).ToHashSet();
        Assert.All(IndicatorCatalogue.All.Where(d => d.Subject == IndicatorSubject.Cases), d => Assert.Contains(d.Id, covered));
    }

    [Fact]
    public void TheCatalogue_HasStableUniqueIds_AndNamesOnlyFactCounters()
    {
        Assert.Equal(IndicatorCatalogue.All.Count, IndicatorCatalogue.All.Select(d => d.Id).Distinct().Count());
        Assert.All(IndicatorCatalogue.All, d =>
        {
            Assert.Matches("^[a-z]+(-[a-z]+)*$", d.Id);
            IEnumerable<string> counters = d.Subject switch
            {
                IndicatorSubject.Cases => CaseFact.CounterNames,
                IndicatorSubject.Calls => new[] { nameof(CallFact.Offered), nameof(CallFact.Answered), nameof(CallFact.Missed) },
                _ => new[] { "Missed", "OwnAndMissed" },
            };
            if (d.Actor is not null) Assert.Contains(d.Actor, typeof(CaseFact).GetProperties().Where(p => p.PropertyType == typeof(string)).Select(p => p.Name));
            Assert.Contains(d.Numerator, counters);
            if (d.Denominator is not null) Assert.Contains(d.Denominator, counters);
            Assert.False(string.IsNullOrWhiteSpace(d.NameZh + d.HowZh + d.NameEn + d.HowEn));
            Assert.Equal(d.Denominator is null ? IndicatorUnit.Count : IndicatorUnit.Percent, d.Unit);
        });
    }

    [Fact]
    public void ARatesNumerator_IsAlwaysPartOfItsDenominator_CaseByCase()
    {
        // So that a figure never exceeds 100 % and its drill-down lists are nested.
        var facts = History();
        foreach (var d in IndicatorCatalogue.All.Where(d => d.Denominator is not null && d.Subject == IndicatorSubject.Cases))
            foreach (var (name, f) in facts)
                Assert.True(f.Counter(d.Numerator) == 0 || f.Counter(d.Denominator!) > 0, $"{d.Id} on {name}");
    }

    [Fact]
    public void TheEdgeCases_LeaveTheRowsTheirHistoryDescribes()
    {
        var f = History();
        Assert.Equal((2, 1, 0), (f["B-reworked-twice"].ReworkCount, f["B-reworked-twice"].Closed, f["B-reworked-twice"].ClosedFirstTime));
        Assert.Equal(("D3", 1, 0), (f["C-returned"].LeadDepartmentCode, f["C-returned"].ReturnCount, f["C-returned"].DispatchedAccurately));
        Assert.True(f["D-extended"].HandlingDueAt > f["D-extended"].DispatchedAt!.Value.AddDays(30));
        Assert.Equal((1, 0, 1), (f["E-suspended"].Suspended, f["E-suspended"].NeedDispose, f["E-suspended"].Unclosed));
        Assert.Equal((1, 0, 0), (f["K-reopened"].ReopenCount, f["K-reopened"].Closed, f["K-reopened"].Archived));
        Assert.Null(f["K-reopened"].ClosedAt);
        Assert.Equal(CaseState.Handling, f["K-reopened"].State);
        Assert.Equal((1, 1, 0), (f["M-late"].Overdue, f["M-late"].ArchivedLate, f["M-late"].DisposedOnTime));
        Assert.Equal((1, 1, 1), (f["L-self-handled"].SelfHandled, f["L-self-handled"].Archived, f["L-self-handled"].ArchivedOnTime));
    }

    [Theory]
    [InlineData(3003, 3040, "98.78")]   // 河池's 办结率
    [InlineData(152020, 154337, "98.50")] // 怀化's 立案率
    [InlineData(116120, 137069, "84.72")] // 怀化's 解决率
    [InlineData(29220, 33385, "87.52")]  // 湛河's 按期处置率
    [InlineData(1, 800, "0.13")]        // 0.125: half-up, not to even
    [InlineData(1, 1600, "0.06")]       // 0.0625
    [InlineData(2, 3, "66.67")]
    public void Percentages_AreRoundedToTwoDecimals_HalfUp(long numerator, long denominator, string expected)
    {
        var rate = IndicatorCatalogue.Find("completion-rate")!;
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), rate.ValueOf(numerator, denominator));
        Assert.Null(rate.ValueOf(0, 0));
    }

    [Fact]
    public void APeriod_TakesTheCasesWhoseDateOfTheIndicatorFallsInIt()
    {
        var facts = History().Values.ToList();
        var archived = IndicatorCatalogue.Find("archived")!;
        var lastClose = facts.Where(f => f.ClosedAt is not null).Max(f => f.ClosedAt!.Value);
        // Half-open: a period ending at the last closing instant leaves that case out, one a tick later takes it in.
        Assert.Equal(3, archived.Evaluate(facts, CaseBuilder.T0, lastClose).Numerator);
        Assert.Equal(4, archived.Evaluate(facts, CaseBuilder.T0, lastClose.AddTicks(1)).Numerator);
        // Cases without the date (never closed) are in no period.
        Assert.Equal(0, archived.Evaluate(facts, lastClose.AddTicks(1), lastClose.AddYears(1)).Numerator);
    }
}
