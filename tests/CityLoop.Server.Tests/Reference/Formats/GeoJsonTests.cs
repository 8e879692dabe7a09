using System.Text;
using System.Text.Json.Nodes;
using CityLoop.Domain.Geo;
using NetTopologySuite.Geometries;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class GeoJsonTests
{
    private static readonly SyntheticGridSet Demo = SyntheticGridGenerator.Generate(DivisionCsv.LoadDemo(), DivisionCsv.DemoAreaCode);

    private static GeoJsonReadResult Read(string json, string? required = "code") =>
        GeoJson.ReadFeatureCollection(new MemoryStream(Encoding.UTF8.GetBytes(json)), required);

    [Fact]
    public void Round_trips_polygons_multipolygons_points_and_properties()
    {
        var grids = Demo.Grids.Take(5).ToList();
        var features = grids.Select(g => new GeoFeature(g.Polygon, new Dictionary<string, JsonNode?>
        {
            ["code"] = g.Code,
            ["name"] = g.Name,
            ["synthetic"] = true,
            ["tags"] = new JsonArray(1, "a"),
            ["note"] = null,
        }, g.Code)).ToList();
        // Parts of a valid MultiPolygon must not share an edge, so pair the first cell with one it does not touch.
        var apart = Demo.Grids.First(g => !g.Polygon.Intersects(grids[0].Polygon));
        var multi = GeoFactory.Wgs84.CreateMultiPolygon([grids[0].Polygon, apart.Polygon]);
        features.Add(new GeoFeature(multi, new Dictionary<string, JsonNode?> { ["code"] = "m1" }));
        features.Add(new GeoFeature(GeoFactory.Wgs84.CreatePoint(new Coordinate(108.0612345678901, 24.6912345678901)),
            new Dictionary<string, JsonNode?> { ["code"] = "4512020101000001" }));

        var json = GeoJson.ToJson(features);
        var result = Read(json);

        Assert.Empty(result.Errors);
        Assert.Equal(features.Count, result.Features.Count);
        foreach (var (expected, actual) in features.Zip(result.Features))
        {
            Assert.True(expected.Geometry.EqualsExact(actual.Geometry), actual.Code);
            Assert.Equal(expected.Id, actual.Id);
            Assert.Equal(expected.Properties.Keys, actual.Properties.Keys);
            Assert.Equal(GeoFactory.Wgs84Srid, actual.Geometry.SRID);
        }
        Assert.Contains("号网格", json, StringComparison.Ordinal); // names stay readable, not \uXXXX
        Assert.IsType<MultiPolygon>(result.Features[5].Geometry);
        Assert.True(result.Features[0].Properties["synthetic"]!.GetValue<bool>());
        Assert.Null(result.Features[0].Properties["note"]);
        Assert.Equal(GeoJson.ToJson(features), GeoJson.ToJson(result.Features));
    }

    [Fact]
    public void Bad_features_are_reported_and_valid_ones_kept()
    {
        const string square = "[[[108,24],[108.001,24],[108.001,24.001],[108,24.001],[108,24]]]";
        var json = $$$"""
        {"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":{{{square}}}},"properties":{"code":"451202001001001"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":{{{square}}}},"properties":{"name":"no code"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[108,24],[108.001,24],[108,24]]]},"properties":{"code":"a"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[108,24],[108.001,24],[108.001,24.001],[108,24.001],[108,24.0005]]]},"properties":{"code":"b"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[108,24],["x",24],[108.001,24.001],[108,24]]]},"properties":{"code":"c"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[108,24],[108.001,24.001],[108.001,24],[108,24.001],[108,24]]]},"properties":{"code":"d"}},
          {"type":"Feature","geometry":{"type":"LineString","coordinates":[[108,24],[108.1,24]]},"properties":{"code":"e"}},
          {"type":"Feature","geometry":null,"properties":{"code":"f"}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[108.06,24.69]},"properties":{"code":451202001001002}},
          {"type":"Feature","geometry":{"type":"Point","coordinates":[24.69,208.06]},"properties":{"code":"g"}},
          "nonsense"
        ]}
        """;

        var result = Read(json);

        Assert.Equal(["451202001001001", "451202001001002"], result.Features.Select(f => f.Code));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 9, 10], result.Errors.Select(e => e.FeatureIndex));
        Assert.Equal("properties.code", result.Errors[0].Field);
        Assert.Contains("missing code", result.Errors[0].Reason);
        Assert.Contains("3 positions, needs at least 4", result.Errors[1].Reason);
        Assert.Contains("unclosed ring", result.Errors[2].Reason);
        Assert.Equal("geometry.coordinates[0][1][0]", result.Errors[3].Field);
        Assert.Contains("non-numeric", result.Errors[3].Reason);
        Assert.Contains("bad geometry", result.Errors[4].Reason);
        Assert.Contains("unsupported", result.Errors[5].Reason);
        Assert.Equal("geometry", result.Errors[6].Field);
        Assert.Contains("out of range", result.Errors[7].Reason);
    }

    [Fact]
    public void Document_level_problems_are_reported_not_thrown()
    {
        Assert.Equal(-1, Read("not json").Errors.Single().FeatureIndex);
        Assert.Equal("type", Read("""{"type":"Feature"}""").Errors.Single().Field);
        Assert.Single(Read("""{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}""", null).Features);
    }
}
