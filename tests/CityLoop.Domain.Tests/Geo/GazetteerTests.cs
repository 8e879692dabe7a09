using CityLoop.Domain.Geo;

namespace CityLoop.Domain.Tests.Geo;

public class GazetteerTests
{
    private static readonly Gazetteer Gazetteer =
        Gazetteer.Build(SyntheticGridTests.Catalog, SyntheticGridTests.Demo.Communities.Concat(SyntheticGridTests.Demo.Streets), SyntheticGridTests.Demo.Grids);

    [Fact]
    public void Village_named_in_an_address_ranks_first()
    {
        var results = Gazetteer.Search("金城江区东江镇永兴村口", 5);

        Assert.Equal("451202101201", results[0].Entry.Code);
        Assert.Equal(GazetteerKind.Community, results[0].Entry.Kind);
        Assert.Equal("永兴村", results[0].MatchedName);
        Assert.NotNull(results[0].Entry.Location);
        Assert.True(results[0].Score > results[1].Score);
        Assert.Contains(results, r => r.Entry.Code == "451202101"); // the street is a lower-ranked candidate
    }

    [Fact]
    public void Street_alone_beats_communities_sharing_its_core_name()
    {
        var results = Gazetteer.Search("东江镇政府门口");
        Assert.Equal("451202101", results[0].Entry.Code);
    }

    [Fact]
    public void Full_width_and_spaces_are_normalised()
    {
        Assert.Equal("abc123六圩镇", Gazetteer.Normalise(" ＡＢＣ１２３　六圩镇，"));
        Assert.Equal("451202102", Gazetteer.Search("六 圩 镇")[0].Entry.Code);
    }

    [Fact]
    public void Grid_code_and_grid_name_are_found()
    {
        var grid = SyntheticGridTests.Demo.Grids[100];
        Assert.Equal(grid.Code, Gazetteer.Search($"网格{grid.Code}附近")[0].Entry.Code);
        Assert.Equal(grid.Code, Gazetteer.Search(grid.Name)[0].Entry.Code);
    }

    [Fact]
    public void Places_added_at_run_time_are_ranked_with_context()
    {
        var gazetteer = Gazetteer.Build(SyntheticGridTests.Catalog);
        var school = gazetteer.AddPlace("河池学院", new GeoPoint(24.70, 108.05), ["河院"], parentCode: "451202001");
        gazetteer.AddPlace("河池学院附属小学", new GeoPoint(24.71, 108.05));

        var results = gazetteer.Search("金城江街道河池学院南门");

        Assert.Equal(school, results[0].Entry);
        Assert.Equal(school, gazetteer.Search("河院")[0].Entry);
    }

    [Fact]
    public void Unrelated_text_finds_nothing()
    {
        Assert.Empty(Gazetteer.Search("北京朝阳"));
        Assert.Empty(Gazetteer.Search(""));
    }

    [Fact]
    public void Partial_names_still_match()
    {
        // "长排" without its suffix still finds 长排村民委员会 (via the core name).
        var results = Gazetteer.Search("东江长排那边");
        Assert.Equal("451202101205", results[0].Entry.Code);
    }
}
