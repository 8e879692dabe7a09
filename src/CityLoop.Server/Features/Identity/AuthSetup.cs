using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace CityLoop.Server.Features.Identity;

/// <summary>
/// Cookies for the UI, bearer tokens for API clients, API keys for machines; one policy scheme picks by header.
/// The key ring lives in the database so any node reads any node's cookies and tokens.
/// </summary>
public static class AuthSetup
{
    public const string Scheme = "CityLoop";
    public const string ApiPolicy = "api";

    public static IServiceCollection AddCityLoopAuth(this IServiceCollection services, IConfiguration config)
    {
        var security = config.GetSection("Security").Get<SecurityOptions>() ?? new SecurityOptions();
        services.Configure<SecurityOptions>(config.GetSection("Security"));
        services.AddSingleton<DbXmlRepository>();
        services.AddDataProtection().SetApplicationName("CityLoop");
        services.AddOptions<KeyManagementOptions>().Configure<DbXmlRepository>((o, repo) => o.XmlRepository = repo);

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, Scheme, o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.ContainsKey(ApiKeyAuthentication.Header) ? ApiKeyAuthentication.SchemeName
                : http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? BearerTokenDefaults.AuthenticationScheme
                : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/Account/Login";
                o.LogoutPath = "/Account/Logout";
                o.AccessDeniedPath = "/Account/Denied";
                o.Cookie.Name = "cityloop";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.ExpireTimeSpan = TimeSpan.FromMinutes(security.IdleTimeoutMinutes);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = ctx => ApiOr(ctx, 401);
                o.Events.OnRedirectToAccessDenied = ctx => ApiOr(ctx, 403);
            })
            .AddBearerToken(o =>
            {
                o.BearerTokenExpiration = TimeSpan.FromMinutes(security.TokenLifetimeMinutes);
                o.RefreshTokenExpiration = TimeSpan.FromHours(security.RefreshTokenHours);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, p => p.RequireAuthenticatedUser());
        services.AddScoped<Accounts>();
        services.AddScoped<Features.Admin.UserAdmin>();
        services.AddScoped<CurrentActor>();
        services.AddSingleton<UserCache>();
        services.AddHostedService<Data.ChangeListener>();
        return services;
    }

    static Task ApiOr(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
