using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

/// <summary>The domain's side of sub-centres (decision 026): a platform's staff act on its cases; hand-over moves a case between centres.</summary>
public class SubCentreRuleTests
{
    readonly CaseBuilder _b = new();

    static Actor Dispatcher(string? platform) => CaseBuilder.As(Role.Dispatcher) with { PlatformCode = platform };

    [Fact]
    public void ASubCentresStaff_CannotActOnAnotherPlatformsCase_TheRootsCan()
    {
        var c = _b.InState(CaseState.PendingDispatch);
        var input = new ActionInput { LeadDepartment = CaseBuilder.Dept };
        Assert.Throws<CaseForbiddenException>(() => c.Perform(CaseAction.Dispatch, input, _b.Ctx(Dispatcher("451203"))));
        Assert.Empty(c.AvailableActions(Dispatcher("451203"), _b.Ctx(Dispatcher("451203"))));
        c.Perform(CaseAction.Dispatch, input, _b.Ctx(Dispatcher(null)));
        Assert.Equal(CaseState.PendingSignFor, c.State);
    }

    [Fact]
    public void HandOver_MovesTheCaseToTheOtherPlatform_KeepingItsNumberAndState_AndItsEventCarriesTheNewPlatform()
    {
        var c = _b.InState(CaseState.PendingDispatch);
        var number = c.Number;
        c.Perform(CaseAction.HandOver, new ActionInput { Platform = "451203", Opinion = "属甲区" }, _b.Ctx(Dispatcher(null)));
        Assert.Equal("451203", c.PlatformCode);
        Assert.Equal(number, c.Number);
        Assert.Equal(CaseState.PendingDispatch, c.State);
        Assert.Equal("hand-over", c.NewEvents[^1].Action);
        Assert.Equal("451203", c.NewEvents[^1].PlatformCode);
        // Now the sub-centre's dispatcher acts on it, and the root's still may.
        Assert.Contains(c.AvailableActions(Dispatcher("451203"), _b.Ctx(Dispatcher("451203"))), t => t.Action == CaseAction.Dispatch);
        Assert.Throws<CaseValidationException>(() => c.Perform(CaseAction.HandOver, new ActionInput { Platform = "451203" }, _b.Ctx(Dispatcher(null))));
    }

    [Fact]
    public void HandOver_IsNotOffered_WhereTheDeploymentHasNoSubCentres()
    {
        var c = _b.InState(CaseState.PendingDispatch);
        _b.Settings = _b.Settings with { HandOver = false };
        Assert.DoesNotContain(c.AvailableActions(Dispatcher(null), _b.Ctx(Dispatcher(null))), t => t.Action == CaseAction.HandOver);
        Assert.Throws<CaseRuleException>(() => c.Perform(CaseAction.HandOver, new ActionInput { Platform = "451203" }, _b.Ctx(Dispatcher(null))));
    }
}
