using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class CatalogueSeedTests
{
    private static readonly IReadOnlyList<Category> Categories = CatalogueSeed.LoadCategories();
    private static readonly IReadOnlyList<Category> Hotline = CatalogueSeed.LoadHotlineTaxonomy();

    [Fact]
    public void Seed_has_the_reference_majors_and_minors()
    {
        Assert.Equal(6, Categories.Count(c => c is { Kind: CategoryKind.Component, Level: CategoryLevel.Major }));
        Assert.Equal(6, Categories.Count(c => c is { Kind: CategoryKind.Event, Level: CategoryLevel.Major }));
        Assert.Equal(23, Categories.Count(c => c is { Kind: CategoryKind.Component, Level: CategoryLevel.Minor }));
        Assert.Equal(23, Categories.Count(c => c is { Kind: CategoryKind.Event, Level: CategoryLevel.Minor }));
        Assert.Equal(Categories.Count, Categories.Select(c => c.Key).Distinct().Count());
        Assert.Equal("上水井盖", Categories.Single(c => c.Key == "C0101").Name);
        Assert.Equal("私搭乱建", Categories.Single(c => c.Key == "E0101").Name);
        Assert.Equal("道路积雪结冰", Categories.Single(c => c.Key == "E0601").Name);
    }

    [Fact]
    public void Every_minor_has_a_condition_with_a_valid_limit_and_closing_standard()
    {
        Assert.All(Categories.Where(c => c.IsLeaf), c =>
        {
            Assert.NotEmpty(c.Conditions);
            Assert.All(c.Conditions, f =>
            {
                Assert.True(TimeLimitFormat.IsValid(f.TimeLimit), $"{c.Key}: {f.TimeLimit}");
                Assert.False(string.IsNullOrWhiteSpace(f.ClosingStandard));
                Assert.StartsWith(c.Key + "-", f.Code);
            });
        });
        Assert.All(Categories.Where(c => !c.IsLeaf), c => Assert.Empty(c.Conditions));
    }

    [Theory]
    [InlineData("C0101", "缺失", "2h-urgent")]
    [InlineData("C0111", "破损面积大于25平方厘米", "4h-work")]
    [InlineData("C0102", "松动", "2d-work")]
    [InlineData("E0102", "主干道", "4h-work")]
    [InlineData("E0104", "8:00", "2h-work")]
    [InlineData("E0402", "积水", "4h-work")]
    [InlineData("E0101", "正在搭建", "4h-work")]
    [InlineData("E0101", "已建成", "20d-work")]
    public void Reference_examples_are_marked_and_kept(string key, string descriptionPart, string limit)
    {
        var condition = Categories.Single(c => c.Key == key).Conditions.Single(f => f.Description.Contains(descriptionPart));
        Assert.Equal(limit, condition.TimeLimit);
        Assert.Equal(ConditionSource.Reference, condition.Source);
    }

    [Fact]
    public void Hotline_taxonomy_has_15_classes_and_517_leaves()
    {
        Assert.Equal(15, Hotline.Count(c => c.Level == CategoryLevel.Major));
        Assert.Equal(118, Hotline.Count(c => c.Level == CategoryLevel.Minor));
        Assert.Equal(517, Hotline.Count(c => c.IsLeaf));
        Assert.All(Hotline, c => Assert.Equal(CategoryKind.Hotline, c.Kind));

        // Codes follow the order of the source sheet, so they are stable across re-extraction.
        Assert.Equal(("H01", "城乡建设"), (Hotline[0].Key, Hotline[0].Name));
        Assert.Equal(("H010101", "事故处理"), (Hotline[2].Key, Hotline[2].Name));
        var leavesPerClass = Hotline.Where(c => c.IsLeaf).GroupBy(c => c.Code[..2])
            .ToDictionary(g => Hotline.Single(m => m.Code == g.Key).Name, g => g.Count());
        Assert.Equal(65, leavesPerClass["城乡建设"]);
        Assert.Equal(15, leavesPerClass["科技与信息产业"]);
    }

    [Fact]
    public void Hotline_time_limits_cover_every_request_type()
    {
        var limits = CatalogueSeed.LoadHotlineTimeLimits();
        Assert.Equal(Enum.GetValues<RequestType>().Order(), limits.Select(l => l.RequestType).Order());
        Assert.Equal("5d-work", limits.Single(l => l.RequestType == RequestType.Enquiry).TimeLimit);
        Assert.Equal("5d-work", limits.Single(l => l.RequestType == RequestType.Help).TimeLimit);
        Assert.Equal("15d-work", limits.Single(l => l.RequestType == RequestType.Complaint).TimeLimit);
        Assert.Equal("3d-work", limits.Single(l => l.RequestType == RequestType.Praise).TimeLimit);
    }

    [Fact]
    public void Version_snapshot_finds_categories_and_conditions()
    {
        var v = CatalogueSeed.LoadVersion(3);

        Assert.Equal(3, v.Version);
        Assert.Equal("路灯", v.Find(CategoryKind.Component, "0118")?.Name);
        Assert.Equal("2h-urgent", v.FindCondition("C0101-01")?.TimeLimit);
        Assert.Equal(3, v.Children("H0101").Count());
        Assert.Equal(46 + 517, v.Leaves.Count());
        Assert.Equal("15d-work", v.TimeLimitFor(RequestType.Suggestion)?.TimeLimit);
    }

    [Fact]
    public void Version_rejects_duplicate_keys()
    {
        var c = new Category(CategoryKind.Event, "01", CategoryLevel.Major, null, "市容环境");
        Assert.Throws<ArgumentException>(() => new CatalogueVersion(1, DateTimeOffset.UnixEpoch, [c, c]));
    }

    [Theory]
    [InlineData("2h-urgent", true)]
    [InlineData("4h-work", true)]
    [InlineData("3d-work", true)]
    [InlineData("15d-cal", true)]
    [InlineData("0h-work", false)]
    [InlineData("2 h-work", false)]
    [InlineData("2w-work", false)]
    [InlineData("2h-working", false)]
    [InlineData("2h", false)]
    [InlineData("", false)]
    public void Time_limit_format(string limit, bool valid) => Assert.Equal(valid, TimeLimitFormat.IsValid(limit));

    [Theory]
    [InlineData("C0101", true)]
    [InlineData("E01", true)]
    [InlineData("H010101", true)]
    [InlineData("C1", false)]
    [InlineData("X0101", false)]
    [InlineData("0101", false)]
    public void Category_keys(string key, bool valid) => Assert.Equal(valid, CategoryKey.IsValid(key));
}
