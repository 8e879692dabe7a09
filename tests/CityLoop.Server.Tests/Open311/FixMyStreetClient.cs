using System.Xml.Linq;

namespace CityLoop.Server.Tests.Open311;

/// <summary>
/// An Open311 client that reads responses the way FixMyStreet's does (perllib/Open311.pm, mysociety/fixmystreet):
/// XML only, parsed like XML::Simple with ForceArray and GroupTags on service, attribute, value, request, error,
/// request_update and group, no key attributes, empty elements as undef; a POST that answers with a token is
/// followed by polling tokens/{token}.xml; a failed call's error is read from the &lt;errors&gt; body.
/// </summary>
public sealed class FixMyStreetClient(HttpClient http, string endpoint, string? apiKey, string? jurisdiction = null)
{
    static readonly Dictionary<string, string> GroupTags = new()
    {
        ["services"] = "service",
        ["attributes"] = "attribute",
        ["values"] = "value",
        ["service_requests"] = "request",
        ["errors"] = "error",
        ["service_request_updates"] = "request_update",
        ["groups"] = "group",
    };

    public string Error { get; private set; } = "";
    public bool Success { get; private set; }
    public int PollingMaxTries { get; init; } = 5;

    /// <summary>XML::Simple's reading: the root element dropped, elements as a hash, forced arrays, group tags folded.</summary>
    public static Dictionary<string, object?>? Parse(string xml)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Parse(xml);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
        return Simplify(doc.Root!) as Dictionary<string, object?> ?? [];
    }

    static object? Simplify(XElement e)
    {
        if (!e.HasElements && !e.HasAttributes) return e.Value.Length == 0 ? null : e.Value;
        var hash = new Dictionary<string, object?>();
        foreach (var child in e.Elements())
        {
            var name = child.Name.LocalName;
            object? value = Simplify(child);
            // GroupTags: <attributes><attribute/>…</attributes> becomes attributes => [ … ].
            if (GroupTags.TryGetValue(name, out var inner) && value is Dictionary<string, object?> group && group.Count == 1 && group.TryGetValue(inner, out var items))
                value = items;
            if (GroupTags.ContainsValue(name))
            {
                if (!hash.TryGetValue(name, out var list) || list is not List<object?>) hash[name] = list = new List<object?>();
                ((List<object?>)list!).Add(value);
            }
            else if (hash.TryGetValue(name, out var existing))
            {
                if (existing is List<object?> many) many.Add(value);
                else hash[name] = new List<object?> { existing, value };
            }
            else hash[name] = value;
        }
        return hash;
    }

    async Task<string?> RequestAsync(HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var list = parameters.ToList();
        if (jurisdiction is not null) list.Add(new("jurisdiction_id", jurisdiction));
        // FixMyStreet sends api_key only on POST (and explicitly on servicerequestupdates).
        if (method == HttpMethod.Post && apiKey is not null) list.Add(new("api_key", apiKey));
        HttpResponseMessage response;
        var url = endpoint.TrimEnd('/') + "/" + path;
        if (method == HttpMethod.Get)
        {
            var query = string.Join("&", list.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
            response = await http.GetAsync(query.Length > 0 ? url + "?" + query : url);
        }
        else response = await http.PostAsync(url, new FormUrlEncodedContent(list));
        var body = await response.Content.ReadAsStringAsync();
        Success = response.IsSuccessStatusCode;
        if (Success) return body;
        Error = $"request failed: {(int)response.StatusCode}\nerror: {ProcessError(body)}";
        return null;
    }

    static string ProcessError(string body)
    {
        var obj = Parse(body);
        var msg = "";
        if (obj is not null && obj.TryGetValue("error", out var errors) && errors is List<object?> list)
            foreach (var e in list.OfType<Dictionary<string, object?>>())
                msg += $"{e.GetValueOrDefault("code") ?? "???"}: {e.GetValueOrDefault("description") ?? "unknown error"}\n";
        return msg.Length > 0 ? msg : "unknown error";
    }

    public async Task<Dictionary<string, object?>?> GetServiceListAsync()
    {
        var xml = await RequestAsync(HttpMethod.Get, "services.xml", []);
        return xml is null ? null : Parse(xml);
    }

    public async Task<Dictionary<string, object?>?> GetServiceMetaInfoAsync(string code)
    {
        var xml = await RequestAsync(HttpMethod.Get, $"services/{code}.xml", []);
        return xml is null ? null : Parse(xml);
    }

    /// <summary>The service request id, polling the token where the server answers with one; null on failure.</summary>
    public async Task<string?> SendServiceRequestAsync(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var xml = await RequestAsync(HttpMethod.Post, "requests.xml", parameters);
        if (xml is null || Parse(xml) is not { } obj || obj.GetValueOrDefault("request") is not List<object?> { Count: > 0 } requests
            || requests[0] is not Dictionary<string, object?> first) return null;
        if (first.GetValueOrDefault("service_request_id") is string id) return id;
        if (first.GetValueOrDefault("token") is string token)
        {
            for (var i = 0; i < PollingMaxTries; i++)
                if (await GetServiceRequestIdFromTokenAsync(token) is { } found) return found;
            Error += $"Timed out while trying to fetch service_request_id for token {token}";
        }
        return null;
    }

    public async Task<string?> GetServiceRequestIdFromTokenAsync(string token)
    {
        var xml = await RequestAsync(HttpMethod.Get, $"tokens/{token}.xml", []);
        return xml is not null && Parse(xml) is { } obj && obj.GetValueOrDefault("request") is List<object?> { Count: > 0 } list
            && list[0] is Dictionary<string, object?> r && r.GetValueOrDefault("service_request_id") is string id ? id : null;
    }

    public async Task<List<Dictionary<string, object?>>?> GetServiceRequestsAsync(IEnumerable<KeyValuePair<string, string>>? args = null)
    {
        var xml = await RequestAsync(HttpMethod.Get, "requests.xml", args ?? []);
        return xml is null ? null : Items(Parse(xml), "request");
    }

    public async Task<List<Dictionary<string, object?>>?> GetServiceRequestUpdatesAsync(string? start = null, string? end = null)
    {
        var p = new List<KeyValuePair<string, string>> { new("api_key", apiKey ?? "") };
        if (start is not null || end is not null)
        {
            if (start is null || end is null) return null;
            p.Add(new("start_date", start));
            p.Add(new("end_date", end));
        }
        var xml = await RequestAsync(HttpMethod.Get, "servicerequestupdates.xml", p);
        return xml is null ? null : Items(Parse(xml), "request_update");
    }

    static List<Dictionary<string, object?>>? Items(Dictionary<string, object?>? obj, string name) =>
        obj is null ? null : obj.GetValueOrDefault(name) is List<object?> list ? list.OfType<Dictionary<string, object?>>().ToList() : [];
}
