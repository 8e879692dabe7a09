using System.Security.Claims;
using CityLoop.Server.Data;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Identity;

public sealed class SecurityOptions
{
    public int MaxFailedSignIns { get; set; } = 5;
    public int LockoutMinutes { get; set; } = 15;
    public int IdleTimeoutMinutes { get; set; } = 20;
    public int TokenLifetimeMinutes { get; set; } = 60;
    /// <summary>How long a refresh token (POST /api/v1/auth/refresh) gives new access tokens.</summary>
    public int RefreshTokenHours { get; set; } = 8;
    public int PasswordMaxAgeDays { get; set; } = 90;
    /// <summary>Roles that must sign in with a second factor (TOTP), comma-separated; empty: nobody is forced.</summary>
    public string TwoFactorRoles { get; set; } = "system-admin,security-admin,audit-admin";
    /// <summary>
    /// Refuse a TOTP code whose time step is not later than the last one accepted for the account (RFC 6238 §5.2:
    /// a code is accepted once). Off only where a test clock travels backwards.
    /// </summary>
    public bool TotpReplayGuard { get; set; } = true;

    public IReadOnlySet<CityLoop.Domain.Identity.Role> RequiredTwoFactorRoles() => User.ParseRoles(TwoFactorRoles);
}

public enum SignInOutcome { Success, BadCredentials, LockedOut, Disabled, SecondFactorRequired }

public sealed record SignInResult(SignInOutcome Outcome, User? User, string Message);

