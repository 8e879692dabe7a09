using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace CityLoop.Server.Features.Privacy;

/// <summary>
/// Encrypts the Data Protection key ring (the keys behind sign-in cookies and bearer tokens) before it is stored in
/// the database, with a key derived from the personal-data key file: a copy of the database alone forges no session.
/// </summary>
public sealed class KeyRingXmlEncryptor(PersonalDataKeys keys) : IXmlEncryptor
{
    static readonly XName Root = "encryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var (id, key) = keys.KeyRingKey();
        var data = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(12);
        var tag = new byte[16];
        var cipher = new byte[data.Length];
        using (var aes = new AesGcm(key, 16)) aes.Encrypt(nonce, data, cipher, tag);
        var element = new XElement(Root, new XAttribute("keyId", id),
            new XElement("nonce", Convert.ToBase64String(nonce)), new XElement("tag", Convert.ToBase64String(tag)),
            new XElement("value", Convert.ToBase64String(cipher)));
        return new EncryptedXmlInfo(element, typeof(KeyRingXmlDecryptor));
    }
}

/// <summary>Created by Data Protection from the type named in the stored XML, with the application's services.</summary>
public sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var keys = services.GetRequiredService<PersonalDataKeys>();
        var key = keys.KeyRingKey((string)encryptedElement.Attribute("keyId")!);
        var nonce = Convert.FromBase64String((string)encryptedElement.Element("nonce")!);
        var tag = Convert.FromBase64String((string)encryptedElement.Element("tag")!);
        var cipher = Convert.FromBase64String((string)encryptedElement.Element("value")!);
        var plain = new byte[cipher.Length];
        using (var aes = new AesGcm(key, 16)) aes.Decrypt(nonce, cipher, tag, plain);
        return XElement.Parse(Encoding.UTF8.GetString(plain));
    }
}

/// <summary>
/// Encrypts, in place, the secrets of key-ring entries stored before 0006 in clear, the way Data Protection itself
/// wraps a secret that requires encryption (an &lt;encryptedSecret decryptorType="…"&gt; element).
/// </summary>
public static class KeyRingUpgrade
{
    static readonly XNamespace Ns = "http://schemas.asp.net/2015/03/dataProtection";

    public static XElement? EncryptSecrets(XElement key, IXmlEncryptor encryptor)
    {
        var copy = new XElement(key);
        var pending = copy.Descendants().Where(e => (bool?)e.Attribute(Ns + "requiresEncryption") == true).ToList();
        if (pending.Count == 0) return null;
        foreach (var secret in pending)
        {
            var info = encryptor.Encrypt(new XElement(secret));
            secret.ReplaceWith(new XElement(Ns + "encryptedSecret",
                new XAttribute("decryptorType", info.DecryptorType.AssemblyQualifiedName!), info.EncryptedElement));
        }
        return copy;
    }
}
