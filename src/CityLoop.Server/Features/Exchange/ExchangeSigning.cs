using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// HMAC-SHA256 over "METHOD\nPATH\nTIMESTAMP\nhex(SHA-256(body))" with the secret shared with one peer. The peer is
/// named in <see cref="PeerHeader"/>, the instant (unix seconds) in <see cref="TimestampHeader"/>, the signature as
/// "sha256=" + lowercase hex in <see cref="SignatureHeader"/>.
/// </summary>
public static class ExchangeSigning
{
    public const string PeerHeader = "X-CityLoop-Peer";
    public const string TimestampHeader = "X-CityLoop-Timestamp";
    public const string SignatureHeader = "X-CityLoop-Signature";
    public const string Path = "/api/v1/exchange/messages";

    public static string Canonical(string method, string path, long timestamp, ReadOnlySpan<byte> body) =>
        $"{method.ToUpperInvariant()}\n{path}\n{timestamp.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";

    public static string Sign(string secret, string method, string path, long timestamp, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Canonical(method, path, timestamp, body))));

    /// <summary>Compares in constant time, so the signature cannot be guessed byte by byte.</summary>
    public static bool Verify(string secret, string method, string path, long timestamp, ReadOnlySpan<byte> body, string? signature)
    {
        if (string.IsNullOrEmpty(signature)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, method, path, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
