using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Clock;
using CityLoop.Server.Features.Reference;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Clocks;

/// <summary>
/// The working clock from the reference tables: calendars per department, and the handling limit from the
/// filing condition of the catalogue version the case was filed under (the chosen condition, else the category's
/// first), else the hotline limit of its request type, else the platform defaults.
/// </summary>
public sealed class CatalogueWorkingClock(ReferenceCache cache, IOptions<ClockOptions> options) : DefaultWorkingClock(options), IWorkingClock
{
    public override WorkingCalendar CalendarFor(string? departmentCode) => cache.Calendars.For(departmentCode);

    public override WorkingCalendar CentreCalendar => cache.Calendars.Centre;

    public WorkingCalendar PlatformCalendar(string? platformCode) => cache.Calendars.PlatformOf(platformCode);

    public WorkingCalendar CentreCalendarOf(string? platformCode) => cache.Calendars.CentreOf(platformCode);

    public override TimeLimit? LimitFor(Case c, CasePhase phase)
    {
        if (phase != CasePhase.Handling) return base.LimitFor(c, phase);
        var catalogue = cache.Catalogue.For(c.CatalogueVersion);
        var condition = (c.FilingStandardItem is { } item ? catalogue?.FindCondition(item) : null)
            ?? (c.CategoryCode is { } key ? catalogue?.Find(key)?.Conditions.FirstOrDefault() : null);
        var text = condition?.TimeLimit
            ?? catalogue?.TimeLimitFor(c.RequestType)?.TimeLimit;
        return TimeLimit.TryParse(text, out var limit) ? limit : base.LimitFor(c, phase);
    }
}
