using System.Security.Cryptography;
using System.Text;

namespace CityLoop.Server.Features.Privacy;

public sealed class PrivacyOptions
{
    /// <summary>
    /// The key file, outside the database: one key per line, "id base64-of-32-bytes"; the last line encrypts new data,
    /// every line decrypts. Development creates data/privacy.keys when unset; elsewhere the server refuses to start.
    /// </summary>
    public string? KeyFile { get; set; }
    /// <summary>Reporter data of a case is anonymised this many days after the case ended (closed, rejected, transferred, cancelled).</summary>
    public int RetentionDays { get; set; } = 730;
    /// <summary>The audit trail is kept at least this long; never less than 183 days (等保 2.0: six months).</summary>
    public int AuditRetentionDays { get; set; } = 365;
    /// <summary>How often the privacy worker chains new audit records and runs the retention pass (0: off).</summary>
    public int WorkerSeconds { get; set; } = 10;
    /// <summary>The retention pass runs at most this often (it also runs on each start).</summary>
    public int RetentionPassMinutes { get; set; } = 60;
    public int BatchSize { get; set; } = 200;

    public const int MinAuditRetentionDays = 183;
}

/// <summary>
/// The keys that protect personal data at rest, read from a file outside the database. Every use derives a separate
/// key (HKDF) from the master key: reporter fields (AES-GCM), the phone look-up hash (HMAC), the audit chain (HMAC) and
/// the Data Protection key ring. Each ciphertext and hash names the key it was made with, so a new key can be added
/// and old data re-encrypted (<c>privacy-rekey</c>) without a flag day.
/// </summary>
public sealed class PersonalDataKeys
{
    const string Prefix = "enc:";
    readonly Lazy<IReadOnlyList<Entry>> _keys;

    sealed record Entry(string Id, byte[] Fields, byte[] Lookup, byte[] Chain, byte[] KeyRing);

    public PersonalDataKeys(Func<IReadOnlyList<(string Id, byte[] Key)>> load) =>
        _keys = new Lazy<IReadOnlyList<Entry>>(() => load().Select(k => new Entry(k.Id,
            Derive(k.Key, "cityloop personal data fields v1"), Derive(k.Key, "cityloop phone lookup v1"),
            Derive(k.Key, "cityloop audit chain v1"), Derive(k.Key, "cityloop data protection key ring v1"))).ToList());

    public static PersonalDataKeys FromOptions(PrivacyOptions options, IHostEnvironment env) =>
        new(() => Load(options, env));

    public static PersonalDataKeys FromFile(string path) => new(() => ReadFile(path));

    /// <summary>Loads the keys now, so that a server without them stops at start rather than at the first intake.</summary>
    public void EnsureLoaded() => _ = _keys.Value;

    public string CurrentKeyId => Current.Id;
    public IReadOnlyList<string> KeyIds => _keys.Value.Select(k => k.Id).ToList();
    Entry Current => _keys.Value[^1];

    Entry Find(string id) => _keys.Value.FirstOrDefault(k => k.Id == id)
        ?? throw new CryptographicException($"The personal-data key '{id}' is not in the key file.");

