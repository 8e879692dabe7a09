using CityLoop.Domain.Geo;

namespace CityLoop.Domain.Tests.Geo;

public class GridCodeTests
{
    [Fact]
    public void Valid_code_yields_its_parts()
    {
        const string code = "451202101201007";
        Assert.True(GridCode.IsValid(code));
        Assert.Equal("451202", GridCode.DistrictCode(code));
        Assert.Equal("451202101", GridCode.StreetCode(code));
        Assert.Equal("451202101201", GridCode.CommunityCode(code));
        Assert.Equal(7, GridCode.Serial(code));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("45120210120100")]
    [InlineData("4512021012010070")]
    [InlineData("45120210120100A")]
    [InlineData("451202101201 07")]
    [InlineData("451202101201000")]
    public void Invalid_codes_are_rejected_with_a_reason(string? code)
    {
        Assert.NotNull(GridCode.Validate(code));
    }

    [Fact]
    public void Length_is_configurable()
    {
        Assert.True(GridCode.IsValid("45120210120107", length: 14));
        Assert.True(GridCode.IsValid("4512021012010007", length: 16));
        Assert.False(GridCode.IsValid("451202101201007", length: 16));
        Assert.Equal("4512021012010007", GridCode.Compose("451202101201", 7, length: 16));
        Assert.Equal(99, GridCode.MaxSerial(14));
        Assert.Throws<ArgumentOutOfRangeException>(() => GridCode.Compose("451202101201", 100, length: 14));
        Assert.Throws<ArgumentException>(() => GridCode.Compose("4512021012", 1));
    }
}
