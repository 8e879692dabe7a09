using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using CityLoop.Server.Infrastructure;
using OtpNet;
using QRCoder;

namespace CityLoop.Server.Features.Identity;

/// <summary>
/// The second factor for staff: TOTP (RFC 6238, 30-second steps, six digits, one step of clock drift either way),
/// enrolled by scanning a QR code or typing the key, confirmed with a first code. Required for the roles in
/// <see cref="SecurityOptions.TwoFactorRoles"/> (the three administrators by default); anyone may enrol.
/// </summary>
public static class TwoFactor
{
    public const string Issuer = "CityLoop";

    /// <summary>The Development demo administrators' shared secret (README): never used outside Development.</summary>
    public const string DemoSecret = "JBSWY3DPEHPK3PXPCITYLOOPDEMO2FA2";

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    public static bool Verify(string secret, string? code, DateTimeOffset now) => Verify(secret, code, now, out _);

    /// <summary>Whether the code is right now (one step of drift either way), and the time step it matched.</summary>
    public static bool Verify(string secret, string? code, DateTimeOffset now, out long step)
    {
        step = 0;
        var digits = new string((code ?? "").Where(char.IsDigit).ToArray());
        if (digits.Length != 6) return false;
        return new Totp(Base32Encoding.ToBytes(secret)).VerifyTotp(now.UtcDateTime, digits, out step, VerificationWindow.RfcSpecifiedNetworkDelay);
    }

    /// <summary>
    /// Takes the matched step for the account in one statement, so that of two sign-ins racing with the same code only
    /// one wins; false when a code of this or a later step was already accepted (a replayed code).
    /// </summary>
    public static async Task<bool> ClaimStepAsync(CityLoopDb db, Guid userId, long step, bool guard)
    {
        if (!guard)
        {
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpLastStep, step));
            return true;
        }
        return await db.Users.Where(u => u.Id == userId && (u.TotpLastStep == null || u.TotpLastStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpLastStep, step)) == 1;
    }

    /// <summary>
    /// A security administrator clears someone's second factor (a lost phone): the account enrols again at its next
    /// sign-in, before anything else where its role requires one. Not one's own: another administrator must do it.
    /// </summary>
    public static async Task<User> ResetAsync(CityLoopDb db, Audit audit, Guid userId, Actor by, string? reason)
    {
        if (by.Id == userId.ToString()) throw new CaseForbiddenException("Your own second factor is reset by another security administrator.");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId) ?? throw new NotFoundException($"User {userId} does not exist.");
        if (!user.TotpEnabled && user.TotpSecret is null) throw new ConflictException($"{user.UserName} has no second factor to reset.");
        user.TotpSecret = null;
        user.TotpEnabled = false;
        user.TotpLastStep = null;
        audit.Add(by.Id, by.Name, "second-factor-reset", user.UserName, detail: string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()[..Math.Min(reason.Trim().Length, 500)]);
        await db.SaveChangesAsync();
        return user;
    }

    public static string Code(string secret, DateTimeOffset now) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(now.UtcDateTime);

    public static string Uri(string secret, string userName) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(Issuer)}:{System.Uri.EscapeDataString(userName)}?secret={secret}&issuer={System.Uri.EscapeDataString(Issuer)}&digits=6&period=30";

    /// <summary>The otpauth URI as a PNG QR code, as a data: URI for an img tag.</summary>
    public static string QrDataUri(string otpauthUri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(otpauthUri, QRCodeGenerator.ECCLevel.M);
        return "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(6));
    }

    public static bool Required(User user, SecurityOptions o) =>
        user.RoleSet().Any(r => o.RequiredTwoFactorRoles().Contains(r));

    /// <summary>Starts (or restarts) enrolment: a fresh secret, not in use until confirmed.</summary>
    public static async Task<string> BeginAsync(CityLoopDb db, Guid userId)
    {
        var user = await db.Users.FirstAsync(u => u.Id == userId);
        if (user.TotpEnabled) throw new Infrastructure.ConflictException("A second factor is already set up.");
        user.TotpSecret = NewSecret();
        await db.SaveChangesAsync();
        return user.TotpSecret;
    }

    /// <summary>Confirms enrolment with a first code; returns false when the code is wrong.</summary>
    public static async Task<bool> ConfirmAsync(CityLoopDb db, Audit audit, Guid userId, string? code, DateTimeOffset now)
    {
        var user = await db.Users.FirstAsync(u => u.Id == userId);
        if (user.TotpEnabled) return true;
        if (user.TotpSecret is null || !Verify(user.TotpSecret, code, now, out var step)) return false;
        user.TotpEnabled = true;
        user.TotpLastStep = step;
        audit.Add(user.Id.ToString(), user.DisplayName, "second-factor-enrol", user.UserName);
        await db.SaveChangesAsync();
        return true;
    }

    /// <summary>Development only: the demo administrators sign in with <see cref="DemoSecret"/> (documented in the README).</summary>
    public static async Task EnrolDemoAdministratorsAsync(CityLoopDb db)
    {
        var admins = await db.Users.Where(u => !u.TotpEnabled).ToListAsync();
        foreach (var u in admins.Where(u => u.RoleSet().Any(Roles.Administrators.Contains)))
        {
            u.TotpSecret = DemoSecret;
            u.TotpEnabled = true;
        }
        await db.SaveChangesAsync();
    }
}
