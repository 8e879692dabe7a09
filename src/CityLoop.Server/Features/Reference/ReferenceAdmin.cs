using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

public sealed record RoutingDto(string? LeadDepartment, string? LeadDepartmentName, IReadOnlyList<string> AssistingDepartments,
    string? RuleId, string? Scope, string Basis, string Explanation, string? ReturnedBy = null, string? ReturnReason = null, string? Warning = null,
    string? ExplanationEn = null)
{
    /// <summary>The explanation in the user's language.</summary>
    public string Why => Shared.Ui.Pick(Explanation, ExplanationEn ?? Explanation);
}

public sealed record RoutingGapDto(string CategoryCode, string CategoryName, string AreaCode, string? AreaName);

public sealed record CalendarExceptionDto(DateOnly Date, string Kind, string Name);

public sealed record CalendarDto(string Scope, string? Name, string TimeZone, IReadOnlyDictionary<string, IReadOnlyList<string>> Weekly,
    IReadOnlyList<string> MakeUpDay, bool Overridden, IReadOnlyList<CalendarExceptionDto> Exceptions, string DayRule = "same-time");

/// <summary>Weekly hours per day name ("monday": ["08:30-12:00", …]); exceptions replace the stored ones of the years they cover.</summary>
public sealed record CalendarUpdate(string? TimeZone, IReadOnlyDictionary<string, IReadOnlyList<string>>? Weekly, IReadOnlyList<string>? MakeUpDay,
    IReadOnlyList<CalendarExceptionDto>? Exceptions, string? DayRule = null);

public sealed record RecomputeResult(int OpenCases, int Moved, int Kept);

public sealed record PlaceDto(Guid Id, string Name, IReadOnlyList<string> Aliases, double Lat, double Lon, string? CommunityCode, string? CommunityName);

public sealed record PlacePageDto(IReadOnlyList<PlaceDto> Items, int Total, int Page, int PageSize);

