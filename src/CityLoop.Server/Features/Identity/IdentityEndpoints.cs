using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Admin;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Identity;

public sealed record TokenRequest(string? UserName, string? Password, string? Otp = null);
public sealed record TotpEnrolmentDto(string Secret, string OtpauthUri);
public sealed record TotpConfirmRequest(string? Code);
public sealed record ResetSecondFactorRequest(string? Reason);
public sealed record RefreshRequest(string? RefreshToken);
public sealed record MeDto(string Id, string UserName, string DisplayName, IReadOnlyList<string> Roles, string? Department, bool PasswordExpired);
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);
public sealed record CreateUserRequest(string? UserName, string? DisplayName, string? Password, string? Department, string? Platform = null, string? Organisation = null);
public sealed record SetRolesRequest(IReadOnlyList<string>? Roles, string? Department);
/// <summary>The organisation a person works for when not the centre's own staff (an inspector's collection company, 采集公司); empty clears it.</summary>
public sealed record SetOrganisationRequest(string? Organisation);
public sealed record UserDto(Guid Id, string UserName, string DisplayName, IReadOnlyList<string> Roles, string? Department, bool Disabled, bool Locked)
{
    public bool SecondFactor { get; init; }
    public bool MustChangePassword { get; init; }
    /// <summary>The platform the person works for: the root's code or a sub-centre's (decision 026).</summary>
    public string? Platform { get; init; }
    /// <summary>The organisation the person works for (an inspector's collection company), or null for the centre's own staff.</summary>
    public string? Organisation { get; init; }
}
public sealed record CreateApiKeyRequest(string? Name, string? Role, IReadOnlyList<string>? Scopes);
public sealed record ApiKeyCreatedDto(Guid Id, string Name, string Role, IReadOnlyList<string> Scopes, string Key);
public sealed record AuditDto(long Id, DateTimeOffset At, string ActorId, string ActorName, string Action, string? Target, string Result, string? Ip, string? Detail);

/// <summary>
/// Tokens, the current user, and the administration split three ways (三权分立): the system administrator manages
/// accounts, the security administrator grants roles and keys, the audit administrator reads the trail. Nobody
/// changes their own roles and nobody can edit or delete the trail.
/// </summary>
public static class IdentityEndpoints
{
    public static readonly string[] Scopes = ApiScope.All;

