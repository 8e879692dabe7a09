using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Diagnostics;

namespace CityLoop.Server.Features.Open311;

/// <summary>
/// Every error under /open311 is written in Open311's format, whoever produced it: the Open311 handlers, the input
/// guard, the rate limiter, routing (an unknown path, a wrong method) or an unexpected exception. Open311 responses
/// are small, so the body is buffered and an RFC 7807 problem from the shared pipeline is rewritten.
/// </summary>
public static class Open311Errors
{
    public const string Prefix = "/open311";

    public static IApplicationBuilder UseOpen311Errors(this IApplicationBuilder app) => app.UseWhen(
        http => http.Request.Path.StartsWithSegments(Prefix),
        branch => branch.Use(async (http, next) =>
        {
            var format = Open311Writer.FormatOf(http.Request.Path);
            var original = http.Response.Body;
            using var buffer = new MemoryStream();
            http.Response.Body = buffer;
            try
            {
                await next();
            }
            catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
            {
                http.Response.Body = original;
                http.Response.Clear();
                var (status, errors) = Translate(http, ex);
                await Open311Writer.WriteAsync(http, status, "errors", Open311Exception.Body(errors), format);
                return;
            }
            finally
            {
                http.Response.Body = original;
            }
            var type = http.Response.ContentType ?? "";
            if (http.Response.StatusCode >= 400 && !type.StartsWith("text/xml", StringComparison.Ordinal) && !type.StartsWith("application/json", StringComparison.Ordinal))
            {
                var (status, errors) = FromProblem(http.Response.StatusCode, buffer.ToArray(), type);
                http.Response.Headers.ContentLength = null;
                await Open311Writer.WriteAsync(http, status, "errors", Open311Exception.Body(errors), format);
                return;
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(original, http.RequestAborted);
        }));

    /// <summary>The spec's HTTP statuses: 404 and 403 as they are (401 is a missing key: 403), 400 for everything else.</summary>
    public static int HttpStatus(int status) => status switch { 404 => 404, 403 or 401 => 403, _ => 400 };

    static (int, IReadOnlyList<(int, string)>) Translate(HttpContext http, Exception ex)
    {
        switch (ex)
        {
            case Open311Exception o: return (o.Status, o.Errors);
            case CaseValidationException v:
                return (400, v.Errors.SelectMany(e => e.Value.Select(m => (400, $"{e.Key}: {m}"))).ToList());
            case NotFoundException n: return (404, [(404, n.Message)]);
            case CaseForbiddenException f: return (403, [(403, f.Message)]);
            case CaseRuleException r: return (400, [(409, r.Message)]);
            case BadHttpRequestException b: return (400, [(b.StatusCode, b.Message)]);
        }
        if (DbErrors.IsTransient(ex)) return (400, [(503, "The service is busy: try again in a moment.")]);
        if (DbErrors.IsConflict(ex)) return (400, [(409, "Another request changed the same record first: try again.")]);
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Open311").LogError(ex, "Open311 request failed on {Path}", http.Request.Path);
        return (400, [(500, "General service error: the request could not be processed. Please tell the platform's operators.")]);
    }

    static (int, IReadOnlyList<(int, string)>) FromProblem(int status, byte[] body, string type)
    {
        string? text = null;
        if (type.Contains("json", StringComparison.OrdinalIgnoreCase) && body.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                    text = (doc.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null)
                        ?? (doc.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
            }
            catch (JsonException)
            {
            }
        }
        text ??= status switch
        {
            404 => "No such Open311 resource: see /open311/v2/discovery.xml.",
            405 => "This method is not allowed on this Open311 resource.",
            429 => "Too many requests: slow down and try again in a minute.",
            _ => "The request could not be processed.",
        };
        return (HttpStatus(status), [(status, text)]);
    }
}
