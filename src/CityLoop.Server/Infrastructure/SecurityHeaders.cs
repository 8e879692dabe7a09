namespace CityLoop.Server.Infrastructure;

/// <summary>
/// Headers on every response (等保 2.0): no content sniffing, no framing, no referrer (follow-up links carry a token),
/// a Content-Security-Policy for pages that allows only this origin's scripts (the vendored SignalR client and
/// notifications.js) and styles, and a locked-down policy for everything else, so that an uploaded file or an export
/// opened in the browser can run nothing. Downloads are never cached.
/// </summary>
public static class SecurityHeaders
{
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public const string OtherPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox";

    /// <summary>The page policy, with a configured map base layer's tile server allowed as an image source.</summary>
    public static string PagePolicyWith(string? imageSource) =>
        imageSource is null ? PagePolicy : PagePolicy.Replace("img-src 'self' data:;", $"img-src 'self' data: {imageSource};");

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, string? tileSource = null)
    {
        var pagePolicy = PagePolicyWith(tileSource);
        return app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            var html = http.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true;
            h.ContentSecurityPolicy = html ? pagePolicy : OtherPolicy;
            if (h.ContentDisposition.Count > 0) h.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(http);
    });
    }
}