/// <summary>Routing suggestions and gaps, calendar edits and the explicit recomputation of open cases' deadlines.</summary>
public sealed class ReferenceAdmin(CityLoopDb db, ReferenceCache cache, Audit audit, TimeProvider clock, CaseCommands commands,
    Microsoft.Extensions.Options.IOptions<PlatformOptions> platform)
{
    /// <summary>The <c>platform_code</c> column's value for a platform code: NULL for the root.</summary>
    string? Column(string platformCode) => platformCode == platform.Value.Code ? null : platformCode;

    /// <summary>
    /// Who should handle the case: by the rules of the case's own platform (decision 026, addendum), naming only that
    /// platform's departments in use — a suggestion the dispatch check would refuse is not made.
    /// </summary>
    public async Task<RoutingDto> SuggestAsync(Case c, CancellationToken ct = default)
    {
        var column = Column(c.PlatformCode);
        var departments = await db.Departments.AsNoTracking().Select(d => new { d.Code, d.Name, d.PlatformCode }).ToListAsync(ct);
        var names = departments.ToDictionary(d => d.Code, d => d.Name);
        var foreign = departments.Where(d => d.PlatformCode != column).Select(d => d.Code).ToHashSet();
        RoutingSuggestion suggestion;
        if (c.CategoryCode is not { } key)
            suggestion = new RoutingSuggestion(null, [], null, null, SuggestionBasis.None, "案件尚未分类，无法给出派遣建议")
            {
                ExplanationEn = "The case has no category yet: no routing can be suggested",
            };
        else
        {
            var maintainer = c.ComponentId is { } id
                ? await db.Set<ComponentRow>().Where(x => x.Id == id).Select(x => x.MaintainerDepartment).FirstOrDefaultAsync(ct)
                : null;
            var name = cache.Catalogue.For(c.CatalogueVersion)?.Find(key)?.Name ?? key;
            suggestion = cache.RoutingOf(column).Suggest(new RoutingQuery(key, name, c.ComponentId, maintainer, c.GridCode, c.StreetCode, c.DistrictCode));
            // The component register may name another platform's maintainer: not this case's to dispatch to.
            if (suggestion.LeadDepartment is { } suggested && foreign.Contains(suggested))
                suggestion = new RoutingSuggestion(null, [], null, null, SuggestionBasis.None,
                    $"建议的单位 {suggested} 不是本案件所在平台的单位，请人工派遣")
                {
                    ExplanationEn = $"The suggested department {suggested} is not a department of this case's platform: choose the department",
                };
            else if (suggestion.AssistingDepartments.Any(foreign.Contains))
                suggestion = suggestion with { AssistingDepartments = suggestion.AssistingDepartments.Where(a => !foreign.Contains(a)).ToList() };
        }
        var (returnedBy, reason) = await LastReturnAsync(c.Id, ct);
        string? warning = null;
        if (returnedBy is not null && returnedBy == suggestion.LeadDepartment)
        {
            var name = names.GetValueOrDefault(returnedBy, returnedBy);
            warning = Shared.Ui.Pick($"建议的主办单位“{name}”刚以不属于本单位职责为由退回了本案件{(reason is null ? "" : "（" + reason + "）")}，请核实后再派遣。",
                $"The suggested lead department '{name}' has just returned this case as not its duty{(reason is null ? "" : " (" + reason + ")")}: check before dispatching.");
        }
        return new RoutingDto(suggestion.LeadDepartment, suggestion.LeadDepartment is { } lead ? names.GetValueOrDefault(lead) : null,
            suggestion.AssistingDepartments, suggestion.RuleId, suggestion.Scope is { } s ? Domain.Kebab.From(s.ToString()) : null,
            Domain.Kebab.From(suggestion.Basis.ToString()), suggestion.Explanation, returnedBy, reason, warning, suggestion.ExplanationEn);
    }

    /// <summary>
    /// From the event log: the department that handed the case back to dispatch the last time it came back (an approved
    /// return, or any other step into pending-dispatch that names the department it leaves), and the reason it gave.
    /// </summary>
    public async Task<(string? Department, string? Reason)> LastReturnAsync(Guid caseId, CancellationToken ct = default)
    {
        var ret = CaseAction.Return.Name();
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId && (e.ToState == CaseState.PendingDispatch || e.Action == ret))
            .OrderByDescending(e => e.Seq).Select(e => new { e.Action, e.ToState, e.Payload }).ToListAsync(ct);
        var at = events.FindIndex(e => e.ToState == CaseState.PendingDispatch);
        if (at < 0) return (null, null);
        static string? Read(string? json, string name)
        {
            if (json is null) return null;
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v)
                && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        }
        var department = Read(events[at].Payload, "department");
        if (department is null) return (null, null);
        var reason = events.Skip(at + 1).FirstOrDefault(e => e.Action == ret) is { } r ? Read(r.Payload, "reason") : null;
        return (department, reason);
    }

    /// <summary>Leaf categories nobody answers for, per street (and district) under <paramref name="area"/>.</summary>
    public async Task<IReadOnlyList<RoutingGapDto>> GapsAsync(string? area, bool includeHotline, CancellationToken ct = default, string? platformColumn = null)
    {
        var prefix = area ?? "";
        var areas = await db.Set<AreaRow>().AsNoTracking()
            .Where(a => (a.Level == "district" || a.Level == "street") && a.Code.StartsWith(prefix)).OrderBy(a => a.Code).ToListAsync(ct);
        var names = areas.ToDictionary(a => a.Code, a => a.Name);
        var categories = (cache.Catalogue.Current?.Leaves ?? []).Where(c => includeHotline || c.Kind != CategoryKind.Hotline);
        var scopes = areas.Select(a => a.Level == "street" ? new RoutingArea(a.Code[..6], a.Code) : new RoutingArea(a.Code));
        return cache.RoutingOf(platformColumn).FindGaps(categories, scopes)
            .Select(g => new RoutingGapDto(g.CategoryCode, g.CategoryName, g.Area.ToString(), names.GetValueOrDefault(g.Area.ToString())))
            .ToList();
    }

    /// <summary>
    /// The platform a calendar scope belongs to (decision 026): <c>platform</c> and <c>centre</c> the root's,
    /// <c>platform:CODE</c> and <c>centre:CODE</c> a sub-centre's, a department's code its department's platform.
    /// </summary>
    public async Task<string?> CalendarPlatformAsync(string scope, CancellationToken ct = default)
    {
        if (scope is CalendarRow.PlatformScope or CalendarRow.CentreScope) return null;
        if (SubScope(scope) is { } sub)
            return await db.Set<PlatformRow>().AnyAsync(p => p.Code == sub.Code, ct) ? sub.Code : throw new NotFoundException($"There is no sub-centre {sub.Code}.");
        var department = await db.Departments.AsNoTracking().FirstOrDefaultAsync(d => d.Code == scope, ct)
            ?? throw new NotFoundException($"There is no department {scope}.");
        return department.PlatformCode;
    }

    static (bool Centre, string Code)? SubScope(string scope) =>
        scope.StartsWith(CalendarRow.PlatformScope + ":", StringComparison.Ordinal) ? (false, scope[(CalendarRow.PlatformScope.Length + 1)..])
        : scope.StartsWith(CalendarRow.CentreScope + ":", StringComparison.Ordinal) ? (true, scope[(CalendarRow.CentreScope.Length + 1)..])
        : null;

    public async Task<CalendarDto> CalendarAsync(string scope, int? year, CancellationToken ct = default)
    {
        var sub = SubScope(scope);
        var isPlatform = scope == CalendarRow.PlatformScope || sub is { Centre: false };
        var isCentre = scope == CalendarRow.CentreScope || sub is { Centre: true };
        var subRow = sub is { } s0 ? await db.Set<PlatformRow>().AsNoTracking().FirstOrDefaultAsync(p => p.Code == s0.Code, ct)
            ?? throw new NotFoundException($"There is no sub-centre {s0.Code}.") : null;
        var department = isPlatform || isCentre ? null : await db.Departments.AsNoTracking().FirstOrDefaultAsync(d => d.Code == scope, ct)
            ?? throw new NotFoundException($"There is no department {scope}.");
        var calendar = sub is { } s1
            ? (s1.Centre ? cache.Calendars.CentreOf(s1.Code) : cache.Calendars.PlatformOf(s1.Code))
            : isCentre ? cache.Calendars.Centre : cache.Calendars.For(isPlatform ? null : scope);
        var overridden = isPlatform || isCentre || cache.Calendars.Departments.ContainsKey(scope);
        var definition = calendar.Definition;
        var title = subRow is not null ? $"{subRow.Name}{(isCentre ? "指挥中心日历" : "日历")}" : isCentre ? "指挥中心日历" : "平台日历";
        return new CalendarDto(scope, department?.Name ?? title, calendar.TimeZone.Id,
            definition.WeeklySchedule.OrderBy(kv => ((int)kv.Key + 6) % 7)
                .ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => (IReadOnlyList<string>)kv.Value.Select(p => p.ToString()).ToList()),
            (definition.MakeUpDaySchedule ?? []).Select(p => p.ToString()).ToList(), overridden,
            definition.Exceptions.Where(e => year is null || e.Date.Year == year)
                .Select(e => new CalendarExceptionDto(e.Date, CalendarText.KindText(e.Kind), e.Name)).ToList(),
            CalendarText.DayRuleText(calendar.DayRule));
    }

    /// <summary>Saves a calendar. Deadlines already set on cases stay as they are until <see cref="RecomputeAsync"/>.</summary>
    public async Task<CalendarDto> SaveCalendarAsync(string scope, CalendarUpdate body, Actor actor, CancellationToken ct = default, int? replaceYear = null)
    {
        // The scope's platform: a sub-centre's administrator keeps their own platform's calendars only (decision 026).
        var scopePlatform = await CalendarPlatformAsync(scope, ct);
        if (!actor.AtRoot && scopePlatform != actor.PlatformCode)
            throw new NotFoundException($"There is no calendar {scope} on your platform.");
        var row = await db.Set<CalendarRow>().FirstOrDefaultAsync(r => r.Scope == scope, ct);
        if (row is null) db.Set<CalendarRow>().Add(row = new CalendarRow { Scope = scope });
        try
        {
            if (body.TimeZone is { Length: > 0 } tz) TimeZoneInfo.FindSystemTimeZoneById(tz);
            row.TimeZone = string.IsNullOrWhiteSpace(body.TimeZone) ? row.TimeZone : body.TimeZone.Trim();
            if (body.Weekly is not null)
                row.Weekly = CalendarText.FormatWeekly(CalendarText.ParseWeekly(string.Join(';', body.Weekly.Select(kv => $"{kv.Key}={string.Join(',', kv.Value)}"))));
            if (body.MakeUpDay is not null)
                row.MakeUpDay = body.MakeUpDay.Count == 0 ? null : CalendarText.FormatPeriods(CalendarText.ParsePeriods(string.Join(',', body.MakeUpDay)));
            if (body.DayRule is not null)
                row.DayRule = CalendarText.ParseDayRule(body.DayRule) is { } rule ? CalendarText.DayRuleText(rule) : null;
            // Build it once, so that a calendar without any working time is refused here rather than at the next deadline.
            _ = CalendarText.Platform(row, []);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw CaseValidationException.Single("calendar", ex.Message);
        }
        if (body.Exceptions is { } exceptions)
        {
            if (exceptions.FirstOrDefault(e => e.Kind is not ("holiday" or "workday")) is { } bad)
                throw CaseValidationException.Single("exceptions", $"{bad.Date:yyyy-MM-dd}: kind is holiday or workday, not '{bad.Kind}'.");
            if (exceptions.GroupBy(e => e.Date).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw CaseValidationException.Single("exceptions", $"{twice.Key:yyyy-MM-dd} is listed twice.");
            // The years listed are replaced; replaceYear too when its list is now empty (the calendar page removed its last day).
            var years = exceptions.Select(e => e.Date.Year).Concat(replaceYear is { } y ? [y] : []).Distinct().ToList();
            var stored = await db.Set<CalendarExceptionRow>().Where(e => e.Scope == scope).ToListAsync(ct);
            db.Set<CalendarExceptionRow>().RemoveRange(stored.Where(e => years.Contains(e.Date.Year)));
            db.Set<CalendarExceptionRow>().AddRange(exceptions.Select(e => new CalendarExceptionRow { Scope = scope, Date = e.Date, Kind = e.Kind, Name = e.Name }));
        }
        row.UpdatedAt = clock.GetUtcNow();
        row.UpdatedBy = actor.Id;
        audit.Add(actor.Id, actor.Name, "calendar-edit", scope, detail: "existing deadlines unchanged until an explicit recompute");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Calendars);
        return await CalendarAsync(scope, null, ct);
    }

    /// <summary>
    /// Recomputes the running deadline of every open case with the current calendars and catalogue, through the case
    /// aggregate (an event per moved case) and with one audit entry. Handling deadlines that were extended, resumed
    /// after suspension or restarted by a reopening are kept: they no longer follow from the dispatch time alone.
    /// </summary>
    public async Task<RecomputeResult> RecomputeAsync(Actor actor, CancellationToken ct = default)
    {
        cache.Invalidate(ReferencePart.Calendars, ReferencePart.Catalogue);
        var open = Enum.GetValues<CaseState>().Where(s => s.IsOpen() && s != CaseState.Suspended).ToList();
        var cases = await db.Cases.Where(c => open.Contains(c.State)).ToListAsync(ct);
        var ids = cases.Select(c => c.Id).ToList();
        string[] restarting = ["approve-extension", "resume", "reopen"];
        var keep = (await db.CaseEvents.Where(e => ids.Contains(e.CaseId) && restarting.Contains(e.Action)).Select(e => e.CaseId).Distinct().ToListAsync(ct)).ToHashSet();
        var kept = cases.Count(c => keep.Contains(c.Id) && c.CurrentPhase is CasePhase.Handling or CasePhase.SignFor);
        var recompute = cases.Where(c => !(keep.Contains(c.Id) && c.CurrentPhase is CasePhase.Handling or CasePhase.SignFor)).ToList();
        var moved = 0;
        audit.Add(actor.Id, actor.Name, "deadlines-recompute", "open-cases", detail: $"open cases recomputed, {kept} kept");
        if (recompute.Count > 0)
            await commands.ChangeAsync(recompute, actor, (c, ctx) => { if (c.RecomputeDeadlines(ctx)) moved++; }, ct: ct);
        else await db.SaveChangesAsync(ct);
        return new RecomputeResult(cases.Count, moved, kept);
    }

    public async Task<NamedPlaceRow> AddPlaceAsync(string? name, double? lat, double? lon, IReadOnlyList<string>? aliases, string? parentCode, Actor actor, CancellationToken ct = default)
    {
        var errors = PlaceErrors(name, lat, lon, aliases);
        if (errors.Count > 0) throw new CaseValidationException(errors);
        var located = cache.Geo.Grids.Locate(lat!.Value, lon!.Value)?.CommunityCode;
        RequireArea(actor, located, parentCode ?? located);
        var place = new NamedPlaceRow
        {
            Name = name!.Trim(), Latitude = lat.Value, Longitude = lon.Value, Aliases = string.Join(';', aliases ?? []),
            ParentCode = parentCode ?? located,
        };
        db.Set<NamedPlaceRow>().Add(place);
        audit.Add(actor.Id, actor.Name, "place-add", place.Name);
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return place;
    }

    /// <summary>The gazetteer's named places whose name or aliases hold <paramref name="q"/>, by name, a page at a time.</summary>
    /// <remarks>A sub-centre's administrator (<paramref name="platformCode"/>) lists the places of their own area.</remarks>
    public async Task<PlacePageDto> PlacesAsync(string? q, int page, int pageSize, CancellationToken ct = default, string? platformCode = null)
    {
        var rows = db.Set<NamedPlaceRow>().AsNoTracking();
        if (platformCode is not null) rows = rows.Where(p => p.ParentCode != null && p.ParentCode.StartsWith(platformCode));
        if (!string.IsNullOrWhiteSpace(q))
        {
            var text = q.Trim();
            rows = rows.Where(p => p.Name.Contains(text) || p.Aliases.Contains(text));
        }
        var total = await rows.CountAsync(ct);
        page = Math.Max(1, page);
        var items = await rows.OrderBy(p => p.Name).ThenBy(p => p.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        var divisions = cache.Geo.Divisions;
        return new PlacePageDto(items.Select(p => new PlaceDto(p.Id, p.Name, Aliases(p.Aliases), p.Latitude, p.Longitude, p.ParentCode,
            p.ParentCode is { } code ? divisions.Find(code)?.Name : null)).ToList(), total, page, pageSize);
    }

    /// <summary>
    /// Places are shared reference data, but a county knows its own streets (decision 026, addendum 2): a sub-centre's
    /// administrator adds, edits, deletes and imports the places of its own area only — a place whose community (the
    /// grid's at its point, else the one it names) lies in the sub-centre's division, and whose point is in no other
    /// platform's grid. The root's administrator keeps every place. Null when allowed, else the reason.
    /// </summary>
    static string? AreaProblem(Actor actor, string? locatedCommunity, string? community)
    {
        if (actor.PlatformCode is not { } area) return null;
        static bool In(string? code, string area) => code is not null && code.StartsWith(area, StringComparison.Ordinal);
        if ((locatedCommunity is not null && !In(locatedCommunity, area)) || !In(community, area))
            return Ui.Pick($"该地名不在本分中心辖区（{area}）内：分中心管理员只维护本辖区的地名，其他地名由市级平台的管理员维护。",
                $"The place is not in your sub-centre's area ({area}): a sub-centre's administrator keeps the places of its own area; the others are the root platform's administrator's.");
        return null;
    }

    static void RequireArea(Actor actor, string? locatedCommunity, string? community)
    {
        if (AreaProblem(actor, locatedCommunity, community) is { } problem) throw new CaseForbiddenException(problem);
    }

    static IReadOnlyList<string> Aliases(string stored) => stored.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Aliases as typed: separated by commas, semicolons (half or full width) or 、.</summary>
    public static IReadOnlyList<string> ParseAliases(string? text) =>
        (text ?? "").Split([',', ';', '，', '；', '、'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();

    static Dictionary<string, string[]> PlaceErrors(string? name, double? lat, double? lon, IReadOnlyList<string>? aliases)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = [Ui.Pick("地名不能为空。", "A place has a name.")];
        else if (InputLimits.TextProblem(name, InputLimits.Short) is { } problem) errors["name"] = [problem];
        if (lat is not (>= -90 and <= 90) || lon is not (>= -180 and <= 180) || !double.IsFinite(lat.Value) || !double.IsFinite(lon!.Value))
            errors["location"] = [Ui.Pick("请给出纬度（-90…90）和经度（-180…180），或在地图上点选。", "Give lat (-90…90) and lon (-180…180), or click the map.")];
        if (aliases is not null && string.Join(';', aliases) is { Length: > InputLimits.Short }) errors["aliases"] = [Ui.Pick("别名过长。", "The aliases are too long.")];
        return errors;
    }

    /// <summary>Changes a named place's name, aliases and point; its community follows the point.</summary>
    public async Task<NamedPlaceRow> UpdatePlaceAsync(Guid id, string? name, double? lat, double? lon, IReadOnlyList<string>? aliases, Actor actor, CancellationToken ct = default)
    {
        var place = await db.Set<NamedPlaceRow>().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw new NotFoundException($"There is no place {id}.");
        RequireArea(actor, place.ParentCode, place.ParentCode);
        var errors = PlaceErrors(name, lat, lon, aliases);
        if (errors.Count > 0) throw new CaseValidationException(errors);
        var located = cache.Geo.Grids.Locate(lat!.Value, lon!.Value)?.CommunityCode;
        RequireArea(actor, located, located ?? place.ParentCode);
        place.Name = name!.Trim();
        place.Latitude = lat.Value;
        place.Longitude = lon.Value;
        place.Aliases = string.Join(';', aliases ?? []);
        place.ParentCode = located ?? place.ParentCode;
        audit.Add(actor.Id, actor.Name, "place-edit", place.Name);
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return place;
    }

    public async Task DeletePlaceAsync(Guid id, Actor actor, CancellationToken ct = default)
    {
        var place = await db.Set<NamedPlaceRow>().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw new NotFoundException($"There is no place {id}.");
        RequireArea(actor, place.ParentCode, place.ParentCode);
        db.Set<NamedPlaceRow>().Remove(place);
        audit.Add(actor.Id, actor.Name, "place-delete", place.Name);
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
    }

    /// <summary>
    /// Imports named places from CSV (<c>name,aliases,lat,lon</c>, a header row; aliases separated by ; or 、). A row
    /// whose name is already a place updates that place; rows with errors are reported (row, field, reason) and skipped.
    /// </summary>
    public async Task<ImportReport> ImportPlacesAsync(string text, Actor actor, CancellationToken ct = default)
    {
        var records = Formats.Csv.Read(text.TrimStart('\uFEFF'));
        var errors = new List<ImportError>();
        if (records.Count == 0 || !records[0].Fields.Select(f => f.Trim().ToLowerInvariant()).Take(4).SequenceEqual(["name", "aliases", "lat", "lon"]))
            return new ImportReport("places", 0, 0, [new ImportError(1, "header", "The first row is name,aliases,lat,lon.")]);
        var existing = await db.Set<NamedPlaceRow>().ToListAsync(ct);
        var byName = existing.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First());
        int inserted = 0, updated = 0;
        foreach (var r in records.Skip(1))
        {
            if (r.Fields.Count < 4) { errors.Add(new ImportError(r.Row, "row", "A row has name, aliases, lat and lon.")); continue; }
            var name = r.Fields[0].Trim();
            double? lat = double.TryParse(r.Fields[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var la) ? la : null;
            double? lon = double.TryParse(r.Fields[3], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lo) ? lo : null;
            var aliases = ParseAliases(r.Fields[1]);
            var rowErrors = PlaceErrors(name, lat, lon, aliases);
            if (rowErrors.Count > 0)
            {
                errors.AddRange(rowErrors.Select(e => new ImportError(r.Row, e.Key, e.Value[0])));
                continue;
            }
            var located = cache.Geo.Grids.Locate(lat!.Value, lon!.Value)?.CommunityCode;
            byName.TryGetValue(name, out var known);
            if (AreaProblem(actor, known?.ParentCode, known?.ParentCode) is { } notOurs && known is not null)
            {
                errors.Add(new ImportError(r.Row, "name", notOurs));
                continue;
            }
            if (AreaProblem(actor, located, located ?? known?.ParentCode) is { } outside)
            {
                errors.Add(new ImportError(r.Row, "location", outside));
                continue;
            }
            if (!byName.TryGetValue(name, out var place))
            {
                place = new NamedPlaceRow { Name = name };
                db.Set<NamedPlaceRow>().Add(place);
                byName[name] = place;
                inserted++;
            }
            else updated++;
            place.Latitude = lat!.Value;
            place.Longitude = lon!.Value;
            place.Aliases = string.Join(';', aliases);
            place.ParentCode = located ?? (actor.AtRoot ? null : place.ParentCode);
        }
        audit.Add(actor.Id, actor.Name, "place-import", "named-places", detail: $"{inserted} inserted, {updated} updated, {errors.Count} rejected");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return new ImportReport("places", inserted, updated, errors);
    }

    /// <summary>The grid and area chain of a point, or outsideGrid when no grid contains it.</summary>
    public object Geocode(double lat, double lon)
    {
        var geo = cache.Geo;
        if (geo.Grids.Resolve(lat, lon) is not { } found) return new { lat, lon, outsideGrid = true, grid = (object?)null, areas = Array.Empty<object>() };
        return new
        {
            lat, lon, outsideGrid = false,
            grid = new { code = found.Grid.Code, name = found.Grid.Name, communityCode = found.Grid.CommunityCode, synthetic = geo.SyntheticGrids.Contains(found.Grid.Code) },
            areas = found.AreaChain.Select(d => new { code = d.Code, name = d.Name, level = DivisionLevels.ToText(d.Level) }).ToList(),
        };
    }
}
