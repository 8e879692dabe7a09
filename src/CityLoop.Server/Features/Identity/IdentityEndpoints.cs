using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
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
public sealed record CreateUserRequest(string? UserName, string? DisplayName, string? Password, string? Department);
public sealed record SetRolesRequest(IReadOnlyList<string>? Roles, string? Department);
public sealed record UserDto(Guid Id, string UserName, string DisplayName, IReadOnlyList<string> Roles, string? Department, bool Disabled, bool Locked);
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
        admin.MapPost("/users/{id:guid}/disable", (Guid id, CurrentActor a, CityLoopDb db, Audit audit) => SetDisabled(id, true, a, db, audit));
        admin.MapPost("/users/{id:guid}/enable", (Guid id, CurrentActor a, CityLoopDb db, Audit audit) => SetDisabled(id, false, a, db, audit));
        admin.MapPut("/users/{id:guid}/roles", SetRoles);
        admin.MapPost("/users/{id:guid}/unlock", Unlock);
        admin.MapPost("/users/{id:guid}/second-factor/reset", ResetSecondFactor);
        admin.MapPost("/api-keys", CreateApiKey);
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

    internal static async Task<Actor> Require(CurrentActor current, Role role)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(role)) throw new CaseForbiddenException($"This needs the {role.ToKebab()} role.");
        return actor;
    }

    static async Task<Ok<IReadOnlyList<UserDto>>> ListUsers(CurrentActor current, CityLoopDb db, TimeProvider clock)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.SystemAdmin) && !actor.Has(Role.SecurityAdmin)) throw new CaseForbiddenException("This needs the system-admin or security-admin role.");
        var now = clock.GetUtcNow();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync();
        return TypedResults.Ok<IReadOnlyList<UserDto>>(users.Select(u => ToDto(u, now)).ToList());
    }

    static UserDto ToDto(User u, DateTimeOffset now) =>
        new(u.Id, u.UserName, u.DisplayName, u.RoleSet().Select(r => r.ToKebab()).ToList(), u.DepartmentCode, u.Disabled, u.LockedUntil > now);

    static async Task<Created<UserDto>> CreateUser(CreateUserRequest body, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock)
    {
        var actor = await Require(current, Role.SystemAdmin);
        var name = body.UserName?.Trim() ?? "";
        if (name.Length is < 2 or > 64 || !name.All(ch => char.IsLetterOrDigit(ch) || ch is '.' or '-' or '_'))
            throw CaseValidationException.Single("userName", "A user name has 2–64 letters, digits, '.', '-' or '_'.");
        if (PasswordPolicy.Check(body.Password, name) is { } problem) throw CaseValidationException.Single("password", problem);
        if (await db.Users.AnyAsync(u => u.UserName == name)) throw new ConflictException($"The user name '{name}' is taken.");
        var now = clock.GetUtcNow();
        // New accounts start without roles: granting them is the security administrator's job.
        var user = new User { UserName = name, DisplayName = string.IsNullOrWhiteSpace(body.DisplayName) ? name : body.DisplayName.Trim(), CreatedAt = now, PasswordChangedAt = now, MustChangePassword = true };
        user.PasswordHash = Accounts.Hash(user, body.Password!);
        db.Users.Add(user);
        audit.Add(actor.Id, actor.Name, "user-create", name);
        await db.SaveChangesAsync();
        return TypedResults.Created($"/api/v1/admin/users/{user.Id}", ToDto(user, now));
    }

    static async Task<Ok<UserDto>> SetDisabled(Guid id, bool disabled, CurrentActor current, CityLoopDb db, Audit audit)
    {
        var actor = await Require(current, Role.SystemAdmin);
        if (actor.Id == id.ToString()) throw new CaseForbiddenException("You cannot disable or enable your own account.");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id) ?? throw new NotFoundException($"User {id} does not exist.");
        user.Disabled = disabled;
        audit.Add(actor.Id, actor.Name, disabled ? "user-disable" : "user-enable", user.UserName);
        await db.SaveChangesAsync();
        return TypedResults.Ok(ToDto(user, DateTimeOffset.UtcNow));
    }

    static async Task<Ok<UserDto>> SetRoles(Guid id, SetRolesRequest body, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock)
    {
        var actor = await Require(current, Role.SecurityAdmin);
        if (actor.Id == id.ToString()) throw new CaseForbiddenException("Nobody changes their own roles: ask another security administrator.");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id) ?? throw new NotFoundException($"User {id} does not exist.");
        var roles = new HashSet<Role>();
        foreach (var name in body.Roles ?? [])
        {
            if (!Roles.TryParse(name, out var role) || Roles.SystemPrincipals.Contains(role))
                throw CaseValidationException.Single("roles", $"'{name}' is not a role a person can hold.");
            roles.Add(role);
        }
        if (roles.Count(Roles.Administrators.Contains) > 1 || (roles.Any(Roles.Administrators.Contains) && roles.Count > 1))
            throw CaseValidationException.Single("roles", "An administrator account holds exactly one administrator role and no other (三权分立).");
        var dept = string.IsNullOrWhiteSpace(body.Department) ? null : body.Department.Trim();
        if (roles.Any(Roles.DepartmentBound.Contains) && dept is null)
            throw CaseValidationException.Single("department", "Department staff belong to a department.");
        if (dept is not null && !await db.Departments.AnyAsync(d => d.Code == dept))
            throw CaseValidationException.Single("department", $"Unknown department '{dept}'.");
        var before = user.Roles;
        user.Roles = User.FormatRoles(roles);
        user.DepartmentCode = dept;
        user.Version++;
        audit.Add(actor.Id, actor.Name, "permission-change", user.UserName, detail: $"roles: [{before}] → [{user.Roles}]; department: {dept ?? "-"}");
        await db.SaveChangesAsync();
        return TypedResults.Ok(ToDto(user, clock.GetUtcNow()));
    }

    static async Task<Ok<UserDto>> Unlock(Guid id, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock)
    {
        var actor = await Require(current, Role.SecurityAdmin);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id) ?? throw new NotFoundException($"User {id} does not exist.");
        user.LockedUntil = null;
        user.FailedSignIns = 0;
        audit.Add(actor.Id, actor.Name, "user-unlock", user.UserName);
        await db.SaveChangesAsync();
        return TypedResults.Ok(ToDto(user, clock.GetUtcNow()));
    }

    static async Task<Ok<UserDto>> ResetSecondFactor(Guid id, ResetSecondFactorRequest? body, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock)
    {
        var actor = await Require(current, Role.SecurityAdmin);
        var user = await TwoFactor.ResetAsync(db, audit, id, actor, body?.Reason);
        return TypedResults.Ok(ToDto(user, clock.GetUtcNow()));
    }

    static async Task<Created<ApiKeyCreatedDto>> CreateApiKey(CreateApiKeyRequest body, CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock)
    {
        var actor = await Require(current, Role.SecurityAdmin);
        var name = body.Name?.Trim() ?? "";
        if (name.Length is < 2 or > 64) throw CaseValidationException.Single("name", "Name the integration (2–64 characters).");
        if (!Roles.TryParse(body.Role, out var role) || !Roles.SystemPrincipals.Contains(role))
            throw CaseValidationException.Single("role", $"An API key acts as one of: {string.Join(", ", Roles.SystemPrincipals.Select(r => r.ToKebab()))}.");
        var scopes = (body.Scopes ?? ["cases:create", "cases:read"]).Distinct().ToList();
        if (scopes.Except(Scopes).FirstOrDefault() is { } bad) throw CaseValidationException.Single("scopes", $"Unknown scope '{bad}'.");
        if (await db.ApiKeys.AnyAsync(k => k.Name == name && k.RevokedAt == null)) throw new ConflictException($"An active key named '{name}' exists.");
        var (prefix, secret, hash) = ApiKeyAuthentication.NewKey();
        var key = new ApiKey { Name = name, Prefix = prefix, SecretHash = hash, Role = role, Scopes = string.Join(' ', scopes), CreatedAt = clock.GetUtcNow(), CreatedBy = actor.Id };
        db.ApiKeys.Add(key);
        audit.Add(actor.Id, actor.Name, "permission-change", "api-key:" + name, detail: $"role {role.ToKebab()}, scopes {key.Scopes}");
        await db.SaveChangesAsync();
        return TypedResults.Created($"/api/v1/admin/api-keys/{key.Id}", new ApiKeyCreatedDto(key.Id, name, role.ToKebab(), scopes, $"{prefix}.{secret}"));
    }

    static async Task<Ok<PageDtoAudit>> ReadAudit(CurrentActor current, CityLoopDb db, int? page, int? pageSize, string? action)
    {
        await Require(current, Role.AuditAdmin);
        var size = Math.Clamp(pageSize ?? 50, 1, 500);
        var p = Paging.Page(page);
        var q = db.AuditLog.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(action)) q = q.Where(a => a.Action == action);
        var total = await q.CountAsync();
        var rows = await q.OrderByDescending(a => a.Id).Skip((p - 1) * size).Take(size)
            .Select(a => new AuditDto(a.Id, a.At, a.ActorId, a.ActorName, a.Action, a.Target, a.Result, a.Ip, a.Detail)).ToListAsync();
        return TypedResults.Ok(new PageDtoAudit(rows, total, p, size));
    }

    public sealed record PageDtoAudit(IReadOnlyList<AuditDto> Items, int Total, int Page, int PageSize);
}
