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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values)) return AuthenticateResult.NoResult();
        var raw = values.ToString();
        var dot = raw.IndexOf('.');
        if (dot <= 0) return AuthenticateResult.Fail("Malformed API key.");
        var prefix = raw[..dot];
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix);
        if (key is null || key.RevokedAt <= clock.GetUtcNow()) return AuthenticateResult.Fail("Unknown or revoked API key.");
        var hash = HashSecret(raw[(dot + 1)..]);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(key.SecretHash)))
            return AuthenticateResult.Fail("Unknown or revoked API key.");
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
