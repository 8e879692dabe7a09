using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

/// <summary>Divisions, grid index and gazetteer of one load of the reference tables.</summary>
public sealed record GeoSnapshot(DivisionCatalog Divisions, GridIndex Grids, Gazetteer Gazetteer, IReadOnlySet<string> SyntheticGrids)
{
    /// <summary>Each grid's inspector (the user name the grid table names), where it has one.</summary>
    public IReadOnlyDictionary<string, string> GridInspectors { get; init; } = new Dictionary<string, string>();
}

/// <summary>Every catalogue version (cases keep the one they were filed under) and the current one.</summary>
public sealed record CatalogueSnapshot(IReadOnlyDictionary<int, CatalogueVersion> Versions, CatalogueVersion? Current)
{
    public CatalogueVersion? For(int? version) => version is { } v ? Versions.GetValueOrDefault(v) ?? Current : Current;
}

/// <summary>The platform calendar and each department's (override rows, or the department's own working hours).</summary>
public sealed record CalendarSnapshot(WorkingCalendar Platform, IReadOnlyDictionary<string, WorkingCalendar> Departments, WorkingCalendar Centre)
{
    /// <summary>Each sub-centre's working calendar (scope <c>platform:CODE</c>, changes on the root platform's), decision 026.</summary>
    public IReadOnlyDictionary<string, WorkingCalendar> SubPlatforms { get; init; } = new Dictionary<string, WorkingCalendar>();
    /// <summary>Each sub-centre's command-centre calendar (scope <c>centre:CODE</c>) where it has one; else the root centre's.</summary>
    public IReadOnlyDictionary<string, WorkingCalendar> SubCentres { get; init; } = new Dictionary<string, WorkingCalendar>();

    public WorkingCalendar For(string? department) =>
        department is not null && Departments.TryGetValue(department, out var c) ? c : Platform;

    /// <summary>The working calendar of a platform of the deployment: a sub-centre's, or the root's.</summary>
    public WorkingCalendar PlatformOf(string? platformCode) =>
        platformCode is not null && SubPlatforms.TryGetValue(platformCode, out var c) ? c : Platform;

    /// <summary>The command centre's calendar of a platform of the deployment.</summary>
    public WorkingCalendar CentreOf(string? platformCode) =>
        platformCode is not null && SubCentres.TryGetValue(platformCode, out var c) ? c : Centre;

    public static string PlatformScopeOf(string code) => CalendarRow.PlatformScope + ":" + code;
    public static string CentreScopeOf(string code) => CalendarRow.CentreScope + ":" + code;
}

/// <summary>A department as the steps name and check it.</summary>
public sealed record DepartmentEntry(string Code, string Name, string? PlatformCode, string? ParentCode, bool Disabled);

/// <summary>Every department by code, in use or not.</summary>
public sealed record DepartmentSnapshot(IReadOnlyDictionary<string, DepartmentEntry> ByCode)
{
    public string? NameOf(string code) => ByCode.GetValueOrDefault(code)?.Name;
}

public enum ReferencePart { Geo, Catalogue, Calendars, Routing, Departments }

