using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Identity;

/// <summary>
/// Machine integrations send <c>X-Api-Key: {prefix}.{secret}</c>. The prefix finds the key, the secret is compared
/// by SHA-256 hash; the principal is the key's system principal with its one channel role and its scopes.
/// </summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CityLoopDb db, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";
    public const string PrincipalClaim = "system_principal";
    public const string ScopeClaim = "scope";

    public static (string Prefix, string Secret, string Hash) NewKey()
    {
        var prefix = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        return (prefix, secret, HashSecret(secret));
    }

    public static string HashSecret(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// The active key for <c>{prefix}.{secret}</c>, or for a key without a prefix (such as the demo Open311 key) by the
    /// hash of the whole key; null when unknown or revoked.
    /// </summary>
    public static async Task<ApiKey?> FindAsync(CityLoopDb db, string? raw, DateTimeOffset now, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(raw) || raw.Length > 200) return null;
        var dot = raw.IndexOf('.');
        ApiKey? key;
        string hash;
        if (dot > 0)
        {
            var prefix = raw[..dot];
            key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
            hash = HashSecret(raw[(dot + 1)..]);
        }
        else
        {
            hash = HashSecret(raw);
            key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.SecretHash == hash && k.RevokedAt == null, ct);
        }
        if (key is null || key.RevokedAt <= now) return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(key.SecretHash)) ? key : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values)) return AuthenticateResult.NoResult();
        var key = await FindAsync(db, values.ToString(), clock.GetUtcNow());
        if (key is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, "system:" + key.Name),
            new(ClaimTypes.Name, key.Name),
            new(PrincipalClaim, key.Name),
            new(ClaimTypes.Role, key.Role.ToKebab()),
        };
        claims.AddRange(key.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
