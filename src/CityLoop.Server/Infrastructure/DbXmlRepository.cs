using System.Xml.Linq;
using CityLoop.Server.Data;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace CityLoop.Server.Infrastructure;

/// <summary>
/// Keeps the Data Protection key ring in the database so that every app node can read the cookies and bearer
/// tokens of every other (the EF key-store package does not restore here).
/// </summary>
public sealed class DbXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        return db.DataProtectionKeys.Select(k => k.Xml).AsEnumerable().Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
