using CityLoop.Server.Infrastructure;

namespace CityLoop.Server.Features.Identity;

/// <summary>The scope an API key needs for an endpoint, declared as endpoint metadata.</summary>
public sealed record ApiScope(string Name)
{
    public const string CasesCreate = "cases:create";
    public const string CasesRead = "cases:read";
    public const string CasesAct = "cases:act";
    public const string CasesExport = "cases:export";
    public const string ReferenceRead = "reference:read";
    /// <summary>The telephone system reports calls (POST /api/v1/calls).</summary>
    public const string CallsWrite = "calls:write";

    /// <summary>An Open311 client: creates requests and reads its own through /open311/v2 (the key goes in api_key).</summary>
    public const string Open311 = "open311";

    /// <summary>A video platform or AI detector reports alerts (POST /api/v1/camera-alerts), acting as the camera channel.</summary>
    public const string CameraAlerts = "camera:alerts";

    public static readonly string[] All = [CasesCreate, CasesRead, CasesAct, CasesExport, ReferenceRead, CallsWrite, Open311, CameraAlerts];
}

public static class ApiScopes
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiScope(scope));

    /// <summary>
    /// Deny by default: an API key reaches an endpoint only when the endpoint declares a scope and the key holds it.
    /// People (cookies, bearer tokens) are governed by their roles instead.
    /// </summary>
    public static IApplicationBuilder UseApiScopes(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.User.HasClaim(c => c.Type == ApiKeyAuthentication.PrincipalClaim))
        {
            var scope = http.GetEndpoint()?.Metadata.GetMetadata<ApiScope>()?.Name;
            if (scope is null || !http.User.HasClaim(ApiKeyAuthentication.ScopeClaim, scope))
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = 403, Title = "Not allowed.", Type = "https://cityloop.dev/problems/forbidden",
                        Detail = scope is null ? "API keys cannot use this endpoint." : $"This API key lacks the scope '{scope}'.",
                    },
                });
                return;
            }
        }
        await next();
    });
}
