using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityLoop.Domain.Geo;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Valid;

namespace CityLoop.Server.Features.Reference.Formats;

/// <summary>A GeoJSON feature: geometry (lon/lat, SRID 4326), properties as JSON values, optional id.</summary>
public sealed class GeoFeature(Geometry geometry, IDictionary<string, JsonNode?>? properties = null, string? id = null)
{
    public Geometry Geometry { get; } = geometry;

    public IDictionary<string, JsonNode?> Properties { get; } = properties ?? new Dictionary<string, JsonNode?>();

    public string? Id { get; } = id;

    /// <summary>The <c>code</c> property (grid, component or division code).</summary>
    public string? Code => GetString("code");

    /// <summary>A string property; numbers are returned as their JSON text (codes are sometimes written as numbers).</summary>
    public string? GetString(string name)
    {
        if (!Properties.TryGetValue(name, out var node) || node is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        };
    }
}

/// <summary>A rejected feature: its index in <c>features</c> (-1 for the document itself), the field and why.</summary>
public sealed record GeoJsonError(int FeatureIndex, string Field, string Reason)
{
    public override string ToString() => $"feature {FeatureIndex} {Field}: {Reason}";
}

public sealed record GeoJsonReadResult(IReadOnlyList<GeoFeature> Features, IReadOnlyList<GeoJsonError> Errors);

