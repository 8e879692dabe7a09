using System.Security.Claims;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Identity;

public sealed class UnauthenticatedException() : Exception("Sign in first.");

/// <summary>
/// The actor behind the current request. People are read from the database (or from <see cref="UserCache"/>, which
/// every node empties of an account the moment it changes), so a changed role or a disabled account takes effect at
/// once on every node; API keys carry their system principal in the ticket.
/// </summary>
public sealed class CurrentActor(IHttpContextAccessor http, CityLoopDb db, TimeProvider clock, Microsoft.Extensions.Options.IOptions<SecurityOptions> security,
    UserCache? cache = null)
{
    Actor? _actor;

    /// <summary>What a signed-in person must do before anything else (change the password), once <see cref="GetAsync"/> ran.</summary>
    public PendingStep? Pending { get; private set; }

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
        var user = cache?.Get(userId);
        if (user is null)
        {
            var generation = cache?.Generation ?? 0;
            user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId);
            if (user is not null) cache?.Keep(user, generation);
        }
        if (user is null || user.Disabled) throw new UnauthenticatedException();
        if (Accounts.PasswordExpired(user, clock.GetUtcNow(), security.Value)) Pending = PendingStep.ChangePassword;
        else if (!user.TotpEnabled && TwoFactor.Required(user, security.Value)) Pending = PendingStep.EnrolSecondFactor;
        return _actor = new Actor(user.Id.ToString(), user.DisplayName, user.RoleSet(), user.DepartmentCode, PlatformCode: user.PlatformCode);
    }
}

public enum PendingStep { ChangePassword, EnrolSecondFactor }

/// <summary>
/// A person who must change their password reaches nothing else: not the desk pages (they are sent to the password
/// page), not the API (403 with type password-change-required), whatever token or cookie they hold.
/// </summary>
public static class PendingStepGate
{
    public static IApplicationBuilder UsePendingStepGate(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.User.Identity?.IsAuthenticated == true && !http.User.HasClaim(c => c.Type == ApiKeyAuthentication.PrincipalClaim)
            && !Allowed(http.Request.Path))
        {
            var current = http.RequestServices.GetRequiredService<CurrentActor>();
            try
            {
                await current.GetAsync();
            }
            catch (UnauthenticatedException)
            {
                await next();
                return;
            }
            // Until the pending step is done, the API answers 403 with what to do and the desk sends the user to its page.
            var step = current.Pending switch
            {
                PendingStep.EnrolSecondFactor => ("Set up a second factor first.", "second-factor-required",
                    "This account's role needs a second factor: POST /api/v1/auth/totp/enrol, then /api/v1/auth/totp/confirm with a code.", "/Account/TwoFactor"),
                PendingStep.ChangePassword => ("Change your password first.", "password-change-required",
                    "This account must change its password (POST /api/v1/auth/password) before anything else.", "/Account/Password"),
                _ => default((string Title, string Type, string Detail, string Page)?),
            };
            if (step is var (title, type, detail, page))
            {
                if (http.Request.Path.StartsWithSegments("/api") || http.Request.Path.StartsWithSegments("/hubs"))
                {
                    http.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = http,
                        ProblemDetails = { Status = 403, Title = title, Type = "https://cityloop.dev/problems/" + type, Detail = detail },
                    });
                }
                else http.Response.Redirect(page + "?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
                return;
            }
        }
        await next();
    });

    static bool Allowed(PathString path) =>
        path.StartsWithSegments("/Account") || path.StartsWithSegments("/api/v1/auth") || path.StartsWithSegments("/health")
        || path.StartsWithSegments("/css") || path.StartsWithSegments("/js") || path.StartsWithSegments("/lib") || path.StartsWithSegments("/favicon.ico");
}
