using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace CityLoop.Server.Infrastructure;

public sealed class RateLimitOptions
{
    public int SignInPerMinute { get; set; } = 20;
    public int IntakePerMinute { get; set; } = 600;
    public int PublicPerMinute { get; set; } = 60;
    public int Open311PerMinute { get; set; } = 600;
}

/// <summary>Sign-in and public endpoints are rate limited per client address, intake per principal; a refusal is a 429 problem.</summary>
public static class RateLimits
{
    public const string SignIn = "sign-in";
    public const string Intake = "intake";
    public const string Public = "public";
    public const string Open311 = "open311";

    public static IServiceCollection AddCityLoopRateLimits(this IServiceCollection services, IConfiguration config)
    {
        var o = config.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.OnRejected = async (ctx, ct) =>
            {
                var problems = ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = ctx.HttpContext,
                    ProblemDetails = { Status = 429, Title = "Too many requests.", Detail = "Slow down and try again in a minute.", Type = "https://cityloop.dev/problems/rate-limited" },
                });
            };
            // Sign-in attempts (the token endpoint and the sign-in page's POST; showing the page is free) per address.
            r.AddPolicy(SignIn, http => HttpMethods.IsGet(http.Request.Method) ? RateLimitPartition.GetNoLimiter("page")
                : Window("sign-in:" + Client(http), o.SignInPerMinute));
            r.AddPolicy(Public, http => Window("public:" + Client(http), o.PublicPerMinute));
            // Open311 clients are servers (FixMyStreet and the like) polling and posting for many citizens: per address, a higher budget.
            r.AddPolicy(Open311, http => Window("open311:" + Client(http), o.Open311PerMinute));
            // Intake counts per principal (the limiter runs after authentication): colleagues behind one address do not
            // share a budget, and an API key is one principal wherever it calls from.
            r.AddPolicy(Intake, http => Window("intake:" + (http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? Client(http)), o.IntakePerMinute));
        });
        return services;
    }

    static string Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    static RateLimitPartition<string> Window(string key, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, perMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
        });
}
