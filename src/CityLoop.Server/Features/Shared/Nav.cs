using System.Security.Claims;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Features.Notifications;

namespace CityLoop.Server.Features.Shared;

/// <summary>What the top bar offers the signed-in user: the desks their roles open, and their unread notifications.</summary>
public sealed class Nav(CityLoopDb db, CityLoop.Server.Features.Reference.ReferenceCache reference, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<CityLoop.Server.Features.Cases.PlatformOptions> platform, Identity.CurrentActor current)
{
    HomePlatform? _home;

    /// <summary>
    /// The platform the signed-in person works for (decision 026): a sub-centre's staff see its name in the header, the
    /// page titles, the wall screen and their dashboards; the root's staff the city platform's. Null when signed out.
    /// </summary>
    public async Task<HomePlatform?> HomeAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        if (_home is not null) return _home;
        Actor actor;
        try
        {
            actor = await current.GetAsync();
        }
        catch (Identity.UnauthenticatedException)
        {
            return null;
        }
        if (actor.PlatformCode is not { } code) return _home = new HomePlatform(platform.Value.Code, null);
        var name = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            db.Set<PlatformRow>().Where(p => p.Code == code).Select(p => p.Name), ct);
        return _home = new HomePlatform(code, name ?? code);
    }

    /// <summary>Whether the signed-in person works for the root platform (the city): they keep the deployment-wide powers.</summary>
    public async Task<bool> AtRootAsync(ClaimsPrincipal user, CancellationToken ct = default) => (await HomeAsync(user, ct))?.Root ?? true;

    static readonly Role[] SupervisionDesk = [Role.Supervisor, Role.ShiftLeader, Role.DepartmentHandler, Role.DepartmentHead];

    public static IReadOnlySet<Role> RolesOf(ClaimsPrincipal user) =>
        user.FindAll(ClaimTypes.Role).Select(c => Roles.TryParse(c.Value, out var r) ? r : (Role?)null).OfType<Role>().ToHashSet();

    public static bool Cases(ClaimsPrincipal user) => RolesOf(user).Any(Roles.CaseReaders.Contains);
    public static bool Supervision(ClaimsPrincipal user) => RolesOf(user).Any(SupervisionDesk.Contains);
    public static bool FollowUps(ClaimsPrincipal user) => RolesOf(user).Any(FollowUpEndpoints.Readers.Contains);
    public static bool Figures(ClaimsPrincipal user) => RolesOf(user).Any(Indicators.RankingQueries.Readers.Contains);
    public static bool ReferenceAdmin(ClaimsPrincipal user) => RolesOf(user).Contains(Role.SystemAdmin);
    public static bool Desk(ClaimsPrincipal user) => RolesOf(user).Any(Roles.ReporterContact.Contains);
    public static bool Knowledge(ClaimsPrincipal user) => RolesOf(user).Any(r => r == Role.KnowledgeEditor || Roles.CaseReaders.Contains(r));
    public static bool Screen(ClaimsPrincipal user) => RolesOf(user).Any(Features.Screen.ScreenQueries.ScreenViewers.Contains);
    public static bool Dashboard(ClaimsPrincipal user) => RolesOf(user).Any(Features.Screen.ScreenQueries.DashboardViewers.Contains);
    public static bool Administration(ClaimsPrincipal user) => AdminLanding(user) is not null;
    public static bool DispatchDesk(ClaimsPrincipal user) => RolesOf(user).Contains(Role.Dispatcher);
    public static bool Inbox(ClaimsPrincipal user) => RolesOf(user).Any(Roles.DepartmentBound.Contains);
    public static bool Queue(ClaimsPrincipal user) => RolesOf(user).Any(r => r is Role.IntakeOperator or Role.ShiftLeader);

    /// <summary>Where a signed-in user starts (Features/Index: the screen, the overview, the map desk, the inbox or the case list).</summary>
    public static string Home(ClaimsPrincipal user) => Home(RolesOf(user));

    public static string Home(IReadOnlySet<Role> roles) => Features.IndexModel.Landing(roles);

    /// <summary>Where an administrator starts: the audit administrator on the trail, the other two on the accounts.</summary>
    public static string? AdminLanding(ClaimsPrincipal user)
    {
        var roles = RolesOf(user);
        return roles.Contains(Role.SystemAdmin) || roles.Contains(Role.SecurityAdmin) ? "/admin/users"
            : roles.Contains(Role.AuditAdmin) ? "/admin/audit" : null;
    }

    /// <summary>The inspector's phone pages, for anyone who holds the inspector role.</summary>
    public static bool Patrol(ClaimsPrincipal user) => RolesOf(user).Contains(Role.Inspector);

    /// <summary>Patrol tracks and 漏报 of the inspectors (supervisors and the command centre).</summary>
    public static bool Tracks(ClaimsPrincipal user) => Features.Patrol.TracksModel.MayRead(RolesOf(user));

    public static bool CitizenRequests(ClaimsPrincipal user) => RolesOf(user).Contains(Privacy.CitizenData.RequestRole);

    /// <summary>For the system administrator: the years whose holidays are not loaded yet (next year's from 1 November).</summary>
    public IReadOnlyList<int> MissingHolidayYears(ClaimsPrincipal user) =>
        ReferenceAdmin(user) ? HolidayWatch.MissingYears(reference.Calendars.Platform, clock.GetUtcNow(), platform.Value.Zone) : [];

    /// <summary>Unread in-app notifications; API-key principals have no inbox.</summary>
    public async Task<int> UnreadAsync(ClaimsPrincipal user, CancellationToken ct = default) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var me) ? await NotificationEndpoints.UnreadCountAsync(db, me, ct) : 0;
}

/// <summary>The platform a person works for: the root (no sub-centre name) or a sub-centre with its registered name.</summary>
public sealed record HomePlatform(string Code, string? SubCentreName)
{
    public bool Root => SubCentreName is null;
}
