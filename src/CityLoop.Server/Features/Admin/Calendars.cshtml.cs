using System.Globalization;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Platforms;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Admin;

/// <summary>
/// A year of one calendar, for the system administrator of its platform (decision 026): every day working or not,
/// the holidays and adjusted working days, and the calendar's own exceptions to add, remove or import. The scopes
/// offered are the administrator's platform's: its working calendar, its command centre's, and its departments'.
/// </summary>
public sealed class CalendarsModel(CurrentActor current, PlatformRegistry platforms, ReferenceAdmin reference, ReferenceCache cache, CityLoopDb db,
    TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Scope { get; set; }
    [BindProperty(SupportsGet = true)] public int? Year { get; set; }
    [BindProperty] public DateOnly? Date { get; set; }
    [BindProperty] public string? Kind { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Lines { get; set; }

    public sealed record ScopeOption(string Scope, string Label);

    public IReadOnlyList<ScopeOption> Scopes { get; private set; } = [];
    public CalendarDto? Calendar { get; private set; }
    public WorkingCalendar? Working { get; private set; }
    /// <summary>The scope's own exceptions of the year (inherited ones come from the platform's calendar).</summary>
    public IReadOnlyList<CalendarExceptionRow> Own { get; private set; } = [];
    public int ShownYear { get; private set; }
    public string? Done { get; private set; }
    public DeskError? Error { get; private set; }

    public Task<IActionResult> OnGetAsync(CancellationToken ct) => Run(_ => Task.FromResult<string?>(null), ct);

    public Task<IActionResult> OnPostAddAsync(CancellationToken ct) => Run(async a =>
    {
        if (Date is not { } date) throw Domain.Cases.CaseValidationException.Single("date", Ui.Pick("请选择日期。", "Choose a date."));
        var kept = (await OwnAsync(date.Year, ct)).Where(e => e.Date != date)
            .Select(e => new CalendarExceptionDto(e.Date, e.Kind, e.Name)).ToList();
        kept.Add(new CalendarExceptionDto(date, Kind == "workday" ? "workday" : "holiday", string.IsNullOrWhiteSpace(Name) ? (Kind == "workday" ? Ui.Pick("调休上班", "Working day (swapped)") : Ui.Pick("假日", "Holiday")) : Name.Trim()));
        await Save(a, kept, date.Year, ct);
        Year = date.Year;
        return Ui.Pick($"已保存 {date:yyyy-MM-dd}。已有案件的期限不变，需要时请重算期限。", $"{date:yyyy-MM-dd} saved. Deadlines already set stay until they are recomputed.");
    }, ct);

    public Task<IActionResult> OnPostRemoveAsync(CancellationToken ct) => Run(async a =>
    {
        if (Date is not { } date) throw Domain.Cases.CaseValidationException.Single("date", Ui.Pick("请选择日期。", "Choose a date."));
        var kept = (await OwnAsync(date.Year, ct)).Where(e => e.Date != date).Select(e => new CalendarExceptionDto(e.Date, e.Kind, e.Name)).ToList();
        await Save(a, kept, date.Year, ct);
        Year = date.Year;
        return Ui.Pick($"已删除 {date:yyyy-MM-dd} 的调整。", $"The change on {date:yyyy-MM-dd} is removed.");
    }, ct);

    /// <summary>Lines "yyyy-MM-dd,holiday|workday,name" replace the calendar's own exceptions of the years they name.</summary>
    public Task<IActionResult> OnPostImportAsync(CancellationToken ct) => Run(async a =>
    {
        var list = new List<CalendarExceptionDto>();
        var n = 0;
        foreach (var raw in (Lines ?? "").Split('\n'))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split([',', '，', '\t'], 3, StringSplitOptions.TrimEntries);
            if (!DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                || parts.Length < 2 || parts[1] is not ("holiday" or "workday"))
                throw Domain.Cases.CaseValidationException.Single("lines", Ui.Pick($"第 {n} 行应为“日期,holiday 或 workday,名称”。", $"Line {n} should read 'date,holiday or workday,name'."));
            list.Add(new CalendarExceptionDto(date, parts[1], parts.Length > 2 && parts[2].Length > 0 ? parts[2] : parts[1] == "holiday" ? Ui.Pick("假日", "Holiday") : Ui.Pick("调休上班", "Working day (swapped)")));
        }
        if (list.Count == 0) throw Domain.Cases.CaseValidationException.Single("lines", Ui.Pick("没有可导入的日期。", "There are no dates to import."));
        await Save(a, list, null, ct);
        Year = list[0].Date.Year;
        return Ui.Pick($"已导入 {list.Count} 个日期。", $"{list.Count} dates imported.");
    }, ct);

    async Task Save(Actor actor, List<CalendarExceptionDto> exceptions, int? year, CancellationToken ct) =>
        await reference.SaveCalendarAsync(Scope!, new CalendarUpdate(null, null, null, exceptions), actor, ct, year);

    async Task<List<CalendarExceptionRow>> OwnAsync(int year, CancellationToken ct)
    {
        DateOnly from = new(year, 1, 1), to = new(year + 1, 1, 1);
        var scope = Scope!;
        return await db.Set<CalendarExceptionRow>().AsNoTracking().Where(e => e.Scope == scope && e.Date >= from && e.Date < to).OrderBy(e => e.Date).ToListAsync(ct);
    }

    async Task<IActionResult> Run(Func<Actor, Task<string?>> action, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.SystemAdmin)) return Forbid();
        Scopes = await ScopesAsync(actor, ct);
        if (string.IsNullOrWhiteSpace(Scope) || Scopes.All(s => s.Scope != Scope)) Scope = Scopes[0].Scope;
        try
        {
            Done = await action(actor);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
        }
        ShownYear = Year is >= 2000 and <= 2100 ? Year.Value : TimeZoneInfo.ConvertTime(clock.GetUtcNow(), WorkingCalendar.ChinaTimeZone()).Year;
        Calendar = await reference.CalendarAsync(Scope, ShownYear, ct);
        Working = WorkingOf(Scope);
        Own = await OwnAsync(ShownYear, ct);
        return Page();
    }

    WorkingCalendar WorkingOf(string scope)
    {
        var calendars = cache.Calendars;
        var platformPrefix = CalendarRow.PlatformScope + ":";
        var centrePrefix = CalendarRow.CentreScope + ":";
        return scope switch
        {
            CalendarRow.PlatformScope => calendars.Platform,
            CalendarRow.CentreScope => calendars.Centre,
            _ when scope.StartsWith(platformPrefix, StringComparison.Ordinal) => calendars.PlatformOf(scope[platformPrefix.Length..]),
            _ when scope.StartsWith(centrePrefix, StringComparison.Ordinal) => calendars.CentreOf(scope[centrePrefix.Length..]),
            _ => calendars.For(scope),
        };
    }

    /// <summary>The calendars of the administrator's platform (at the root, of every platform).</summary>
    async Task<IReadOnlyList<ScopeOption>> ScopesAsync(Actor actor, CancellationToken ct)
    {
        var list = new List<ScopeOption>();
        foreach (var p in await platforms.VisibleAsync(actor, ct))
        {
            list.Add(new(p.Root ? CalendarRow.PlatformScope : CalendarSnapshot.PlatformScopeOf(p.Code), $"{p.Name} · {Ui.Pick("工作日历", "working calendar")}"));
            list.Add(new(p.Root ? CalendarRow.CentreScope : CalendarSnapshot.CentreScopeOf(p.Code), $"{p.Name} · {Ui.Pick("指挥中心日历", "command centre")}"));
        }
        foreach (var d in await platforms.DepartmentsAsync(actor, null, ct))
            list.Add(new(d.Code, $"{d.Name}（{d.Code}）"));
        return list;
    }
}
