using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Domain.Tests.Geo;

public class DivisionTests
{
    [Fact]
    public void Chain_runs_from_community_to_province()
    {
        var chain = DivisionCsv.LoadDemo().Chain("451202101201");

        Assert.Equal(["451202101201", "451202101", "451202", "4512", "45"], chain.Select(d => d.Code));
        Assert.Equal([DivisionLevel.Community, DivisionLevel.Street, DivisionLevel.District, DivisionLevel.City, DivisionLevel.Province],
            chain.Select(d => d.Level));
    }

    [Theory]
    [InlineData("永兴村民委员会", "永兴村", "永兴")]
    [InlineData("城北社区居民委员会", "城北社区", "城北")]
    [InlineData("龙怀村委会", "龙怀村", "龙怀")]
    [InlineData("东江镇", "东江镇", "东江")]
    [InlineData("金城江街道", "金城江街道", "金城江")]
    public void Short_and_core_names(string name, string shortName, string core)
    {
        Assert.Equal(shortName, DivisionNames.Short(name));
        Assert.Equal(core, DivisionNames.Core(name));
    }
}
