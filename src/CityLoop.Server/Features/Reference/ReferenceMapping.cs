using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Routing;
using CityLoop.Server.Features.Reference.Formats;
using NetTopologySuite.Geometries;

namespace CityLoop.Server.Features.Reference;

/// <summary>Rows ↔ domain values of the reference tables.</summary>
public static class ReferenceMapping
{
    public static IEnumerable<AdminDivision> Divisions(IEnumerable<AreaRow> rows) =>
        rows.Select(a => new AdminDivision(a.Code, a.Name, DivisionLevels.TryParse(a.Level, out var l) ? l : DivisionLevel.Community, a.ParentCode));

    public static UnitGrid ToGrid(GridRow g) => new(g.Code, g.CommunityCode, g.Name, (Polygon)GeoJson.ReadGeometry(g.Geometry));

    public static DivisionArea? ToOutline(AreaRow a) =>
        a.Geometry is null || !DivisionLevels.TryParse(a.Level, out var level) ? null : new DivisionArea(a.Code, a.Name, level, GeoJson.ReadGeometry(a.Geometry));

    public static CatalogueVersion ToCatalogue(CatalogueVersionRow v, IEnumerable<CategoryRow> categories,
        IEnumerable<FilingConditionRecord> conditions, IEnumerable<HotlineTimeLimitRow> hotline)
    {
        var byCategory = conditions.OrderBy(c => c.Ordinal).ToLookup(c => c.CategoryKey);
        var list = categories.OrderBy(c => c.Ordinal).Select(c =>
        {
            CategoryKey.TryParse(c.Key, out var kind, out _);
            return new Category(kind, c.Code, Enum.Parse<CategoryLevel>(c.Level, true), c.ParentCode, c.Name,
                byCategory[c.Key].Select(ToCondition).ToList());
        });
        var limits = hotline.Select(h => new HotlineTimeLimit(Enum.Parse<RequestType>(h.RequestType, true), h.Name, h.TimeLimit,
            Enum.Parse<ConditionSource>(h.Source, true)));
        return new CatalogueVersion(v.Version, v.CreatedAt, list, limits, v.Note);
    }

    public static FilingCondition ToCondition(FilingConditionRecord f) =>
        new(f.Code, f.Description, f.TimeLimit, f.ClosingStandard, f.LegalBasis, f.Notes, Enum.Parse<ConditionSource>(f.Source, true));

    /// <summary>The rows of one catalogue version, in catalogue order.</summary>
    public static (List<CategoryRow>, List<FilingConditionRecord>, List<HotlineTimeLimitRow>) ToRows(int version,
        IEnumerable<Category> categories, IEnumerable<HotlineTimeLimit> limits)
    {
        var cats = new List<CategoryRow>();
        var conds = new List<FilingConditionRecord>();
        foreach (var c in categories)
        {
            cats.Add(new CategoryRow
            {
                Version = version, Key = c.Key, Kind = CatalogueCsv.KindText(c.Kind), Code = c.Code,
                Level = c.Level.ToString().ToLowerInvariant(), ParentCode = c.ParentCode, Name = c.Name, Ordinal = cats.Count,
            });
            foreach (var f in c.Conditions)
                conds.Add(new FilingConditionRecord
                {
                    Version = version, Code = f.Code, CategoryKey = c.Key, Description = f.Description, TimeLimit = f.TimeLimit,
                    ClosingStandard = f.ClosingStandard, LegalBasis = f.LegalBasis, Notes = f.Notes,
                    Source = f.Source.ToString().ToLowerInvariant(), Ordinal = conds.Count,
                });
        }
        var hot = limits.Select(h => new HotlineTimeLimitRow
        {
            Version = version, RequestType = h.RequestType.ToString().ToLowerInvariant(), Name = h.Name, TimeLimit = h.TimeLimit,
            Source = h.Source.ToString().ToLowerInvariant(),
        }).ToList();
        return (cats, conds, hot);
    }

    public static ResponsibilityRule ToRule(RuleRow r) =>
        new(r.Id, r.CategoryCode, Enum.Parse<RuleScopeKind>(r.ScopeKind), r.ScopeValue, r.Lead, SplitList(r.Assisting));

    public static RuleRow ToRow(ResponsibilityRule r) => new()
    {
        Id = r.Id, CategoryCode = r.CategoryCode, ScopeKind = r.ScopeKind.ToString(), ScopeValue = r.ScopeValue,
        Lead = r.LeadDepartment, Assisting = string.Join(';', r.AssistingDepartments),
    };

