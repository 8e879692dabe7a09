using System.Security.Claims;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Identity;

public sealed class UnauthenticatedException() : Exception("Sign in first.");

/// <summary>
/// The actor behind the current request. People are re-read from the database on every request, so a changed role
/// or a disabled account takes effect at once on every node; API keys carry their system principal in the ticket.
/// </summary>
public sealed class CurrentActor(IHttpContextAccessor http, CityLoopDb db)
{
    Actor? _actor;

    public async Task<Actor> GetAsync()
    {
        if (_actor is not null) return _actor;
        var principal = http.HttpContext?.User;
        if (principal?.Identity?.IsAuthenticated != true) throw new UnauthenticatedException();
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new UnauthenticatedException();
        if (principal.HasClaim(c => c.Type == ApiKeyAuthentication.PrincipalClaim))
        {
            var roles = principal.FindAll(ClaimTypes.Role).Select(c => Roles.TryParse(c.Value, out var r) ? r : (Role?)null).OfType<Role>().ToHashSet();
            return _actor = new Actor(id, principal.FindFirstValue(ClaimTypes.Name) ?? id, roles, null, IsSystem: true);
        }
        if (!Guid.TryParse(id, out var userId)) throw new UnauthenticatedException();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId);
        if (user is null || user.Disabled) throw new UnauthenticatedException();
        return _actor = new Actor(user.Id.ToString(), user.DisplayName, user.RoleSet(), user.DepartmentCode);
    }
}