/// <summary>
/// GeoJSON (RFC 7946) FeatureCollections. The reader is our own, on System.Text.Json, because an upload needs every bad
/// feature reported with its position and reason while the valid ones are kept (NTS's reader stops at the first);
/// it takes Point, Polygon and MultiPolygon. Writing is NetTopologySuite.IO.GeoJSON4STJ's.
/// </summary>
public static class GeoJson
{
    /// <summary>Reads a FeatureCollection. Features lacking <paramref name="requiredProperty"/> are rejected (null: none required).</summary>
    public static GeoJsonReadResult ReadFeatureCollection(Stream stream, string? requiredProperty = "code")
    {
        var features = new List<GeoFeature>();
        var errors = new List<GeoJsonError>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            errors.Add(new GeoJsonError(-1, "$", $"not JSON: {e.Message}"));
            return new GeoJsonReadResult(features, errors);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !IsString(root, "type", "FeatureCollection"))
                errors.Add(new GeoJsonError(-1, "type", "not a FeatureCollection"));
            else if (!root.TryGetProperty("features", out var array) || array.ValueKind != JsonValueKind.Array)
                errors.Add(new GeoJsonError(-1, "features", "missing or not an array"));
            else
            {
                var index = 0;
                foreach (var element in array.EnumerateArray())
                {
                    var feature = ReadFeature(element, index, requiredProperty, errors);
                    if (feature is not null) features.Add(feature);
                    index++;
                }
            }
        }
        return new GeoJsonReadResult(features, errors);
    }

    private static GeoFeature? ReadFeature(JsonElement element, int index, string? requiredProperty, List<GeoJsonError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new GeoJsonError(index, "", "feature is not an object"));
            return null;
        }
        if (!IsString(element, "type", "Feature"))
        {
            errors.Add(new GeoJsonError(index, "type", "type is not \"Feature\""));
            return null;
        }
        var before = errors.Count;

        Geometry? geometry = null;
        if (!element.TryGetProperty("geometry", out var geometryElement) || geometryElement.ValueKind != JsonValueKind.Object)
            errors.Add(new GeoJsonError(index, "geometry", "missing geometry"));
        else
        {
            try
            {
                geometry = ReadGeometry(geometryElement);
            }
            catch (GeometryFormatException e)
            {
                errors.Add(new GeoJsonError(index, e.Field, e.Message));
            }
        }

        Dictionary<string, JsonNode?> properties = [];
        if (element.TryGetProperty("properties", out var propertiesElement))
        {
            if (propertiesElement.ValueKind == JsonValueKind.Object)
                properties = propertiesElement.Deserialize<Dictionary<string, JsonNode?>>() ?? [];
            else if (propertiesElement.ValueKind != JsonValueKind.Null)
                errors.Add(new GeoJsonError(index, "properties", "not an object"));
        }
        var id = element.TryGetProperty("id", out var idElement) ? idElement.ValueKind switch
        {
            JsonValueKind.String => idElement.GetString(),
            JsonValueKind.Number => idElement.GetRawText(),
            _ => null,
        } : null;

        var feature = geometry is null ? null : new GeoFeature(geometry, properties, id);
        if (requiredProperty is not null && errors.Count == before && string.IsNullOrWhiteSpace(feature?.GetString(requiredProperty)))
            errors.Add(new GeoJsonError(index, "properties." + requiredProperty, $"missing {requiredProperty}"));
        return errors.Count == before ? feature : null;
    }

    private static Geometry ReadGeometry(JsonElement element)
    {
        if (!element.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            throw new GeometryFormatException("geometry.type", "missing geometry type");
        if (!element.TryGetProperty("coordinates", out var coordinates) || coordinates.ValueKind != JsonValueKind.Array)
            throw new GeometryFormatException("geometry.coordinates", "missing coordinates");
        const string path = "geometry.coordinates";
        var factory = GeoFactory.Wgs84;
        var type = typeElement.GetString();
        Geometry geometry = type switch
        {
            "Point" => factory.CreatePoint(ReadPosition(coordinates, path)),
            "Polygon" => ReadPolygon(coordinates, path),
            "MultiPolygon" => factory.CreateMultiPolygon(
                coordinates.EnumerateArray().Select((p, i) => ReadPolygon(p, $"{path}[{i}]")).ToArray()),
            _ => throw new GeometryFormatException("geometry.type", $"unsupported geometry type '{type}'"),
        };
        if (geometry.IsEmpty) throw new GeometryFormatException("geometry.coordinates", "bad geometry: empty");
        if (geometry is not Point)
        {
            // Self-intersections and the like make point-in-polygon answers meaningless, so reject them here.
            var validation = new IsValidOp(geometry).ValidationError;
            if (validation is not null)
                throw new GeometryFormatException("geometry", $"bad geometry: {validation.Message} at {validation.Coordinate}");
        }
        return geometry;
    }

    private static Polygon ReadPolygon(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
            throw new GeometryFormatException(path, "bad geometry: a polygon needs at least one ring");
        var rings = element.EnumerateArray().Select((r, i) => ReadRing(r, $"{path}[{i}]")).ToArray();
        return GeoFactory.Wgs84.CreatePolygon(rings[0], rings[1..]);
    }

    private static LinearRing ReadRing(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new GeometryFormatException(path, "bad geometry: ring is not an array");
        var positions = element.EnumerateArray().Select((p, i) => ReadPosition(p, $"{path}[{i}]")).ToArray();
        if (positions.Length < 4)
            throw new GeometryFormatException(path, $"bad geometry: ring has {positions.Length} positions, needs at least 4");
        if (!positions[0].Equals2D(positions[^1]))
            throw new GeometryFormatException(path, "unclosed ring: first and last positions differ");
        return GeoFactory.Wgs84.CreateLinearRing(positions);
    }

    private static Coordinate ReadPosition(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() < 2)
            throw new GeometryFormatException(path, "bad geometry: a position needs [lon, lat]");
        var lon = ReadNumber(element[0], path + "[0]");
        var lat = ReadNumber(element[1], path + "[1]");
        if (lon is < -180 or > 180 || lat is < -90 or > 90)
            throw new GeometryFormatException(path, string.Create(CultureInfo.InvariantCulture, $"coordinate out of range: [{lon}, {lat}] (expected [lon, lat] in degrees)"));
        return new Coordinate(lon, lat);
    }

    private static double ReadNumber(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && double.IsFinite(value)
            ? value
            : throw new GeometryFormatException(path, $"non-numeric coordinate {element.GetRawText()}");

    private static bool IsString(JsonElement element, string property, string expected) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);

    // The library writes what the reader accepts: RFC 7946 members in the usual order, rings as given, no bbox.
    private static JsonSerializerOptions WriterOptions(bool indented) => new()
    {
        WriteIndented = indented,
        // Keep Chinese names readable in the file instead of \uXXXX escapes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new GeoJsonConverterFactory(GeoFactory.Wgs84, false, IdProperty, RingOrientationOption.DoNotModify) },
    };

    // The converter moves this attribute to the feature's "id"; a name no real property uses.
    private static readonly string IdProperty = GeoJsonConverterFactory.DefaultIdPropertyName;

    private static readonly JsonSerializerOptions Compact = WriterOptions(false), Indented = WriterOptions(true);

    /// <summary>Writes a FeatureCollection (UTF-8, no BOM). Coordinates use the shortest round-trip form.</summary>
    public static void WriteFeatureCollection(Stream stream, IEnumerable<GeoFeature> features, bool indented = false)
    {
        var collection = new FeatureCollection();
        foreach (var feature in features)
        {
            var attributes = new AttributesTable();
            if (feature.Id is not null) attributes.Add(IdProperty, feature.Id);
            foreach (var (name, value) in feature.Properties) attributes.Add(name, value);
            collection.Add(new Feature(feature.Geometry, attributes));
        }
        JsonSerializer.Serialize(stream, collection, indented ? Indented : Compact);
    }

    /// <summary>Serialises one feature collection to a string (tests, small exports).</summary>
    public static string ToJson(IEnumerable<GeoFeature> features, bool indented = false)
    {
        using var buffer = new MemoryStream();
        WriteFeatureCollection(buffer, features, indented);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One geometry as GeoJSON, as the reference tables store it.</summary>
    public static string WriteGeometry(Geometry geometry) => JsonSerializer.Serialize(geometry, Compact);

    /// <summary>A stored geometry (validated when it was imported) back into a lon/lat geometry, SRID 4326.</summary>
    public static Geometry ReadGeometry(string json) =>
        JsonSerializer.Deserialize<Geometry>(json, Compact) ?? throw new InvalidDataException("Stored geometry is null.");

    private sealed class GeometryFormatException(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }
}

public static class SyntheticGridFeatures
{
    /// <summary>GeoJSON features for everything; each carries <c>synthetic: true</c> so nobody mistakes it for survey data.</summary>
    public static IReadOnlyList<GeoFeature> ToFeatures(this SyntheticGridSet set)
    {
        var features = new List<GeoFeature>();
        foreach (var area in set.Streets.Concat(set.Communities).Prepend(set.District).OfType<DivisionArea>())
        {
            features.Add(new GeoFeature(area.Geometry, new Dictionary<string, JsonNode?>
            {
                ["code"] = area.Code,
                ["name"] = area.Name,
                ["level"] = DivisionLevels.ToText(area.Level),
                ["synthetic"] = true,
            }, area.Code));
        }
        foreach (var grid in set.Grids)
        {
            features.Add(new GeoFeature(grid.Polygon, new Dictionary<string, JsonNode?>
            {
                ["code"] = grid.Code,
                ["name"] = grid.Name,
                ["level"] = "grid",
                ["communityCode"] = grid.CommunityCode,
                ["synthetic"] = true,
            }, grid.Code));
        }
        return features;
    }
}
