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

    public static bool Verify(string secret, string? code, DateTimeOffset now)
    {
        var digits = new string((code ?? "").Where(char.IsDigit).ToArray());
        if (digits.Length != 6) return false;
        return new Totp(Base32Encoding.ToBytes(secret)).VerifyTotp(now.UtcDateTime, digits, out _, VerificationWindow.RfcSpecifiedNetworkDelay);
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
        if (user.TotpSecret is null || !Verify(user.TotpSecret, code, now)) return false;
        user.TotpEnabled = true;
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
