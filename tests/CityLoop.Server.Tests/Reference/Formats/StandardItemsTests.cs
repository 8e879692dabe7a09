using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class StandardItemsTests
{
    static readonly CatalogueVersion Catalogue = CatalogueSeed.LoadVersion();

    [Fact]
    public void A_category_with_conditions_has_exactly_those_items_worded_by_the_standard_asked_for()
    {
        var filing = StandardItems.For(Catalogue, "C0101", RequestType.Complaint, StandardKind.Filing);
        Assert.Equal(["C0101-01", "C0101-02", "C0101-03"], filing.Select(i => i.Code));
        Assert.Equal("上水井盖缺失", filing[0].Text);
        Assert.Equal("2h-urgent", filing[0].TimeLimit);
        var closing = StandardItems.For(Catalogue, "C0101", RequestType.Complaint, StandardKind.Closing);
        Assert.Equal(filing.Select(i => i.Code), closing.Select(i => i.Code));
        Assert.StartsWith("补齐井盖", closing[0].Text);
    }

    [Fact]
    public void A_hotline_leaf_or_no_category_has_the_single_item_of_its_request_type()
    {
        Assert.Equal(["H-complaint"], StandardItems.For(Catalogue, "H150103", RequestType.Complaint, StandardKind.Filing).Select(i => i.Code));
        Assert.Equal(["H-enquiry"], StandardItems.For(Catalogue, null, RequestType.Enquiry, StandardKind.Closing).Select(i => i.Code));
        Assert.Null(StandardItems.Find(Catalogue, "H150103", RequestType.Complaint, StandardKind.Filing, "H-enquiry"));
        Assert.NotNull(StandardItems.Find(Catalogue, "C0203", RequestType.Report, StandardKind.Filing, "c0203-01"));
        Assert.Null(StandardItems.Find(Catalogue, "C0101", RequestType.Report, StandardKind.Filing, "C0203-01"));
    }

    [Fact]
    public void Every_request_type_has_a_hotline_item()
    {
        Assert.All(Enum.GetValues<RequestType>(), t => Assert.Single(StandardItems.For(Catalogue, null, t, StandardKind.Filing)));
    }
}
