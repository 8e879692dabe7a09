using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

public sealed record DepartmentDto(string Code, string Name, string? ParentCode, string Kind);

public static class ReferenceEndpoints
{
    public static void MapReferenceEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("Reference").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/departments", async (CityLoopDb db) =>
            await db.Departments.AsNoTracking().OrderBy(d => d.Code).Select(d => new DepartmentDto(d.Code, d.Name, d.ParentCode, d.Kind)).ToListAsync());
    }
}