/// <summary>
/// In-memory copies of the reference tables that hot paths read synchronously (geocoding each intake, deadlines
/// of each transition). Each part is built on first use and dropped by <see cref="Invalidate"/> after an import or
/// an edit on this node, and on PostgreSQL by any node's change at its commit (<see cref="Heard"/>, decision 052);
/// without that listener (SQLite: one node; a lost connection) a part is also rebuilt after <see cref="MaxAge"/>.
/// </summary>
public sealed class ReferenceCache(IServiceScopeFactory scopes, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    readonly Lock _gate = new();
    readonly Dictionary<ReferencePart, (object Value, DateTimeOffset At)> _parts = [];
    // Each part's count of invalidations: a part read while one of its own arrived is used once but not kept (the read
    // may predate the change).
    readonly Dictionary<ReferencePart, long> _generations = [];
    volatile bool _live;

    /// <summary>
    /// Whether this node hears every change of the reference tables (a PostgreSQL listener is connected): then the
    /// copies are as current as the database, and the steps ask them instead of the database (the current catalogue
    /// version, a department's name, whether it is in use).
    /// </summary>
    public bool Live => _live;

    public GeoSnapshot Geo => Get(ReferencePart.Geo, LoadGeo);
    public CatalogueSnapshot Catalogue => Get(ReferencePart.Catalogue, LoadCatalogue);
    public CalendarSnapshot Calendars => Get(ReferencePart.Calendars, LoadCalendars);
    public DepartmentSnapshot Departments => Get(ReferencePart.Departments, LoadDepartments);
    /// <summary>The root platform's responsibility matrix.</summary>
    public ResponsibilityMatrix Routing => RoutingOf(null);

    /// <summary>
    /// The responsibility matrix of one platform (decision 026, addendum): the rules whose lead department belongs to it;
    /// <paramref name="platformColumn"/> is the <c>platform_code</c> column's value (NULL for the root).
    /// </summary>
    public ResponsibilityMatrix RoutingOf(string? platformColumn)
    {
        var all = Get(ReferencePart.Routing, LoadRouting);
        // A sub-centre without rules of its own has none: the city's rules name the city's departments.
        return all.GetValueOrDefault(platformColumn ?? "") ?? NoRules;
    }

    static readonly ResponsibilityMatrix NoRules = new([]);

    public void Invalidate(params ReferencePart[] parts)
    {
        lock (_gate)
            foreach (var p in parts)
            {
                _generations[p] = _generations.GetValueOrDefault(p) + 1;
                _parts.Remove(p);
            }
    }

    /// <summary>
    /// A change another node (or this one) committed, as the trigger of migration 0043 names it: a comma-separated list
    /// of parts. Anything unrecognised drops every part.
    /// </summary>
    public void Heard(string? payload)
    {
        var parts = new List<ReferencePart>();
        foreach (var name in (payload ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<ReferencePart>(name, ignoreCase: true, out var part) || !Enum.IsDefined(part))
            {
                parts = [.. Enum.GetValues<ReferencePart>()];
                break;
            }
            parts.Add(part);
        }
        Invalidate(parts.Count == 0 ? Enum.GetValues<ReferencePart>() : [.. parts]);
    }

    /// <summary>Turns listening on (changes before it were not heard) or off (the connection is lost): every part is dropped.</summary>
    public void SetLive(bool live)
    {
        lock (_gate)
        {
            foreach (var p in Enum.GetValues<ReferencePart>()) _generations[p] = _generations.GetValueOrDefault(p) + 1;
            _live = live;
            _parts.Clear();
        }
    }

    /// <summary>
    /// The part as cached, or loaded once for every caller that wants it meanwhile: after a change is heard, the
    /// requests in flight on the node wait for one load of the part instead of each reading every grid (or the whole
    /// catalogue) from the database at the same time. A load is shared only by callers of the same generation: one
    /// that asks after a further change starts a load of its own.
    /// </summary>
    T Get<T>(ReferencePart part, Func<CityLoopDb, T> load) where T : notnull
    {
        var now = clock.GetUtcNow();
        long generation;
        Lazy<object> loading;
        lock (_gate)
        {
            if (_parts.TryGetValue(part, out var cached) && now - cached.At < MaxAge) return (T)cached.Value;
            generation = _generations.GetValueOrDefault(part);
            if (_loading.TryGetValue(part, out var inFlight) && inFlight.Generation == generation) loading = inFlight.Load;
            else
            {
                loading = new Lazy<object>(() =>
                {
                    Interlocked.Increment(ref _loads[(int)part]);
                    using var scope = scopes.CreateScope();
                    return load(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
                }, LazyThreadSafetyMode.ExecutionAndPublication);
                _loading[part] = (generation, loading);
            }
        }
        object value;
        try { value = loading.Value; }
        catch
        {
            // A failed load is not kept: the next caller tries again.
            lock (_gate) Forget(part, loading);
            throw;
        }
        lock (_gate)
        {
            // Kept (unless a change arrived meanwhile) before the load is forgotten, so that no caller in between starts another.
            if (_generations.GetValueOrDefault(part) == generation) _parts[part] = (value, now);
            Forget(part, loading);
        }
        return (T)value;
    }

    void Forget(ReferencePart part, Lazy<object> loading)
    {
        if (_loading.TryGetValue(part, out var inFlight) && ReferenceEquals(inFlight.Load, loading)) _loading.Remove(part);
    }

    readonly Dictionary<ReferencePart, (long Generation, Lazy<object> Load)> _loading = [];
    readonly long[] _loads = new long[Enum.GetValues<ReferencePart>().Length];

    /// <summary>How many times this node has read the part from the database (for tests).</summary>
    internal long Loads(ReferencePart part) => Interlocked.Read(ref _loads[(int)part]);

    static DepartmentSnapshot LoadDepartments(CityLoopDb db) =>
        new(db.Departments.AsNoTracking().ToList()
            .ToDictionary(d => d.Code, d => new DepartmentEntry(d.Code, d.Name, d.PlatformCode, d.ParentCode, d.Disabled), StringComparer.Ordinal));

    static GeoSnapshot LoadGeo(CityLoopDb db)
    {
        var areas = db.Set<AreaRow>().AsNoTracking().ToList();
        var divisions = new DivisionCatalog(ReferenceMapping.Divisions(areas));
        var gridRows = db.Set<GridRow>().AsNoTracking().ToList();
        var grids = gridRows.Select(ReferenceMapping.ToGrid).ToList();
        var outlines = areas.Where(a => a.Geometry is not null).Select(ReferenceMapping.ToOutline).OfType<DivisionArea>();
        var gazetteer = Gazetteer.Build(divisions, outlines, grids);
        foreach (var p in db.Set<NamedPlaceRow>().AsNoTracking().ToList())
            gazetteer.AddPlace(p.Name, new GeoPoint(p.Latitude, p.Longitude), ReferenceMapping.SplitList(p.Aliases), p.ParentCode, "place:" + p.Id);
        foreach (var c in db.Set<ComponentRow>().AsNoTracking().Where(c => c.Latitude != null && c.Longitude != null)
                     .Select(c => new { c.Id, c.Name, c.Latitude, c.Longitude, c.GridCode }).ToList())
            gazetteer.AddPlace(c.Name, new GeoPoint(c.Latitude!.Value, c.Longitude!.Value), [c.Id], c.GridCode?[..Math.Min(12, c.GridCode.Length)], "component:" + c.Id);
        return new GeoSnapshot(divisions, new GridIndex(grids, divisions), gazetteer, gridRows.Where(g => g.Synthetic).Select(g => g.Code).ToHashSet())
        {
            GridInspectors = gridRows.Where(g => !string.IsNullOrEmpty(g.Inspector)).ToDictionary(g => g.Code, g => g.Inspector!, StringComparer.Ordinal),
        };
    }

    static CatalogueSnapshot LoadCatalogue(CityLoopDb db)
    {
        var versions = db.Set<CatalogueVersionRow>().AsNoTracking().OrderBy(v => v.Version).ToList();
        var categories = db.Set<CategoryRow>().AsNoTracking().ToList().ToLookup(c => c.Version);
        var conditions = db.Set<FilingConditionRecord>().AsNoTracking().ToList().ToLookup(c => c.Version);
        var hotline = db.Set<HotlineTimeLimitRow>().AsNoTracking().ToList().ToLookup(c => c.Version);
        var all = versions.ToDictionary(v => v.Version,
            v => ReferenceMapping.ToCatalogue(v, categories[v.Version], conditions[v.Version], hotline[v.Version]));
        return new CatalogueSnapshot(all, versions.Count == 0 ? null : all[versions[^1].Version]);
    }

    static CalendarSnapshot LoadCalendars(CityLoopDb db)
    {
        var rows = db.Set<CalendarRow>().AsNoTracking().ToDictionary(r => r.Scope);
        var exceptions = db.Set<CalendarExceptionRow>().AsNoTracking().ToList().ToLookup(e => e.Scope);
        var platform = CalendarText.Platform(rows.GetValueOrDefault(CalendarRow.PlatformScope), exceptions[CalendarRow.PlatformScope]);
        // Sub-centres (decision 026): their changes on the root platform's calendar, and their own centre's calendar if set.
        var subPlatforms = new Dictionary<string, WorkingCalendar>();
        var subCentres = new Dictionary<string, WorkingCalendar>();
        foreach (var code in db.Set<Data.PlatformRow>().AsNoTracking().Select(p => p.Code).ToList())
        {
            var scope = CalendarSnapshot.PlatformScopeOf(code);
            var own = CalendarText.Overrides(rows.GetValueOrDefault(scope), exceptions[scope], null);
            subPlatforms[code] = own is null ? platform : platform.WithOverrides(own);
            var centreScope = CalendarSnapshot.CentreScopeOf(code);
            if (rows.ContainsKey(centreScope) || exceptions[centreScope].Any())
                subCentres[code] = CalendarText.Centre(rows.GetValueOrDefault(centreScope), exceptions[centreScope]);
        }
        var departments = new Dictionary<string, WorkingCalendar>();
        foreach (var d in db.Departments.AsNoTracking().ToList())
        {
            var basis = d.PlatformCode is { } pc && subPlatforms.TryGetValue(pc, out var sub) ? sub : platform;
            var overrides = CalendarText.Overrides(rows.GetValueOrDefault(d.Code), exceptions[d.Code], d.WorkingHours);
            if (overrides is not null) departments[d.Code] = basis.WithOverrides(overrides);
            else if (!ReferenceEquals(basis, platform)) departments[d.Code] = basis;
        }
        return new CalendarSnapshot(platform, departments, CalendarText.Centre(rows.GetValueOrDefault(CalendarRow.CentreScope), exceptions[CalendarRow.CentreScope]))
        {
            SubPlatforms = subPlatforms,
            SubCentres = subCentres,
        };
    }

    /// <summary>
    /// One matrix per platform, keyed by the <c>platform_code</c> column ("" for the root). A rule belongs to the
    /// platform of its lead department; where moving a department between platforms has left two rules of a platform
    /// covering the same category and area, the first by id is kept (the importer refuses such a pair).
    /// </summary>
    static Dictionary<string, ResponsibilityMatrix> LoadRouting(CityLoopDb db)
    {
        var departments = db.Departments.AsNoTracking().Select(d => new { d.Code, d.Name, d.PlatformCode }).ToList();
        var names = departments.ToDictionary(d => d.Code, d => d.Name);
        var platformOf = departments.ToDictionary(d => d.Code, d => d.PlatformCode ?? "");
        var rules = db.Set<RuleRow>().AsNoTracking().OrderBy(r => r.Id).ToList().Select(ReferenceMapping.ToRule);
        var groups = new Dictionary<string, List<ResponsibilityRule>> { [""] = [] };
        var covered = new HashSet<(string, string?, RuleScopeKind, string?)>();
        foreach (var rule in rules)
        {
            var platform = platformOf.GetValueOrDefault(rule.LeadDepartment, "");
            if (!covered.Add((platform, rule.CategoryCode, rule.ScopeKind, rule.ScopeValue))) continue;
            if (!groups.TryGetValue(platform, out var list)) groups[platform] = list = [];
            list.Add(rule);
        }
        return groups.ToDictionary(g => g.Key, g => new ResponsibilityMatrix(g.Value, code => names.GetValueOrDefault(code)));
    }
}