/// <summary>Password sign-in with lockout, shared by the login page and the token endpoint; every attempt is audited.</summary>
public sealed class Accounts(CityLoopDb db, Audit audit, TimeProvider clock, Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
{
    static readonly PasswordHasher<User> Hasher = new();
    readonly SecurityOptions _o = options.Value;

    public static string Hash(User user, string password) => Hasher.HashPassword(user, password);

    /// <summary>
    /// Password hashing is deliberately slow: a burst of sign-ins queues here instead of starving the node's cores and
    /// its database connections (a hundred parallel attempts would otherwise time out on the connection pool).
    /// </summary>
    static readonly SemaphoreSlim Hashing = new(Math.Max(2, Environment.ProcessorCount));

    /// <summary>
    /// Password, then (for an account with a second factor) the TOTP code: without a code the answer is
    /// <see cref="SignInOutcome.SecondFactorRequired"/>; a wrong code counts as a failed sign-in.
    /// </summary>
    public async Task<SignInResult> SignInAsync(string? userName, string? password, string channel, string? code = null)
    {
        await Hashing.WaitAsync();
        try
        {
            return await SignInCoreAsync(userName, password, channel, code);
        }
        finally
        {
            Hashing.Release();
        }
    }

    async Task<SignInResult> SignInCoreAsync(string? userName, string? password, string channel, string? code)
    {
        var now = clock.GetUtcNow();
        var name = (userName ?? "").Trim();
        var user = name.Length is 0 or > Domain.Cases.InputLimits.Code || !Domain.Cases.InputLimits.IsStorable(name) ? null
            : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == name);
        SignInResult result;
        if (user is null)
            result = new(SignInOutcome.BadCredentials, null, "用户名或密码错误 / Wrong user name or password.");
        else if (user.Disabled)
            result = new(SignInOutcome.Disabled, user, "账号已停用 / The account is disabled.");
        else if (user.LockedUntil > now)
            result = new(SignInOutcome.LockedOut, user, $"账号已锁定，请于 {_o.LockoutMinutes} 分钟后重试 / The account is locked; try again later.");
        else if (Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "") == PasswordVerificationResult.Failed)
            result = await CountFailureAsync(user, now)
                ? new(SignInOutcome.LockedOut, user, "密码错误次数过多，账号已锁定 / Too many failures: the account is locked.")
                : new(SignInOutcome.BadCredentials, user, "用户名或密码错误 / Wrong user name or password.");
        else if (user.TotpEnabled && user.TotpSecret is not null && string.IsNullOrWhiteSpace(code))
            result = new(SignInOutcome.SecondFactorRequired, user, "请输入动态验证码 / Enter the code from your authenticator app.");
        else if (user.TotpEnabled && user.TotpSecret is not null && !await CodeTakenAsync(user, code, now))
            result = await CountFailureAsync(user, now)
                ? new(SignInOutcome.LockedOut, user, "验证码错误次数过多，账号已锁定 / Too many failures: the account is locked.")
                : new(SignInOutcome.BadCredentials, user, "动态验证码错误或已使用 / Wrong code, or a code already used: wait for the next one.");
        // A lock set by a parallel failure since the row was read wins over this success.
        else if (await db.Users.Where(u => u.Id == user.Id && (u.LockedUntil == null || u.LockedUntil <= now))
                     .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null)) == 0)
            result = new(SignInOutcome.LockedOut, user, $"账号已锁定，请于 {_o.LockoutMinutes} 分钟后重试 / The account is locked; try again later.");
        else result = new(SignInOutcome.Success, user, "ok");
        audit.Add(user?.Id.ToString() ?? "anonymous", name.Length > Domain.Cases.InputLimits.Code ? name[..Domain.Cases.InputLimits.Code] : name, "sign-in", channel,
            result.Outcome == SignInOutcome.Success ? "success" : "failure",
            result.Outcome == SignInOutcome.Success ? null : result.Outcome.ToString());
        await db.SaveChangesAsync();
        return result;
    }

    /// <summary>The sign-in page's second step: the password was right a moment ago (a protected ticket says so), now the code.</summary>
    public async Task<SignInResult> SecondFactorAsync(Guid userId, string? code, string channel)
    {
        var now = clock.GetUtcNow();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId);
        SignInResult result;
        if (user is null || user.TotpSecret is null || !user.TotpEnabled)
            result = new(SignInOutcome.BadCredentials, user, "用户名或密码错误 / Wrong user name or password.");
        else if (user.Disabled)
            result = new(SignInOutcome.Disabled, user, "账号已停用 / The account is disabled.");
        else if (user.LockedUntil > now)
            result = new(SignInOutcome.LockedOut, user, "账号已锁定 / The account is locked; try again later.");
        else if (!await CodeTakenAsync(user, code, now))
            result = await CountFailureAsync(user, now)
                ? new(SignInOutcome.LockedOut, user, "验证码错误次数过多，账号已锁定 / Too many failures: the account is locked.")
                : new(SignInOutcome.BadCredentials, user, "动态验证码错误或已使用 / Wrong code, or a code already used: wait for the next one.");
        else if (await db.Users.Where(u => u.Id == user.Id && (u.LockedUntil == null || u.LockedUntil <= now))
                     .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null)) == 0)
            result = new(SignInOutcome.LockedOut, user, "账号已锁定 / The account is locked; try again later.");
        else result = new(SignInOutcome.Success, user, "ok");
        audit.Add(user?.Id.ToString() ?? "anonymous", user?.UserName ?? "", "sign-in", channel + ":second-factor",
            result.Outcome == SignInOutcome.Success ? "success" : "failure", result.Outcome == SignInOutcome.Success ? null : result.Outcome.ToString());
        await db.SaveChangesAsync();
        return result;
    }

    /// <summary>A right code whose time step has not been used before (a replayed code counts as a wrong one).</summary>
    async Task<bool> CodeTakenAsync(User user, string? code, DateTimeOffset now) =>
        TwoFactor.Verify(user.TotpSecret!, code, now, out var step) && await TwoFactor.ClaimStepAsync(db, user.Id, step, _o.TotpReplayGuard);

    /// <summary>
    /// Counts a wrong password in one statement, so that parallel failures are all counted (a read-modify-write loses
    /// them), and locks the account at the configured failure; returns whether this failure locked it.
    /// </summary>
    async Task<bool> CountFailureAsync(User user, DateTimeOffset now)
    {
        var max = Math.Max(1, _o.MaxFailedSignIns);
        DateTimeOffset? until = now.AddMinutes(_o.LockoutMinutes);
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.LockedUntil, u => u.FailedSignIns + 1 >= max ? until : u.LockedUntil)
            .SetProperty(u => u.FailedSignIns, u => u.FailedSignIns + 1 >= max ? 0 : u.FailedSignIns + 1));
        var lockedUntil = await db.Users.AsNoTracking().Where(u => u.Id == user.Id).Select(u => u.LockedUntil).FirstAsync();
        return lockedUntil > now;
    }

    public static ClaimsPrincipal Principal(User user, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.UserName),
            new("display_name", user.DisplayName),
        };
        claims.AddRange(user.RoleSet().Select(r => new Claim(ClaimTypes.Role, CityLoop.Domain.Identity.Roles.ToKebab(r))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>Changes a person's own password under the policy; the API and the password page share this.</summary>
    public async Task ChangePasswordAsync(Guid userId, string? currentPassword, string? newPassword)
    {
        var user = await db.Users.FirstAsync(u => u.Id == userId);
        if (Hasher.VerifyHashedPassword(user, user.PasswordHash, currentPassword ?? "") == PasswordVerificationResult.Failed)
            throw Domain.Cases.CaseValidationException.Single("currentPassword", "The current password is wrong.");
        if (PasswordPolicy.Check(newPassword, user.UserName) is { } problem) throw Domain.Cases.CaseValidationException.Single("newPassword", problem);
        if (newPassword == currentPassword) throw Domain.Cases.CaseValidationException.Single("newPassword", "Choose a password different from the current one.");
        user.PasswordHash = Hash(user, newPassword!);
        user.PasswordChangedAt = clock.GetUtcNow();
        user.MustChangePassword = false;
        audit.Add(user.Id.ToString(), user.DisplayName, "password-change", user.UserName);
        await db.SaveChangesAsync();
    }

    public bool PasswordExpired(User user) => PasswordExpired(user, clock.GetUtcNow(), _o);

    public static bool PasswordExpired(User user, DateTimeOffset now, SecurityOptions o) =>
        user.MustChangePassword || now - user.PasswordChangedAt > TimeSpan.FromDays(o.PasswordMaxAgeDays);
}
