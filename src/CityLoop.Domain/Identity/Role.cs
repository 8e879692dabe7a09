namespace CityLoop.Domain.Identity;

/// <summary>
/// Who may act. People hold one or more of the staff and administrator roles; machine channels act as
/// system principals with exactly one channel role each, so every event says which channel acted.
/// </summary>
public enum Role
{
    HotlineAgent,
    IntakeOperator,
    ShiftLeader,
    Dispatcher,
    DepartmentHandler,
    DepartmentHead,
    Inspector,
    Supervisor,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
    /// <summary>知识库编辑: writes and maintains the knowledge base the hotline answers from.</summary>
    KnowledgeEditor,
    /// <summary>大屏展示: the command centre's wall screen; reads the screen's figures and nothing else.</summary>
    Display,

    // System principals of the machine channels and workers.
    PortalChannel,
    CameraChannel,
    Open311Client,
    PeerPlatform,
    Importer,
    BackgroundWorker,
    /// <summary>The telephone system (CTI) that reports calls to the hotline.</summary>
    Telephony,
}

public static class Roles
{
    public static readonly IReadOnlySet<Role> Administrators = new HashSet<Role> { Role.SystemAdmin, Role.SecurityAdmin, Role.AuditAdmin };

    public static readonly IReadOnlySet<Role> SystemPrincipals = new HashSet<Role>
    {
        Role.PortalChannel, Role.CameraChannel, Role.Open311Client, Role.PeerPlatform, Role.Importer, Role.BackgroundWorker, Role.Telephony,
    };

    /// <summary>Roles bound to one department: they see and act on that department's cases only.</summary>
    public static readonly IReadOnlySet<Role> DepartmentBound = new HashSet<Role> { Role.DepartmentHandler, Role.DepartmentHead };

    /// <summary>Roles that talk to the citizen and therefore see the reporter's phone and identity in clear.</summary>
    public static readonly IReadOnlySet<Role> ReporterContact = new HashSet<Role> { Role.HotlineAgent, Role.IntakeOperator };

    /// <summary>Roles that may reveal a masked (non-confidential) reporter, each time audited.</summary>
    public static readonly IReadOnlySet<Role> MayUnmask = new HashSet<Role>
    {
        Role.ShiftLeader, Role.Dispatcher, Role.DepartmentHandler, Role.DepartmentHead, Role.Supervisor,
    };

    /// <summary>Staff roles that read cases at all (administrators manage the system, not cases).</summary>
    public static readonly IReadOnlySet<Role> CaseReaders = new HashSet<Role>
    {
        Role.HotlineAgent, Role.IntakeOperator, Role.ShiftLeader, Role.Dispatcher, Role.DepartmentHandler,
        Role.DepartmentHead, Role.Inspector, Role.Supervisor,
    };

    public static string ToKebab(this Role role) => Kebab.From(role.ToString());

    public static bool TryParse(string? text, out Role role)
    {
        role = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        foreach (var r in Enum.GetValues<Role>())
        {
            if (string.Equals(r.ToKebab(), text, StringComparison.OrdinalIgnoreCase)
                || string.Equals(r.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                role = r;
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// The one who performs an action: a person acting in a role, or a named system principal. <see cref="PlatformCode"/>
/// is the sub-centre a person works for (decision 026): they see and act on that platform's cases only; null is the
/// root platform, whose staff see and act on every platform of the deployment.
/// </summary>
public sealed record Actor(string Id, string Name, IReadOnlySet<Role> Roles, string? DepartmentCode, bool IsSystem = false, string? PlatformCode = null)
{
    public bool Has(Role role) => Roles.Contains(role);

    /// <summary>Whether this actor works for the root platform (not confined to one sub-centre).</summary>
    public bool AtRoot => PlatformCode is null;
}
