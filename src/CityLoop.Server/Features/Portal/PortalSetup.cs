using Microsoft.AspNetCore.Http.HttpResults;

namespace CityLoop.Server.Features.Portal;

public static class PortalSetup
{
    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<PortalOptions>(config.GetSection("Portal"));
        services.AddSingleton<PortalLimits>();
        services.AddSingleton<PortalMap>();
        services.AddScoped<PortalService>();
        return services;
    }

    /// <summary>The portal map's outlines (public reference data: street names and shapes, nothing about cases).</summary>
    public static void MapPortalEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/portal/map/outlines", (PortalMap map, HttpResponse response) =>
        {
            response.Headers.CacheControl = "public, max-age=300";
            return Results.Text(map.OutlinesJson(), "application/geo+json", System.Text.Encoding.UTF8);
        }).AllowAnonymous().ExcludeFromDescription();
}
