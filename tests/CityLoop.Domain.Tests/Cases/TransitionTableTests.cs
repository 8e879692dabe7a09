using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

/// <summary>Every row of the transition table, legal and illegal, for every state.</summary>
public class TransitionTableTests
{
    public static TheoryData<CaseAction, CaseState> LegalPairs()
    {
        var data = new TheoryData<CaseAction, CaseState>();
        foreach (var t in TransitionTable.All)
            foreach (var s in t.From.Where(s => s is not CaseState.Rejected))
                data.Add(t.Action, s);
        return data;
    }

    public static TheoryData<CaseAction, CaseState> IllegalPairs()
    {
        var data = new TheoryData<CaseAction, CaseState>();
        foreach (var a in Enum.GetValues<CaseAction>())
            foreach (var s in Enum.GetValues<CaseState>())
                if (TransitionTable.Find(a, s) is null) data.Add(a, s);
        return data;
    }

    [Theory]
    [MemberData(nameof(LegalPairs))]
    public void LegalTransition_ByEachAllowedRole_MovesStateAndAppendsOneEvent(CaseAction action, CaseState from)
    {
        var transition = TransitionTable.Find(action, from)!;
        foreach (var role in transition.Roles)
        {
            var (b, c) = Built(action, from, role);
            var before = c.NewEvents.Count;
            var resume = c.ResumeState;
            var stateBefore = c.State;
            var actor = CaseBuilder.ActorFor(action, role);

            c.Perform(action, CaseBuilder.FullInput, b.Ctx(actor));

            var expected = transition.To ?? action switch
            {
                CaseAction.DenyReturn or CaseAction.DenyExtension or CaseAction.ApproveExtension or CaseAction.Arbitrate => resume!.Value,
                CaseAction.Reopen => CaseState.Handling,
                CaseAction.Finish => CaseState.PendingCheck,
                _ => stateBefore,
            };
            Assert.Equal(expected, c.State);
            Assert.Equal(before + 1, c.NewEvents.Count);
            var e = c.NewEvents[^1];
            Assert.Equal(action.Name(), e.Action);
            Assert.Equal(stateBefore, e.FromState);
            Assert.Equal(c.State, e.ToState);
            Assert.Equal(role, e.Role);
            Assert.Equal(actor.Id, e.ActorId);
            Assert.Equal(c.Version, e.Seq);
        }
    }

    /// <summary>A case in <paramref name="from"/> on which <paramref name="role"/> may perform <paramref name="action"/>.</summary>
    static (CaseBuilder, Case) Built(CaseAction action, CaseState from, Role role)
    {
        // A call-back check has no inspector; an agent performs it.
        var b = new CaseBuilder { CallBackCheck = role == Role.HotlineAgent && action is CaseAction.CheckPass or CaseAction.CheckFail };
        // Only the inspector who reported a problem handles it on the spot.
        var c = action == CaseAction.SelfHandle ? b.New(reporter: Role.Inspector) : b.InState(from);
        if (action == CaseAction.Reopen) b.Do(c, CaseAction.FollowUp, Role.HotlineAgent);
        if (action == CaseAction.TakeBack) b.Do(c, CaseAction.Assign, Role.DepartmentHead);
        return (b, c);
    }

    [Theory]
    [MemberData(nameof(IllegalPairs))]
    public void IllegalTransition_EvenForAnActorWithEveryRole_IsRefusedWithTheState(CaseAction action, CaseState from)
    {
        var b = new CaseBuilder();
        var c = b.InState(from);
        var version = c.Version;
        var everyone = new Actor("root", "everyone", Enum.GetValues<Role>().ToHashSet(), CaseBuilder.Dept);

        var ex = Assert.Throws<CaseRuleException>(() => c.Perform(action, CaseBuilder.FullInput, b.Ctx(everyone)));

        Assert.Equal(from, ex.CurrentState);
        Assert.Equal(from, c.State);
        Assert.Equal(version, c.Version);
    }

    [Theory]
    [MemberData(nameof(LegalPairs))]
    public void LegalTransition_ByARoleNotInTheTable_IsForbidden(CaseAction action, CaseState from)
    {
        var transition = TransitionTable.Find(action, from)!;
        foreach (var role in Enum.GetValues<Role>().Where(r => !transition.Roles.Contains(r)))
        {
            var (b, c) = Built(action, from, transition.Roles.First());
            var state = c.State;
            var ex = Record.Exception(() => c.Perform(action, CaseBuilder.FullInput, b.Ctx(CaseBuilder.ActorFor(action, role))));
            Assert.True(ex is CaseForbiddenException or CaseRuleException, $"{role} performing {action}: {ex?.GetType().Name ?? "no error"}");
            Assert.Equal(state, c.State);
        }
    }

    [Theory]
    [MemberData(nameof(LegalPairs))]
    public void LegalTransition_WithoutItsRequiredFields_IsInvalid(CaseAction action, CaseState from)
    {
        var transition = TransitionTable.Find(action, from)!;
        if (!transition.Fields.Any(f => f.Required)) return;
        var (b, c) = Built(action, from, transition.Roles.First());
        var state = c.State;

        var ex = Assert.Throws<CaseValidationException>(() => c.Perform(action, ActionInput.Empty, b.Ctx(CaseBuilder.ActorFor(action, transition.Roles.First()))));

        Assert.All(transition.Fields.Where(f => f.Required), f => Assert.Contains(f.Name, ex.Errors.Keys));
        Assert.Equal(state, c.State);
    }

    [Fact]
    public void DepartmentAction_ByAnotherDepartment_IsForbidden()
    {
        var b = new CaseBuilder();
        var c = b.InState(CaseState.PendingSignFor);
        Assert.Throws<CaseForbiddenException>(() => c.Perform(CaseAction.SignFor, ActionInput.Empty, b.Ctx(CaseBuilder.As(Role.DepartmentHandler, "D9"))));
        Assert.Empty(c.AvailableActions(CaseBuilder.As(Role.DepartmentHandler, "D9")));
        Assert.Contains(c.AvailableActions(CaseBuilder.As(Role.DepartmentHandler)), t => t.Action == CaseAction.SignFor);
    }

    [Fact]
    public void TheTable_HasOneRowPerActionAndState()
    {
        foreach (var a in Enum.GetValues<CaseAction>())
            foreach (var s in Enum.GetValues<CaseState>())
                Assert.True(TransitionTable.All.Count(t => t.Action == a && t.From.Contains(s)) <= 1, $"{a} from {s}");
        Assert.All(Enum.GetValues<CaseAction>(), a => Assert.NotEmpty(TransitionTable.For(a)));
    }

    [Theory]
    [InlineData("request-verification", CaseAction.RequestVerification)]
    [InlineData("sign-for", CaseAction.SignFor)]
    [InlineData("approve-extension", CaseAction.ApproveExtension)]
    [InlineData("check-fail", CaseAction.CheckFail)]
    [InlineData("answer-directly", CaseAction.AnswerDirectly)]
    [InlineData("follow-up", CaseAction.FollowUp)]
    public void ActionNames_AreStableKebabCase(string name, CaseAction action)
    {
        Assert.Equal(name, action.Name());
        Assert.True(TransitionTable.TryParseAction(name, out var parsed));
        Assert.Equal(action, parsed);
    }
}
