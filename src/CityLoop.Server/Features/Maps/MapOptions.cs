namespace CityLoop.Server.Features.Maps;

/// <summary>
/// The base layer under the platform's own map layers: none by default (no tile server is reachable from every
/// deployment). A tile URL template and its datum — WGS-84, or GCJ-02 as most Chinese tile services use, in which case
/// the browser shifts the platform's WGS-84 coordinates for display (wwwroot/js/map.js).
/// </summary>
public sealed class MapOptions
{
    /// <summary>A Leaflet tile URL template such as https://{s}.tiles.example.cn/{z}/{x}/{y}.png; empty for none.</summary>
    public string? BaseLayerUrl { get; set; }
    /// <summary><c>wgs84</c> (default) or <c>gcj02</c>.</summary>
    public string BaseLayerDatum { get; set; } = "wgs84";
    public string? Attribution { get; set; }
    public string? Subdomains { get; set; }
    public int MaxZoom { get; set; } = 19;

    public string? BaseUrl => string.IsNullOrWhiteSpace(BaseLayerUrl) ? null : BaseLayerUrl.Trim();

    public string Datum => BaseLayerDatum.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "") switch
    {
        "gcj02" => "gcj02",
        "wgs84" or "" => "wgs84",
        var other => throw new InvalidOperationException($"Map:BaseLayerDatum is '{other}': use wgs84 or gcj02."),
    };

    /// <summary>The tile server's origin for the pages' Content-Security-Policy (img-src), with {s} as a wildcard.</summary>
    public string? TileSource
    {
        get
        {
            if (BaseUrl is not { } url) return null;
            var scheme = url.IndexOf("://", StringComparison.Ordinal);
            if (scheme <= 0) throw new InvalidOperationException("Map:BaseLayerUrl must be an absolute http(s) URL template.");
            var end = url.IndexOf('/', scheme + 3);
            var origin = end < 0 ? url : url[..end];
            origin = origin.Replace("{s}", "*");
            if (origin.Contains('{') || origin.Contains(' ') || origin.Contains(';') || origin.Contains('\''))
                throw new InvalidOperationException("Map:BaseLayerUrl: only {s} may vary in the host.");
            return origin;
        }
    }
}
