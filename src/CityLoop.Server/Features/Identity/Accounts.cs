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
    public int PasswordMaxAgeDays { get; set; } = 90;
}

public enum SignInOutcome { Success, BadCredentials, LockedOut, Disabled }

public sealed record SignInResult(SignInOutcome Outcome, User? User, string Message);

/// <summary>Password sign-in with lockout, shared by the login page and the token endpoint; every attempt is audited.</summary>
public sealed class Accounts(CityLoopDb db, Audit audit, TimeProvider clock, Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
{
    static readonly PasswordHasher<User> Hasher = new();
    readonly SecurityOptions _o = options.Value;

    public static string Hash(User user, string password) => Hasher.HashPassword(user, password);

    public async Task<SignInResult> SignInAsync(string? userName, string? password, string channel)
    {
        var now = clock.GetUtcNow();
        var name = (userName ?? "").Trim();
        var user = name.Length == 0 ? null : await db.Users.FirstOrDefaultAsync(u => u.UserName == name);
        SignInResult result;
        if (user is null)
            result = new(SignInOutcome.BadCredentials, null, "用户名或密码错误 / Wrong user name or password.");
        else if (user.Disabled)
            result = new(SignInOutcome.Disabled, user, "账号已停用 / The account is disabled.");
        else if (user.LockedUntil > now)
            result = new(SignInOutcome.LockedOut, user, $"账号已锁定，请于 {_o.LockoutMinutes} 分钟后重试 / The account is locked; try again later.");
        else if (Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "") == PasswordVerificationResult.Failed)
        {
            user.FailedSignIns++;
            if (user.FailedSignIns >= _o.MaxFailedSignIns)
            {
                user.LockedUntil = now.AddMinutes(_o.LockoutMinutes);
                user.FailedSignIns = 0;
                result = new(SignInOutcome.LockedOut, user, "密码错误次数过多，账号已锁定 / Too many failures: the account is locked.");
            }
            else result = new(SignInOutcome.BadCredentials, user, "用户名或密码错误 / Wrong user name or password.");
        }
        else
        {
            user.FailedSignIns = 0;
            user.LockedUntil = null;
            result = new(SignInOutcome.Success, user, "ok");
        }
        audit.Add(user?.Id.ToString() ?? "anonymous", name, "sign-in", channel,
            result.Outcome == SignInOutcome.Success ? "success" : "failure",
            result.Outcome == SignInOutcome.Success ? null : result.Outcome.ToString());
        await db.SaveChangesAsync();
        return result;
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

    public bool PasswordExpired(User user) => user.MustChangePassword || clock.GetUtcNow() - user.PasswordChangedAt > TimeSpan.FromDays(_o.PasswordMaxAgeDays);
}
