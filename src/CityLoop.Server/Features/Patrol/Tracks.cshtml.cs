using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Inspector;
using CityLoop.Server.Features.Maps;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Patrol;

/// <summary>A case someone else reported in the inspector's grids while the inspector was on duty (漏报), with its point.</summary>
public sealed record MissedOnMap(MissedCaseDto Case, string? Title, double? Lat, double? Lon);

/// <summary>
/// The supervisors' view of one inspector's local day (decision record 028): the patrol track on the map, shift by
/// shift, with the distance and hours on duty, and the 漏报 — the same PatrolService reads as
/// GET /api/v1/inspectors/{user}/track and /missed, so the page and the API give the same numbers.
/// </summary>
public sealed class TracksModel(CurrentActor current, PatrolService patrol, CityLoopDb db, TimeProvider clock, IOptions<PlatformOptions> platform,
    IOptions<MapOptions> map) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Inspector { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? Day { get; set; }

    public IReadOnlyList<(string UserName, string Name)> Inspectors { get; private set; } = [];
    public TrackDto? Track { get; private set; }
    public MissedDto? Missed { get; private set; }
    public IReadOnlyList<MissedOnMap> MissedCases { get; private set; } = [];
    public DeskError? Error { get; private set; }
    public MapOptions Map => map.Value;
    public DateOnly Today { get; private set; }

    public static bool MayRead(IEnumerable<Role> roles) => roles.Any(PatrolService.TrackReaders.Contains);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!MayRead(actor.Roles)) return Forbid();
        var zone = platform.Value.Zone;
        Today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        Day ??= Today;
        // A sub-centre's readers pick among their own platform's inspectors (decision 026); the root's among all.
        var platformCode = actor.PlatformCode;
        var users = await db.Users.AsNoTracking().Where(u => platformCode == null || u.PlatformCode == platformCode)
            .OrderBy(u => u.UserName).Select(u => new { u.UserName, u.DisplayName, u.Roles }).ToListAsync(ct);
        Inspectors = users.Where(u => CityLoop.Server.Data.User.ParseRoles(u.Roles).Contains(Role.Inspector))
            .Select(u => (u.UserName, string.IsNullOrEmpty(u.DisplayName) ? u.UserName : u.DisplayName)).ToList();
        Inspector ??= Inspectors.FirstOrDefault().UserName;
        if (Inspector is null) return Page();
        // The local day, as instants.
        var start = Day.Value.ToDateTime(TimeOnly.MinValue);
        var from = new DateTimeOffset(start, zone.GetUtcOffset(start));
        var next = start.AddDays(1);
        var to = new DateTimeOffset(next, zone.GetUtcOffset(next));
        try
        {
            Track = await patrol.TrackAsync(actor, Inspector, from, to, ct);
            Missed = await patrol.MissedAsync(actor, Inspector, from, to, "day", ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            Response.StatusCode = ex is Infrastructure.NotFoundException ? 404 : 403;
            return Page();
        }
        var ids = Missed.Cases.Select(c => c.Id).ToArray();
        var points = await db.Cases.AsNoTracking().Where(c => ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Title, c.Description, c.Latitude, c.Longitude }).ToDictionaryAsync(c => c.Id, ct);
        MissedCases = Missed.Cases.Select(c => points.TryGetValue(c.Id, out var p)
            ? new MissedOnMap(c, p.Title ?? p.Description, p.Latitude, p.Longitude) : new MissedOnMap(c, null, null, null)).ToList();
        return Page();
    }

    public string Hours(TrackShiftDto s)
    {
        var end = s.EndedAt ?? clock.GetUtcNow();
        return (end - s.StartedAt).TotalHours.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