    public static string[] SplitList(string? text) =>
        (text ?? "").Split([';', '；', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The text forms of calendar rows: "monday=08:30-12:00,14:30-17:30;saturday=" (empty = closed).</summary>
public static class CalendarText
{
    static readonly WorkingPeriod[] OfficeHours = [new(new(8, 30), new(12, 0)), new(new(14, 30), new(17, 30))];

    public static WorkingCalendar Platform(CalendarRow? row, IEnumerable<CalendarExceptionRow> exceptions)
    {
        var list = exceptions.Select(ToException).ToList();
        // Until holidays are imported the platform uses the bundled State Council data rather than none at all.
        if (list.Count == 0) list = ChinaCalendar.Default().Exceptions.ToList();
        var weekly = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>(WorkingCalendarDefinition.MondayToFriday(OfficeHours));
        foreach (var (day, periods) in ParseWeekly(row?.Weekly)) weekly[day] = periods;
        return new WorkingCalendar(new WorkingCalendarDefinition(
            row?.TimeZone is { Length: > 0 } tz ? TimeZoneInfo.FindSystemTimeZoneById(tz) : WorkingCalendar.ChinaTimeZone(),
            weekly, list, row?.MakeUpDay is { } m ? ParsePeriods(m) : null) { DayRule = ParseDayRule(row?.DayRule) ?? WorkingDayRule.SameClockTime });
    }

    /// <summary>The command centre's calendar: 7×24 with no holidays unless its row or exceptions say otherwise.</summary>
    public static WorkingCalendar Centre(CalendarRow? row, IEnumerable<CalendarExceptionRow> exceptions)
    {
        var zone = row?.TimeZone is { Length: > 0 } tz ? TimeZoneInfo.FindSystemTimeZoneById(tz) : WorkingCalendar.ChinaTimeZone();
        var around = WorkingCalendarDefinition.AroundTheClock(zone);
        var weekly = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>(around.WeeklySchedule);
        foreach (var (day, periods) in ParseWeekly(row?.Weekly)) weekly[day] = periods;
        return new WorkingCalendar(new WorkingCalendarDefinition(zone, weekly, exceptions.Select(ToException).ToList(),
            row?.MakeUpDay is { } m ? ParsePeriods(m) : null) { DayRule = ParseDayRule(row?.DayRule) ?? WorkingDayRule.SameClockTime });
    }

    public static WorkingDayRule? ParseDayRule(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "same-time" or "same-clock-time" => WorkingDayRule.SameClockTime,
        "close-of-business" => WorkingDayRule.CloseOfBusiness,
        _ => throw new FormatException($"A working-day rule is same-time or close-of-business, not '{text}'."),
    };

    public static string DayRuleText(WorkingDayRule rule) => rule == WorkingDayRule.CloseOfBusiness ? "close-of-business" : "same-time";

    /// <summary>A department's changes, from its calendar row or else its working hours (weekdays); null when none.</summary>
    public static WorkingCalendarOverrides? Overrides(CalendarRow? row, IEnumerable<CalendarExceptionRow> exceptions, string? workingHours)
    {
        var extra = exceptions.Select(ToException).ToList();
        var weekly = row?.Weekly is { } w ? ParseWeekly(w)
            : !string.IsNullOrWhiteSpace(workingHours) ? WorkingCalendarDefinition.MondayToFriday(ParsePeriods(workingHours).ToArray()) : null;
        if (row is null && weekly is null && extra.Count == 0) return null;
        return new WorkingCalendarOverrides
        {
            TimeZone = row?.TimeZone is { Length: > 0 } tz ? TimeZoneInfo.FindSystemTimeZoneById(tz) : null,
            WeeklySchedule = weekly,
            MakeUpDaySchedule = row?.MakeUpDay is { } m ? ParsePeriods(m) : null,
            AdditionalExceptions = extra,
            DayRule = ParseDayRule(row?.DayRule),
        };
    }

    public static CalendarException ToException(CalendarExceptionRow e) =>
        new(e.Date, e.Kind == "workday" ? CalendarExceptionKind.MakeUpWorkday : CalendarExceptionKind.Holiday, e.Name);

    public static string KindText(CalendarExceptionKind kind) => kind == CalendarExceptionKind.MakeUpWorkday ? "workday" : "holiday";

    public static IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>> ParseWeekly(string? text)
    {
        var result = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>();
        foreach (var part in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq < 0 || !Enum.TryParse<DayOfWeek>(part[..eq].Trim(), true, out var day))
                throw new FormatException($"'{part}' is not 'weekday=HH:mm-HH:mm,…'.");
            result[day] = ParsePeriods(part[(eq + 1)..]);
        }
        return result;
    }

    public static string FormatWeekly(IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>> weekly) =>
        string.Join(';', weekly.OrderBy(kv => ((int)kv.Key + 6) % 7).Select(kv => $"{kv.Key.ToString().ToLowerInvariant()}={FormatPeriods(kv.Value)}"));

    public static IReadOnlyList<WorkingPeriod> ParsePeriods(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(WorkingPeriod.Parse).ToList();

    public static string FormatPeriods(IEnumerable<WorkingPeriod> periods) => string.Join(',', periods);
}
