using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace CityLoop.Server.Features.Open311;

/// <summary>
/// One response tree written as XML or as JSON by the Spark convention the spec names: a list is a wrapper element
/// of repeated items in XML and a plain array in JSON, so the two formats cannot say different things.
/// </summary>
public abstract record Node
{
    public static Node Text(string? value) => new TextNode(value);
    public static Node Number(double? value) => new NumberNode(value);
    public static Node Integer(long? value) => new IntegerNode(value);
    public static Node Bool(bool value) => new BoolNode(value);
    public static Node Time(DateTimeOffset? value, TimeZoneInfo zone) => new TextNode(value is { } v ? W3(v, zone) : null);
    public static ObjectNode Object(params (string Name, Node Value)[] fields) => new(fields.ToList());
    public static ListNode List(string item, IEnumerable<Node> items) => new(item, items.ToList());

    /// <summary>ISO 8601 with the platform's offset, as the spec's w3 note wants (<c>2026-03-02T09:00:00+08:00</c>).</summary>
    public static string W3(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}

public sealed record TextNode(string? Value) : Node;
public sealed record NumberNode(double? Value) : Node;
public sealed record IntegerNode(long? Value) : Node;
public sealed record BoolNode(bool Value) : Node;
public sealed record ObjectNode(List<(string Name, Node Value)> Fields) : Node
{
    public ObjectNode Add(string name, Node value)
    {
        Fields.Add((name, value));
        return this;
    }
}
public sealed record ListNode(string Item, List<Node> Items) : Node;

public enum Open311Format { Xml, Json }

public static class Open311Writer
{
    public const string XmlType = "text/xml; charset=utf-8";
    public const string JsonType = "application/json; charset=utf-8";

    public static bool TryFormat(string? suffix, out Open311Format format)
    {
        format = Open311Format.Xml;
        if (string.Equals(suffix, "xml", StringComparison.Ordinal)) return true;
        if (!string.Equals(suffix, "json", StringComparison.Ordinal)) return false;
        format = Open311Format.Json;
        return true;
    }

    /// <summary>The format of a path under /open311: .json if it ends so, else XML (the required format).</summary>
    public static Open311Format FormatOf(PathString path) =>
        path.Value?.EndsWith(".json", StringComparison.OrdinalIgnoreCase) == true ? Open311Format.Json : Open311Format.Xml;

    public static byte[] Render(string root, Node node, Open311Format format) => format == Open311Format.Json ? Json(node) : Xml(root, node);

    static byte[] Xml(string root, Node node)
    {
        using var ms = new MemoryStream();
        // The spec asks for encoding="UTF-8" in the declaration; XmlWriter would spell it in lower case.
        ms.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"u8);
        using (var w = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false, OmitXmlDeclaration = true, ConformanceLevel = ConformanceLevel.Document }))
            Element(w, root, node);
        return ms.ToArray();
    }

    static void Element(XmlWriter w, string name, Node node)
    {
        w.WriteStartElement(name);
        switch (node)
        {
            case TextNode t when t.Value is not null: w.WriteString(XmlSafe(t.Value)); break;
            case NumberNode { Value: { } n }: w.WriteString(n.ToString("R", CultureInfo.InvariantCulture)); break;
            case IntegerNode { Value: { } i }: w.WriteString(i.ToString(CultureInfo.InvariantCulture)); break;
            case BoolNode b: w.WriteString(b.Value ? "true" : "false"); break;
            case ObjectNode o:
                foreach (var (n, v) in o.Fields) Element(w, n, v);
                break;
            case ListNode l:
                foreach (var item in l.Items) Element(w, l.Item, item);
                break;
        }
        w.WriteEndElement();
    }

    /// <summary>XML 1.0 cannot carry most control characters; stored text is checked on the way in, this is the last guard.</summary>
    static string XmlSafe(string s) => s.Any(ch => ch < 0x20 && ch is not ('\t' or '\n' or '\r'))
        ? new string(s.Where(ch => ch >= 0x20 || ch is '\t' or '\n' or '\r').ToArray()) : s;

    static byte[] Json(Node node)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Value(w, node);
        return ms.ToArray();
    }

    static void Value(Utf8JsonWriter w, Node node)
    {
        switch (node)
        {
            case TextNode t:
                if (t.Value is null) w.WriteNullValue(); else w.WriteStringValue(t.Value);
                break;
            case NumberNode n:
                if (n.Value is { } d) w.WriteNumberValue(d); else w.WriteNullValue();
                break;
            case IntegerNode i:
                if (i.Value is { } n64) w.WriteNumberValue(n64); else w.WriteNullValue();
                break;
            case BoolNode b: w.WriteBooleanValue(b.Value); break;
            case ObjectNode o:
                w.WriteStartObject();
                foreach (var (n, v) in o.Fields)
                {
                    w.WritePropertyName(n);
                    Value(w, v);
                }
                w.WriteEndObject();
                break;
            case ListNode l:
                w.WriteStartArray();
                foreach (var item in l.Items) Value(w, item);
                w.WriteEndArray();
                break;
        }
    }

    public static Task WriteAsync(HttpContext http, int status, string root, Node node, Open311Format format)
    {
        var bytes = Render(root, node, format);
        http.Response.StatusCode = status;
        http.Response.ContentType = format == Open311Format.Json ? JsonType : XmlType;
        http.Response.ContentLength = bytes.Length;
        return http.Response.Body.WriteAsync(bytes).AsTask();
    }
}

/// <summary>An Open311 answer: a root element name and the tree under it.</summary>
public sealed class Open311Result(string root, Node node, Open311Format format, int status = 200) : IResult
{
    public Task ExecuteAsync(HttpContext http) => Open311Writer.WriteAsync(http, status, root, node, format);
}

/// <summary>
/// An error in Open311's own shape: HTTP 404 for what does not exist, 403 for a missing or wrong api_key, 400 for the
/// rest; the body lists {code, description}, where the code may be more specific than the HTTP status.
/// </summary>
public sealed class Open311Exception(int status, IReadOnlyList<(int Code, string Description)> errors) : Exception(errors.FirstOrDefault().Description)
{
    public int Status { get; } = status;
    public IReadOnlyList<(int Code, string Description)> Errors { get; } = errors;

    public static Open311Exception BadRequest(string description) => new(400, [(400, description)]);
    public static Open311Exception NotFound(string description) => new(404, [(404, description)]);
    public static Open311Exception Forbidden(string description) => new(403, [(403, description)]);

    public static Node Body(IEnumerable<(int Code, string Description)> errors) =>
        Node.List("error", errors.Select(e => (Node)Node.Object(("code", Node.Integer(e.Code)), ("description", Node.Text(e.Description)))));
}
