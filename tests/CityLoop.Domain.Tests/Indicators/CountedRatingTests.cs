using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Domain.Tests.Cases;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>
/// 满意率 where the citizen rated the reply on the portal and the follow-up call rated it too: the call counts unless
/// the platform counts the citizen's own rating; where only one of them rated, that one counts.
/// </summary>
public class CountedRatingTests
{
    static readonly Actor Portal = new("system:portal", "市民门户", new HashSet<Role> { Role.PortalChannel }, null, IsSystem: true);

    static (Case Case, CaseBuilder Builder) Closed() { var b = new CaseBuilder(); return (b.InState(CaseState.Closed), b); }

    static void CitizenRates(Case c, CaseBuilder b, Satisfaction s) => c.Note("citizen-rating", b.Ctx(Portal), payload: new { resolved = s != Satisfaction.Dissatisfied, satisfaction = s });

    static void Call(Case c, CaseBuilder b, Satisfaction? s) =>
        b.Do(c, CaseAction.FollowUp, Role.HotlineAgent, CaseBuilder.FullInput with { Contacted = s is not null, Satisfaction = s, Resolved = true });

    static CaseFact Fold(Case c, CountedRating counted)
    {
        var fact = CaseFact.Start(c, c.NewEvents[0]);
        foreach (var e in c.NewEvents.Skip(1)) fact.Apply(e, null, counted);
        return fact;
    }

    [Theory]
    [InlineData(CountedRating.Call, "follow-up", 1, 0)]
    [InlineData(CountedRating.Citizen, "citizen", 0, 1)]
    public void CitizenFirst_ThenTheCall(CountedRating counted, string source, int satisfied, int dissatisfied)
    {
        var (c, b) = Closed();
        CitizenRates(c, b, Satisfaction.Dissatisfied);
        Call(c, b, Satisfaction.Satisfied);
        var f = Fold(c, counted);
        Assert.Equal((1, source, satisfied, dissatisfied, 1), (f.Rated, f.RatingSource, f.Satisfied, f.Dissatisfied, f.FollowedUp));
    }

    [Theory]
    [InlineData(CountedRating.Call, "follow-up", 1, 0)]
    [InlineData(CountedRating.Citizen, "citizen", 0, 1)]
    public void TheCallFirst_ThenTheCitizen(CountedRating counted, string source, int satisfied, int dissatisfied)
    {
        var (c, b) = Closed();
        Call(c, b, Satisfaction.Satisfied);
        CitizenRates(c, b, Satisfaction.Dissatisfied);
        var f = Fold(c, counted);
        Assert.Equal((1, source, satisfied, dissatisfied), (f.Rated, f.RatingSource, f.Satisfied, f.Dissatisfied));
    }

    [Fact]
    public void ACallThatDidNotReachTheCitizen_LeavesTheCitizensRatingCounted()
    {
        var (c, b) = Closed();
        CitizenRates(c, b, Satisfaction.BasicallySatisfied);
        Call(c, b, null);
        var f = Fold(c, CountedRating.Call);
        Assert.Equal((1, "citizen", 1, 1, 0), (f.Rated, f.RatingSource, f.BasicallySatisfied, f.SatisfiedOrBasically, f.Contacted));
    }

    [Fact]
    public void TheCitizensRatingAlone_CountsInThePeriodOfTheRating()
    {
        var (c, b) = Closed();
        CitizenRates(c, b, Satisfaction.Satisfied);
        var f = Fold(c, CountedRating.Call);
        Assert.Equal((1, 1, 0), (f.Rated, f.Satisfied, f.FollowedUp));
        Assert.Equal(c.NewEvents[^1].At, f.FollowedUpAt);
    }

    [Fact]
    public void AfterAReopening_TheNextClosuresRatingsCountAfresh()
    {
        var (c, b) = Closed();
        Call(c, b, Satisfaction.Dissatisfied);
        b.Do(c, CaseAction.Reopen, Role.ShiftLeader, CaseBuilder.FullInput);
        b.Do(c, CaseAction.Finish, Role.DepartmentHandler);
        b.Do(c, CaseAction.CheckPass, Role.Inspector);
        b.Do(c, CaseAction.Close, Role.ShiftLeader);
        CitizenRates(c, b, Satisfaction.VerySatisfied);
        var f = Fold(c, CountedRating.Call);
        Assert.Equal((1, "citizen", 1, 0), (f.Rated, f.RatingSource, f.Satisfied, f.Dissatisfied));
    }
}
