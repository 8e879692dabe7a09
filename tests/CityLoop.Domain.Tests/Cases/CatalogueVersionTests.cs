using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Tests.Cases;

public class CatalogueVersionTests
{
    readonly CaseBuilder _b = new();

    [Fact]
    public void File_RecordsTheCatalogueVersionItWasFiledUnder()
    {
        var c = _b.InState(CaseState.PendingFiling);
        _b.Do(c, CaseAction.File, Role.ShiftLeader, CaseBuilder.FullInput with { StandardItem = "C0101-01", CatalogueVersion = 7 });
        Assert.Equal(7, c.CatalogueVersion);
        Assert.Contains("\"catalogueVersion\":7", c.NewEvents[^1].Payload);
    }

    [Fact]
    public void File_WithoutAVersion_KeepsTheCaseUnversioned()
    {
        var c = _b.InState(CaseState.PendingFiling);
        _b.Do(c, CaseAction.File, Role.ShiftLeader);
        Assert.Null(c.CatalogueVersion);
    }

    [Fact]
    public void RecomputeDeadlines_WithUnchangedLimits_MovesNothingAndLogsNothing()
    {
        var c = _b.InState(CaseState.PendingSignFor);
        var events = c.NewEvents.Count;
        Assert.False(c.RecomputeDeadlines(_b.Ctx(CaseBuilder.As(Role.SystemAdmin))));
        Assert.Equal(events, c.NewEvents.Count);
    }
}
