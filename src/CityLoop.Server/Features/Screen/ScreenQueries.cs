using System.Globalization;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Screen;

public sealed record ScreenFigureDto(string Indicator, string Name, string How, decimal? Value, long Numerator, long? Denominator, string Unit);

public sealed record ScreenCountDto(string Key, string Label, long Count);

public sealed record ScreenTrendDto(IReadOnlyList<string> Days, IReadOnlyList<long> Received, IReadOnlyList<long> Closed, string ReceivedName, string ClosedName);

public sealed record ScreenCaseDto(Guid Id, string Number, DateTimeOffset CreatedAt, string LocalTime, string Category, string Place, string State, string Light);

/// <summary>
/// What the wall screen and the desks' dashboards show, for the whole platform or one department: today's reports by
/// channel, open, red and overdue cases now, the month's headline rates (each with its definition), a 30-day trend,
/// the department ranking, open cases per grid for the heat map, and the latest cases. Figures come from the same
/// indicator catalogue and fact table as every report, so a number on the screen and in a report agree; the case
/// counts of "now" come from the cases themselves. Nothing personal is in it: no reporter, no description.
/// </summary>
public sealed record ScreenSnapshotDto(DateTimeOffset At, string LocalTime, string? Department, string? DepartmentName,
    long ReceivedToday, IReadOnlyList<ScreenCountDto> TodayBySource, long Open, long Red, long Overdue,
    IReadOnlyList<ScreenFigureDto> Month, ScreenTrendDto Trend, IReadOnlyList<ScreenFigureRowDto> Departments,
    IReadOnlyList<ScreenCountDto> Grids, IReadOnlyList<ScreenCaseDto> Latest, int RefreshSeconds);

public sealed record ScreenFigureRowDto(string Code, string Name, decimal? Value, long Numerator, long? Denominator);

public sealed class ScreenOptions
{
    /// <summary>How often the screen and the dashboards fetch fresh figures.</summary>
    public int RefreshSeconds { get; set; } = 30;
}

