using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityLoop.Server.Features.Screen;

public static class ScreenEndpoints
{
    public static void MapScreenEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("Screen").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/screen", Screen).WithName("GetWallScreen");
        g.MapGet("/dashboard", Dashboard).WithName("GetDashboard");
    }

    /// <summary>The wall screen's figures for the whole platform.</summary>
    static async Task<Ok<ScreenSnapshotDto>> Screen(CurrentActor current, ScreenQueries queries, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        ScreenQueries.AuthorizeScreen(actor);
        return TypedResults.Ok(await queries.SnapshotAsync(null, ct, actor.PlatformCode));
    }

    /// <summary>The signed-in person's dashboard: department staff their department's figures, the centre's roles the city's.</summary>
    static async Task<Ok<ScreenSnapshotDto>> Dashboard(CurrentActor current, ScreenQueries queries, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        return TypedResults.Ok(await queries.SnapshotAsync(DashboardScope(actor), ct, actor.PlatformCode));
    }

    /// <summary>Whose figures a dashboard shows: null for the whole platform, else the department's code.</summary>
    public static string? DashboardScope(Actor actor)
    {
        if (actor.Roles.Any(r => r is Role.Supervisor or Role.ShiftLeader or Role.Dispatcher or Role.HotlineAgent or Role.IntakeOperator))
            return null;
        if (actor.Roles.Any(Roles.DepartmentBound.Contains) && actor.DepartmentCode is { } dept) return dept;
        throw new CaseForbiddenException("Dashboards are for the command centre's staff and the departments.");
    }
}