    public static void MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Identity");
        auth.MapPost("/token", Token).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn);
        auth.MapPost("/totp/enrol", async (CurrentActor current, CityLoopDb db) =>
        {
            var actor = await current.GetAsync();
            if (actor.IsSystem) throw new CaseForbiddenException("System principals have no second factor.");
            var secret = await TwoFactor.BeginAsync(db, Guid.Parse(actor.Id));
            var name = await db.Users.Where(u => u.Id == Guid.Parse(actor.Id)).Select(u => u.UserName).FirstAsync();
            return TypedResults.Ok(new TotpEnrolmentDto(secret, TwoFactor.Uri(secret, name)));
        }).RequireAuthorization(AuthSetup.ApiPolicy).RequireRateLimiting(RateLimits.SignIn);
        auth.MapPost("/totp/confirm", async Task<Results<NoContent, ProblemHttpResult>> (TotpConfirmRequest body, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock) =>
        {
            var actor = await current.GetAsync();
            if (actor.IsSystem) throw new CaseForbiddenException("System principals have no second factor.");
            return await TwoFactor.ConfirmAsync(db, audit, Guid.Parse(actor.Id), body.Code, clock.GetUtcNow())
                ? TypedResults.NoContent()
                : TypedResults.Problem(title: "The code is wrong.", detail: "Enter the current six-digit code from the authenticator app.", statusCode: 422, type: "https://cityloop.dev/problems/validation");
        }).RequireAuthorization(AuthSetup.ApiPolicy).RequireRateLimiting(RateLimits.SignIn);
        auth.MapPost("/refresh", Refresh).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn);
        auth.MapGet("/me", Me).RequireAuthorization(AuthSetup.ApiPolicy);
        auth.MapPost("/password", ChangePassword).RequireAuthorization(AuthSetup.ApiPolicy).RequireRateLimiting(RateLimits.SignIn);

        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(AuthSetup.ApiPolicy);
        admin.MapGet("/users", ListUsers);
        admin.MapPost("/users", CreateUser);
        admin.MapPost("/users/{id:guid}/disable", (Guid id, CurrentActor a, UserAdmin u) => SetDisabled(id, true, a, u));
        admin.MapPost("/users/{id:guid}/enable", (Guid id, CurrentActor a, UserAdmin u) => SetDisabled(id, false, a, u));
        admin.MapPut("/users/{id:guid}/roles", SetRoles);
        admin.MapPut("/users/{id:guid}/organisation", SetOrganisation);
        admin.MapPost("/users/{id:guid}/unlock", Unlock);
        admin.MapPost("/users/{id:guid}/second-factor/reset", ResetSecondFactor);
        admin.MapPost("/api-keys", CreateApiKey);
        admin.MapGet("/api-keys", ListApiKeys);
        admin.MapPost("/api-keys/{id:guid}/revoke", RevokeApiKey);
        admin.MapGet("/audit", ReadAudit);
    }

    static async Task<Results<Ok<AccessTokenResponseShape>, SignInHttpResult, ProblemHttpResult>> Token(TokenRequest? body, Accounts accounts)
    {
        var result = await accounts.SignInAsync(body?.UserName, body?.Password, "api-token", body?.Otp);
        if (result.Outcome == SignInOutcome.SecondFactorRequired)
            return TypedResults.Problem(title: "A second factor is needed.", detail: "Send the six-digit code from the authenticator app as 'otp'.", statusCode: 401,
                type: "https://cityloop.dev/problems/otp-required");
        if (result.Outcome != SignInOutcome.Success)
            return TypedResults.Problem(title: "Sign-in failed.", detail: result.Message, statusCode: result.Outcome == SignInOutcome.LockedOut ? 423 : 401,
                type: "https://cityloop.dev/problems/sign-in-failed");
        return TypedResults.SignIn(Accounts.Principal(result.User!, BearerTokenDefaults.AuthenticationScheme), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// A new access token for a refresh token, while the account is still usable: not disabled, not locked, and its
    /// password not changed since the refresh token was issued.
    /// </summary>
    static async Task<Results<SignInHttpResult, ProblemHttpResult>> Refresh(RefreshRequest? body, Microsoft.Extensions.Options.IOptionsMonitor<BearerTokenOptions> bearer,
        CityLoopDb db, TimeProvider clock, Audit audit)
    {
        var now = clock.GetUtcNow();
        var options = bearer.Get(BearerTokenDefaults.AuthenticationScheme);
        var protector = options.RefreshTokenProtector;
        var ticket = string.IsNullOrEmpty(body?.RefreshToken) || body.RefreshToken.Length > 8192 ? null : protector.Unprotect(body.RefreshToken);
        User? user = null;
        if (ticket?.Properties.ExpiresUtc is { } expires && now < expires
            && Guid.TryParse(ticket.Principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var id))
            user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id);
        // The framework stamps only the expiry on a refresh token: its issue instant follows from the configured lifetime.
        if (user is null || user.Disabled || user.LockedUntil > now || ticket!.Properties.ExpiresUtc!.Value - options.RefreshTokenExpiration < user.PasswordChangedAt)
        {
            audit.Add(user?.Id.ToString() ?? "anonymous", user?.UserName ?? "", "token-refresh", "api-token", "failure");
            await db.SaveChangesAsync();
            return TypedResults.Problem(title: "The refresh token is not valid.", detail: "Sign in again.", statusCode: 401, type: "https://cityloop.dev/problems/sign-in-failed");
        }
        return TypedResults.SignIn(Accounts.Principal(user, BearerTokenDefaults.AuthenticationScheme), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    /// <summary>Documentation shape of the bearer-token response written by the framework.</summary>
    public sealed record AccessTokenResponseShape(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);

    static async Task<Ok<MeDto>> Me(CurrentActor current, CityLoopDb db, Accounts accounts)
    {
        var actor = await current.GetAsync();
        if (actor.IsSystem) return TypedResults.Ok(new MeDto(actor.Id, actor.Name, actor.Name, actor.Roles.Select(r => r.ToKebab()).ToList(), null, false));
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == Guid.Parse(actor.Id));
        return TypedResults.Ok(new MeDto(actor.Id, user.UserName, user.DisplayName, actor.Roles.Select(r => r.ToKebab()).ToList(), user.DepartmentCode, accounts.PasswordExpired(user)));
    }

    static async Task<NoContent> ChangePassword(ChangePasswordRequest body, CurrentActor current, Accounts accounts)
    {
        var actor = await current.GetAsync();
        if (actor.IsSystem) throw new CaseForbiddenException("System principals have no password.");
        await accounts.ChangePasswordAsync(Guid.Parse(actor.Id), body.CurrentPassword, body.NewPassword);
        return TypedResults.NoContent();
    }

    internal static async Task<Actor> Require(CurrentActor current, Role role) => UserAdmin.Require(await current.GetAsync(), role);

    static async Task<Ok<IReadOnlyList<UserDto>>> ListUsers(string? q, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.ListAsync(await current.GetAsync(), q, ct));

    static async Task<Created<UserDto>> CreateUser(CreateUserRequest body, CurrentActor current, UserAdmin admin, CancellationToken ct)
    {
        var user = await admin.CreateAsync(await current.GetAsync(), body, ct);
        return TypedResults.Created($"/api/v1/admin/users/{user.Id}", user);
    }

    static async Task<Ok<UserDto>> SetDisabled(Guid id, bool disabled, CurrentActor current, UserAdmin admin) =>
        TypedResults.Ok(await admin.SetDisabledAsync(await current.GetAsync(), id, disabled));

    static async Task<Ok<UserDto>> SetRoles(Guid id, SetRolesRequest body, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.SetRolesAsync(await current.GetAsync(), id, body, ct));

    static async Task<Ok<UserDto>> SetOrganisation(Guid id, SetOrganisationRequest body, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.SetOrganisationAsync(await current.GetAsync(), id, body.Organisation, ct));

    static async Task<Ok<UserDto>> Unlock(Guid id, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.UnlockAsync(await current.GetAsync(), id, ct));

    static async Task<Ok<UserDto>> ResetSecondFactor(Guid id, ResetSecondFactorRequest? body, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.ResetSecondFactorAsync(await current.GetAsync(), id, body?.Reason, ct));

    static async Task<Created<ApiKeyCreatedDto>> CreateApiKey(CreateApiKeyRequest body, CurrentActor current, UserAdmin admin, CancellationToken ct)
    {
        var key = await admin.CreateApiKeyAsync(await current.GetAsync(), body, ct);
        return TypedResults.Created($"/api/v1/admin/api-keys/{key.Id}", key);
    }

    static async Task<Ok<IReadOnlyList<ApiKeyDto>>> ListApiKeys(CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.ApiKeysAsync(await current.GetAsync(), ct));

    static async Task<Ok<ApiKeyDto>> RevokeApiKey(Guid id, CurrentActor current, UserAdmin admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.RevokeApiKeyAsync(await current.GetAsync(), id, ct));

    static async Task<Ok<PageDtoAudit>> ReadAudit(CurrentActor current, UserAdmin admin, int? page, int? pageSize, string? action, string? q, string? result,
        DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var size = Math.Clamp(pageSize ?? 50, 1, 500);
        var p = Paging.Page(page);
        var (rows, total) = await admin.AuditAsync(await current.GetAsync(), new AuditFilter(action, q, result, from, to), p, size, ct);
        return TypedResults.Ok(new PageDtoAudit(rows, total, p, size));
    }

    public sealed record PageDtoAudit(IReadOnlyList<AuditDto> Items, int Total, int Page, int PageSize);
}
