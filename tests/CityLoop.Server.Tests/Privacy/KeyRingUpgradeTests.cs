using System.Xml.Linq;
using CityLoop.Server.Features.Privacy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Privacy;

/// <summary>Key-ring entries stored in clear before 0006 are wrapped so that Data Protection still reads them.</summary>
public sealed class KeyRingUpgradeTests
{
    sealed class MemoryRepository : IXmlRepository
    {
        public List<XElement> Elements { get; } = [];
        public IReadOnlyCollection<XElement> GetAllElements() => Elements.ToList();
        public void StoreElement(XElement element, string friendlyName) => Elements.Add(element);
    }

    static ServiceProvider Provider(MemoryRepository repo, PersonalDataKeys? keys)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (keys is not null) services.AddSingleton(keys);
        services.AddDataProtection().SetApplicationName("CityLoop");
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = repo;
            if (keys is not null) o.XmlEncryptor = new KeyRingXmlEncryptor(keys);
        });
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AClearEntry_IsEncryptedInPlace_AndStillUnprotectsWhatItProtected()
    {
        var legacy = new MemoryRepository();
        string token;
        using (var before = Provider(legacy, null))
            token = before.GetDataProtector("cookies").Protect("signed-in as agent");
        var entry = Assert.Single(legacy.Elements);
        Assert.Contains("<masterKey", entry.ToString());

        var keys = PersonalDataKeys.FromFile(FreshDatabase.NewKeyFile());
        var upgraded = KeyRingUpgrade.EncryptSecrets(entry, new KeyRingXmlEncryptor(keys));
        Assert.NotNull(upgraded);
        Assert.DoesNotContain("<masterKey", upgraded.ToString());
        Assert.Contains("encryptedSecret", upgraded.ToString());
        Assert.Null(KeyRingUpgrade.EncryptSecrets(upgraded, new KeyRingXmlEncryptor(keys)));

        var repo = new MemoryRepository();
        repo.Elements.Add(upgraded);
        using (var after = Provider(repo, keys))
            Assert.Equal("signed-in as agent", after.GetDataProtector("cookies").Unprotect(token));
        // Another key file cannot open it.
        using var stranger = Provider(repo, PersonalDataKeys.FromFile(FreshDatabase.NewKeyFile()));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => stranger.GetDataProtector("cookies").Unprotect(token));
    }
}