public sealed class ScreenQueries(CityLoopDb db, IndicatorQueries indicators, ReferenceCache reference, TimeProvider clock,
    IOptions<PlatformOptions> platform, IOptions<ScreenOptions> options)
{
    /// <summary>The wall screen's viewers: the display account and the centre's leaders.</summary>
    public static readonly IReadOnlySet<Role> ScreenViewers = new HashSet<Role> { Role.Display, Role.Supervisor, Role.ShiftLeader, Role.Dispatcher };

    /// <summary>Who has a dashboard: the centre's desks (the city's figures) and the departments (their own).</summary>
    public static readonly IReadOnlySet<Role> DashboardViewers = new HashSet<Role>
    {
        Role.Supervisor, Role.ShiftLeader, Role.Dispatcher, Role.HotlineAgent, Role.IntakeOperator, Role.DepartmentHandler, Role.DepartmentHead,
    };

    /// <summary>The month's headline figures, in the order the screen shows them.</summary>
    public static readonly string[] MonthFigures = ["reported", "completion-rate", "disposed-on-time-rate", "satisfaction-rate"];

    /// <summary>The open states as the case list's <c>state</c> filter, for the drill-down links of the open and overdue counts.</summary>
    public static string OpenStates => string.Join(',', Enum.GetValues<CaseState>().Where(s => !CaseStates.Terminal.Contains(s)).Select(s => Domain.Kebab.From(s.ToString())));

    public static void AuthorizeScreen(Actor actor)
    {
        if (!actor.Roles.Any(ScreenViewers.Contains))
            throw new CaseForbiddenException("The wall screen is for the display account, supervisors, shift leaders and dispatchers.");
    }

    /// <summary>The platform's figures, or one department's where <paramref name="department"/> is given.</summary>
    /// <remarks>A sub-centre's screen (<paramref name="platformCode"/>) shows that platform's figures and cases only (decision 026).</remarks>
    public async Task<ScreenSnapshotDto> SnapshotAsync(string? department, CancellationToken ct, string? platformCode = null)
    {
        var zone = platform.Value.Zone;
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        IndicatorSlice Slice(DateOnly from, DateOnly to) => new(Day(from), Day(to), platformCode, department, null, null, null, null);

        var received = IndicatorCatalogue.Find("reported")!;
        var todayValue = await indicators.ValueAsync(received, Slice(today, today), "source", ct);
        var bySource = (todayValue.Groups ?? []).Where(g => g.Numerator > 0)
            .Select(g => new ScreenCountDto(g.Key ?? "", g.Key is { } k && Domain.Kebab.TryParse<CaseSource>(k, out var s) ? Labels.Source(s) : g.Key ?? "—", g.Numerator))
            .OrderByDescending(g => g.Count).ToList();

        var month = new List<ScreenFigureDto>();
        foreach (var id in MonthFigures)
        {
            var def = IndicatorCatalogue.Find(id)!;
            var v = await indicators.ValueAsync(def, Slice(monthStart, today), null, ct);
            month.Add(new ScreenFigureDto(def.Id, Ui.Pick(def.NameZh, def.NameEn), Ui.Pick(def.HowZh, def.HowEn), v.Value, v.Numerator, v.Denominator,
                Domain.Kebab.From(def.Unit.ToString())));
        }

        var first = today.AddDays(-29);
        var closedDef = IndicatorCatalogue.Find("archived")!;
        var trendIn = await indicators.ValueAsync(received, Slice(first, today), "day", ct);
        var trendOut = await indicators.ValueAsync(closedDef, Slice(first, today), "day", ct);
        var trend = new ScreenTrendDto(
            (trendIn.Groups ?? []).Select(g => g.Key ?? "").ToList(),
            (trendIn.Groups ?? []).Select(g => g.Numerator).ToList(),
            (trendOut.Groups ?? []).Select(g => g.Numerator).ToList(),
            Ui.Pick(received.NameZh, received.NameEn), Ui.Pick(closedDef.NameZh, closedDef.NameEn));

        var names = await db.DepartmentNamesAsync(ct);
        var ranking = new List<ScreenFigureRowDto>();
        if (department is null)
        {
            var onTime = await indicators.ValueAsync(IndicatorCatalogue.Find("disposed-on-time-rate")!, Slice(monthStart, today), "department", ct);
            ranking = (onTime.Groups ?? []).Where(g => g.Key is not null && g.Denominator > 0)
                .Select(g => new ScreenFigureRowDto(g.Key!, names.GetValueOrDefault(g.Key!) ?? g.Key!, g.Value, g.Numerator, g.Denominator))
                .OrderByDescending(r => r.Value).ThenByDescending(r => r.Denominator).ThenBy(r => r.Code, StringComparer.Ordinal).Take(10).ToList();
        }

        // The same cases the department's list shows (lead, team or assisting), so a count and its list agree.
        var scoped = db.Cases.AsNoTracking();
        if (platformCode is not null) scoped = scoped.Where(c => c.PlatformCode == platformCode);
        if (department is not null)
        {
            var pattern = "%," + department + ",%";
            scoped = scoped.Where(c => c.LeadDepartmentCode == department || c.AssignedTeam == department
                || (c.AssistingDepartmentCodes != "" && EF.Functions.Like(c.AssistingDepartmentCodes, pattern)));
        }
        // The open states named (state IN …), so that the state index finds the open cases rather than every case being
        // read to exclude the closed ones (at 10 million cases, the difference between milliseconds and seconds).
        var openStates = Enum.GetValues<CaseState>().Where(s => !CaseStates.Terminal.Contains(s)).ToArray();
        var open = scoped.Where(c => openStates.Contains(c.State));
        var openCount = await open.LongCountAsync(ct);
        var red = await CaseQueries.WithLight(scoped, CaseLight.Red, now).LongCountAsync(ct);
        var overdue = await open.LongCountAsync(c => c.IsOverdue, ct);
        var grids = (await open.Where(c => c.GridCode != null).GroupBy(c => c.GridCode!)
                .Select(g => new { g.Key, Count = g.LongCount() }).ToListAsync(ct))
            .Select(g => new ScreenCountDto(g.Key, g.Key, g.Count)).OrderByDescending(g => g.Count).ToList();

        var latest = await scoped.OrderByDescending(c => c.CreatedAt).Take(12).ToListAsync(ct);
        var catalogue = reference.Catalogue.Current;
        var latestRows = latest.Select(c => new ScreenCaseDto(c.Id, c.Number, c.CreatedAt,
            TimeZoneInfo.ConvertTime(c.CreatedAt, zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture),
            c.CategoryCode is { } k ? catalogue?.Find(k)?.Name ?? k : Labels.RequestType(c.RequestType),
            (c.CommunityCode ?? c.StreetCode) is { } area ? reference.Geo.Divisions.Find(area)?.Name ?? area : "—",
            Labels.State(c.State), CaseQueries.Light(c, now))).ToList();

        return new ScreenSnapshotDto(now, TimeZoneInfo.ConvertTime(now, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            department, department is null ? null : names.GetValueOrDefault(department) ?? department,
            todayValue.Numerator, bySource, openCount, red, overdue, month, trend, ranking, grids, latestRows,
            Math.Clamp(options.Value.RefreshSeconds, 5, 3600));
    }
}