    public string Encrypt(string plaintext, string purpose)
    {
        var key = Current;
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + data.Length];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Fields, 16);
        aes.Encrypt(nonce, data, output.AsSpan(28), output.AsSpan(12, 16), Encoding.UTF8.GetBytes(purpose));
        return $"{Prefix}{key.Id}:{Convert.ToBase64String(output)}";
    }

    /// <summary>Decrypts a stored value; a value without the prefix is plaintext written before 0006 (until <c>privacy-rekey</c>).</summary>
    public string Decrypt(string stored, string purpose)
    {
        if (!IsEncrypted(stored)) return stored;
        var colon = stored.IndexOf(':', Prefix.Length);
        var key = Find(stored[Prefix.Length..colon]);
        var input = Convert.FromBase64String(stored[(colon + 1)..]);
        var output = new byte[input.Length - 28];
        using var aes = new AesGcm(key.Fields, 16);
        aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), output, Encoding.UTF8.GetBytes(purpose));
        return Encoding.UTF8.GetString(output);
    }

    public static bool IsEncrypted(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    public bool IsCurrent(string stored) => stored.StartsWith($"{Prefix}{CurrentKeyId}:", StringComparison.Ordinal);

    /// <summary>The look-up hash of a phone number under the current key: "id:hex", or null for no number.</summary>
    public string? PhoneHash(string? phone) => Normalise(phone) is { } n ? LookupHash(Current, n) : null;

    /// <summary>The phone's hash under every key, for an exact-match search that also finds rows not yet re-keyed.</summary>
    public IReadOnlyList<string> PhoneHashes(string? phone) =>
        Normalise(phone) is { } n ? _keys.Value.Select(k => LookupHash(k, n)).ToList() : [];

    static string LookupHash(Entry key, string normalised) =>
        key.Id + ":" + Convert.ToHexStringLower(HMACSHA256.HashData(key.Lookup, Encoding.UTF8.GetBytes(normalised)));

    /// <summary>Digits only, without the country code: "+86 138-0000-1234" and "13800001234" are one caller.</summary>
    public static string? Normalise(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone)) return null;
        var digits = new string(phone.Where(char.IsAsciiDigit).ToArray());
        if (digits.StartsWith("0086", StringComparison.Ordinal)) digits = digits[4..];
        else if (digits.StartsWith("86", StringComparison.Ordinal) && digits.Length == 13) digits = digits[2..];
        return digits.Length == 0 ? null : digits;
    }

    /// <summary>The audit chain's MAC under the current key: "id:hex".</summary>
    public string ChainMac(string data) => ChainMac(Current, data);

    public string ChainMacWith(string keyId, string data) => ChainMac(Find(keyId), data);

    static string ChainMac(Entry key, string data) =>
        key.Id + ":" + Convert.ToHexStringLower(HMACSHA256.HashData(key.Chain, Encoding.UTF8.GetBytes(data)));

    /// <summary>The key that encrypts the Data Protection key ring (cookies and bearer tokens) at rest.</summary>
    public (string Id, byte[] Key) KeyRingKey() => (Current.Id, Current.KeyRing);

    public byte[] KeyRingKey(string id) => Find(id).KeyRing;

    static byte[] Derive(byte[] master, string info) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, salt: [], info: Encoding.UTF8.GetBytes(info));

    static IReadOnlyList<(string, byte[])> Load(PrivacyOptions options, IHostEnvironment env)
    {
        var path = options.KeyFile;
        if (string.IsNullOrWhiteSpace(path))
        {
            if (!env.IsDevelopment())
                throw new InvalidOperationException(
                    "Privacy:KeyFile is not set: personal data cannot be encrypted. Create a key file with 'CityLoop.Server privacy-key FILE', keep it outside the database and its backups, and set Privacy:KeyFile.");
            path = Path.Combine("data", "privacy.keys");
        }
        // Development makes its own key on first run; anywhere else a missing key file is an error, never a new key.
        if (env.IsDevelopment() && !File.Exists(path)) AddKey(path);
        return ReadFile(path);
    }

    public static IReadOnlyList<(string, byte[])> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"The key file {path} (Privacy:KeyFile) does not exist.");
        var keys = new List<(string, byte[])>();
        foreach (var (line, i) in File.ReadAllLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            byte[]? key = null;
            if (parts.Length == 2) try { key = Convert.FromBase64String(parts[1]); } catch (FormatException) { }
            if (key is not { Length: 32 } || !ValidId(parts[0]))
                throw new InvalidOperationException($"{path}:{i}: a key line is 'id base64' with a 32-byte key and an id of letters and digits.");
            if (keys.Any(k => k.Item1 == parts[0])) throw new InvalidOperationException($"{path}:{i}: the key id '{parts[0]}' is used twice.");
            keys.Add((parts[0], key));
        }
        if (keys.Count == 0) throw new InvalidOperationException($"The key file {path} has no key.");
        return keys;
    }

    static bool ValidId(string id) => id.Length is > 0 and <= 24 && id.All(char.IsAsciiLetterOrDigit);

    /// <summary>Creates the key file, or appends a new current key to it (rotation); returns the new key's id.</summary>
    public static string AddKey(string path)
    {
        var id = "k" + DateTime.UtcNow.ToString("yyyyMMdd") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var isNew = !File.Exists(path);
        if (isNew)
        {
            File.WriteAllText(path, "# CityLoop personal-data keys: 'id base64'. The last line encrypts new data; keep every line that data may still use.\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.AppendAllText(path, $"{id} {Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}\n");
        return id;
    }
}

/// <summary>Keeps phone numbers typed into searches out of audit details (the audit trail references, never copies, personal data).</summary>
public static partial class AuditText
{
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\d)(?:(?:\+|%2B)?86[- ]?)?(?:1[3-9]\d(?:[- ]?\d){8}|0\d{2,3}-?\d{7,8})(?!\d)")]
    private static partial System.Text.RegularExpressions.Regex Phone();

    public static string RedactPhones(string text) => Phone().Replace(text, "[phone]");
}
