using CityLoop.Domain.Identity;

namespace CityLoop.Server.Data;

/// <summary>A person who signs in. Citizens are not users; machine channels use <see cref="ApiKey"/>.</summary>
public sealed class User
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string UserName { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    /// <summary>Kebab-case role names separated by commas, e.g. "dispatcher,shift-leader".</summary>
    public string Roles { get; set; } = "";
    public string? DepartmentCode { get; set; }
    /// <summary>The organisation the person works for when not the centre's own staff: an inspector's collection company (采集公司).</summary>
    public string? Organisation { get; set; }
    /// <summary>The sub-centre this person works for (decision 026); null: the root platform, which sees every sub-centre.</summary>
    public string? PlatformCode { get; set; }
    public bool Disabled { get; set; }
    public int FailedSignIns { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset PasswordChangedAt { get; set; }
    public bool MustChangePassword { get; set; }
    /// <summary>The TOTP secret (Base32): set at enrolment, in use once <see cref="TotpEnabled"/>.</summary>
    public string? TotpSecret { get; set; }
    public bool TotpEnabled { get; set; }
    /// <summary>The TOTP time step of the last code accepted: a code is good once (RFC 6238 §5.2).</summary>
    public long? TotpLastStep { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Version { get; set; }

    public IReadOnlySet<Role> RoleSet() => ParseRoles(Roles);

    public static IReadOnlySet<Role> ParseRoles(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => CityLoop.Domain.Identity.Roles.TryParse(r, out var role) ? role : (Role?)null)
            .OfType<Role>().ToHashSet();

    public static string FormatRoles(IEnumerable<Role> roles) => string.Join(",", roles.Distinct().OrderBy(r => r).Select(r => r.ToKebab()));
}

/// <summary>A machine integration (camera, portal, peer platform, importer) acting as a named system principal.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Name { get; set; } = "";
    public string Prefix { get; set; } = "";
    public string SecretHash { get; set; } = "";
    public Role Role { get; set; }
    /// <summary>Space-separated scopes, e.g. "cases:create cases:read".</summary>
    public string Scopes { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>One line of the append-only audit trail (等保 2.0: who, what, when, from where, result).</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string ActorId { get; set; } = "";
    public string ActorName { get; set; } = "";
    public string Action { get; set; } = "";
    public string? Target { get; set; }
    public string Result { get; set; } = "success";
    public string? Ip { get; set; }
    public string? Detail { get; set; }
}

public sealed class IdempotencyRecord
{
    public string ClientId { get; set; } = "";
    public string Key { get; set; } = "";
    public string RequestHash { get; set; } = "";
    public Guid CaseId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class Department
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public string? ParentCode { get; set; }
    public string Kind { get; set; } = "bureau";
    public string? Contact { get; set; }
    public string? WorkingHours { get; set; }
    /// <summary>The sub-centre the department belongs to (decision 026); null: the root platform.</summary>
    public string? PlatformCode { get; set; }
    /// <summary>No longer offered for dispatch or assignment; its cases and figures stay.</summary>
    public bool Disabled { get; set; }
}

/// <summary>
/// A sub-centre of this deployment (decision 026): a district or county platform below the root platform
/// (<c>Platform:Code</c>), with its own code, case numbers, departments, calendars and staff.
/// </summary>
public sealed class PlatformRow
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The platform above: the root's code, or another sub-centre's.</summary>
    public string? ParentCode { get; set; }
    public bool Disabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

/// <summary>A file attached to a case: kept in the database so that app nodes stay stateless.</summary>
public sealed class Attachment
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid CaseId { get; set; }
    public string FileName { get; set; } = "";
    public string ContentType { get; set; } = "";
    public long Size { get; set; }
    public byte[] Content { get; set; } = [];
    public string UploadedBy { get; set; } = "";
    public DateTimeOffset UploadedAt { get; set; }
    /// <summary>A JPEG thumbnail for an image (Features/Attachments/Thumbnails); null for a PDF.</summary>
    public byte[]? Thumbnail { get; set; }
}

public sealed class CaseNumberSequence
{
    public string Platform { get; set; } = "";
    public string Day { get; set; } = "";
    public int LastValue { get; set; }
}

public sealed class DataProtectionKey
{
    public int Id { get; set; }
    public string FriendlyName { get; set; } = "";
    public string Xml { get; set; } = "";
}
