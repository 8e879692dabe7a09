using System.Globalization;
using System.Text;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference.Formats;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

public sealed record DepartmentDto(string Code, string Name, string? ParentCode, string Kind, string? Contact, string? WorkingHours);
public sealed record AreaDto(string Code, string Name, string Level, string? ParentCode, bool HasOutline, bool Synthetic);
public sealed record AreaDetailDto(AreaDto Area, IReadOnlyList<AreaDto> Chain, IReadOnlyList<AreaDto> Children, int Grids);
public sealed record PlaceCandidateDto(string Id, string Name, string Kind, double? Lat, double? Lon, string? Code, string? ParentCode, double Score, string MatchedName);
public sealed record ConditionDto(string Code, string Description, string TimeLimit, string ClosingStandard, string? LegalBasis, string? Notes, string Source);
public sealed record CategoryDto(string Key, string Kind, string Code, string Level, string? ParentKey, string Name, bool IsLeaf, IReadOnlyList<ConditionDto> Conditions);
public sealed record CatalogueDto(int Version, DateTimeOffset EffectiveFrom, string? Note, IReadOnlyList<CategoryDto> Categories);
public sealed record ComponentDto(string Id, string CategoryCode, string Name, double? Lat, double? Lon, string? GridCode, string? Owner,
    string? Supervisor, string? Maintainer, string State, DateOnly? InstalledOn, DateOnly? UpdatedOn);
public sealed record ComponentPageDto(IReadOnlyList<ComponentDto> Items, int Total, int Page, int PageSize);
public sealed record EditConditionRequest(string? TimeLimit, string? ClosingStandard);
public sealed record NewPlaceRequest(string? Name, double? Lat, double? Lon, IReadOnlyList<string>? Aliases, string? ParentCode);

/// <summary>Where, who and by when: areas, grids, geocoding, categories, components, routing, calendars, imports.</summary>
public static class ReferenceEndpoints
{
    public static void MapReferenceEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("Reference").RequireAuthorization(AuthSetup.ApiPolicy).RequireScope(ApiScope.ReferenceRead);
        g.MapGet("/departments", async (CityLoopDb db, CurrentActor current) =>
        {
            // A sub-centre's staff list their own platform's departments (decision 026); channels and the root's, all.
            var platformCode = (await current.GetAsync()).PlatformCode;
            return await db.Departments.AsNoTracking().Where(d => platformCode == null || d.PlatformCode == platformCode).OrderBy(d => d.Code)
                .Select(d => new DepartmentDto(d.Code, d.Name, d.ParentCode, d.Kind, d.Contact, d.WorkingHours)).ToListAsync();
        });
        g.MapGet("/areas", Areas);
        g.MapGet("/areas/{code}", Area);
        g.MapGet("/grids", Grids);
        g.MapGet("/geocode", (double lat, double lon, ReferenceAdmin admin) =>
        {
            if (!InputLimits.IsLatitude(lat) || !InputLimits.IsLongitude(lon))
                throw CaseValidationException.Single("lat", "lat and lon are finite numbers within -90..90 and -180..180.");
            return TypedResults.Ok(admin.Geocode(lat, lon));
        });
        g.MapGet("/places/search", SearchPlaces);
        g.MapGet("/categories", Categories);
        g.MapGet("/components", Components);
        g.MapGet("/cases/{id:guid}/routing", CaseRouting).WithTags("Cases").RequireScope(ApiScope.CasesRead);
        g.MapGet("/calendars", async (CityLoopDb db) => TypedResults.Ok(
            new[] { CalendarRow.PlatformScope, CalendarRow.CentreScope }.Concat(await db.Set<CalendarRow>()
                .Where(r => r.Scope != CalendarRow.PlatformScope && r.Scope != CalendarRow.CentreScope).Select(r => r.Scope).ToListAsync())));
        g.MapGet("/calendars/{scope}", async (string scope, int? year, ReferenceAdmin admin, CancellationToken ct) => TypedResults.Ok(await admin.CalendarAsync(scope, year, ct)));

        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(AuthSetup.ApiPolicy);
        admin.MapGet("/routing/gaps", async (string? area, bool? hotline, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            // A sub-centre's administrator reads their platform's gaps, by their platform's rules.
            return TypedResults.Ok(await a.GapsAsync(area, hotline ?? false, ct, actor.PlatformCode));
        });
        admin.MapPost("/imports/{kind}", Import).DisableAntiforgery();
        admin.MapGet("/exports/{kind}", Export);
        admin.MapPut("/calendars/{scope}", async (string scope, CalendarUpdate body, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            return TypedResults.Ok(await a.SaveCalendarAsync(scope, body, actor, ct));
        });
        // What the desk's banner says: the years whose holidays are missing (next year's from 1 November).
        admin.MapGet("/calendars/holiday-status", async (CurrentActor current, ReferenceCache cache, TimeProvider clock,
            Microsoft.Extensions.Options.IOptions<PlatformOptions> platform) =>
        {
            await IdentityEndpoints.Require(current, Role.SystemAdmin);
            return TypedResults.Ok(new { missingYears = HolidayWatch.MissingYears(cache.Calendars.Platform, clock.GetUtcNow(), platform.Value.Zone) });
        });
        admin.MapPost("/calendars/recompute", async (CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            return TypedResults.Ok(await a.RecomputeAsync(actor, ct));
        });
        admin.MapPut("/categories/conditions/{code}", async (string code, EditConditionRequest body, CurrentActor current, ReferenceImporter importer, Audit audit, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            RequireCatalogue(actor);
            var version = await importer.EditConditionAsync(code, body.TimeLimit?.Trim() ?? "", body.ClosingStandard ?? "", actor.Name, ct);
            await audit.WriteAsync(actor.Id, actor.Name, "catalogue-edit", code, detail: $"version {version}: {body.TimeLimit}");
            return TypedResults.Ok(new { version });
        });
        // Which inspector has which grid (decision 054): the grids with their inspector, an assignment of many at once,
        // and a grid's tenures. A sub-centre's administrator keeps the grids of its own area with its own inspectors.
        admin.MapGet("/grids", async (string? prefix, string? inspector, bool? unassigned, int? page, int? pageSize, CurrentActor current, GridAssignments a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            return TypedResults.Ok(await a.ListAsync(prefix, inspector, unassigned ?? false, page ?? 1, pageSize ?? 50, actor, ct));
        });
        admin.MapPut("/grids/inspector", async (GridAssignmentRequest body, CurrentActor current, GridAssignments a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            return TypedResults.Ok(await a.AssignAsync(body.Grids, body.Inspector, actor, ct));
        });
        admin.MapGet("/grids/{code}/tenures", async (string code, CurrentActor current, GridAssignments a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            if (InputLimits.TextProblem(code, InputLimits.Short) is { } problem) throw CaseValidationException.Single("code", problem);
            return TypedResults.Ok(await a.HistoryAsync(code, actor, ct));
        });
        admin.MapGet("/places", async (string? q, int? page, int? pageSize, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            if (InputLimits.TextProblem(q, InputLimits.Short) is { } problem) throw CaseValidationException.Single("q", problem);
            // A sub-centre's administrator lists the places of their own area (decision 026, addendum 2).
            return TypedResults.Ok(await a.PlacesAsync(q, page ?? 1, Math.Clamp(pageSize ?? 50, 1, 500), ct, actor.PlatformCode));
        });
        admin.MapPut("/places/{id:guid}", async (Guid id, NewPlaceRequest body, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            var place = await a.UpdatePlaceAsync(id, body.Name, body.Lat, body.Lon, body.Aliases, actor, ct);
            return TypedResults.Ok(new { id = place.Id, name = place.Name, parentCode = place.ParentCode });
        });
        admin.MapDelete("/places/{id:guid}", async (Guid id, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            await a.DeletePlaceAsync(id, actor, ct);
            return TypedResults.NoContent();
        });
        // CSV name,aliases,lat,lon as the request body (text/csv) or as the multipart field "file".
        admin.MapPost("/places/import", async (HttpRequest request, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            string text;
            if (request.HasFormContentType)
            {
                var file = (await request.ReadFormAsync(ct)).Files.GetFile("file") ?? throw CaseValidationException.Single("file", "Attach the CSV as the field 'file'.");
                using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
                text = await reader.ReadToEndAsync(ct);
            }
            else
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                text = await reader.ReadToEndAsync(ct);
            }
            return TypedResults.Ok(await a.ImportPlacesAsync(text, actor, ct));
        }).DisableAntiforgery();
        admin.MapPost("/places", async (NewPlaceRequest body, CurrentActor current, ReferenceAdmin a, CancellationToken ct) =>
        {
            var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
            var place = await a.AddPlaceAsync(body.Name, body.Lat, body.Lon, body.Aliases, body.ParentCode, actor, ct);
            return TypedResults.Created($"/api/v1/places/{place.Id}", new { id = place.Id, name = place.Name, parentCode = place.ParentCode });
        });
    }

    /// <summary>The category catalogue is the city's (decision 026, addendum 2): a sub-centre's administrator reads it, never edits it.</summary>
    public static void RequireCatalogue(Domain.Identity.Actor actor) =>
        Admin.UserAdmin.RequireRoot(actor, "案件类别目录与立案条件是全市共用的，", "The category catalogue and its filing conditions are the city's,");

    static AreaDto Dto(AreaRow a) => new(a.Code, a.Name, a.Level, a.ParentCode, a.Geometry is not null, a.Synthetic);

    static async Task<Ok<List<AreaDto>>> Areas(string? parent, CityLoopDb db) =>
        TypedResults.Ok((await db.Set<AreaRow>().AsNoTracking().Where(a => a.ParentCode == parent).OrderBy(a => a.Code).ToListAsync()).Select(Dto).ToList());

    static async Task<Ok<AreaDetailDto>> Area(string code, CityLoopDb db)
    {
        var areas = db.Set<AreaRow>().AsNoTracking();
        var area = await areas.FirstOrDefaultAsync(a => a.Code == code) ?? throw new NotFoundException($"There is no area {code}.");
        var ancestors = Enumerable.Range(1, 5).Select(n => n switch { 1 => 2, 2 => 4, 3 => 6, 4 => 9, _ => 12 }).Where(n => n < code.Length).Select(n => code[..n]).ToList();
        var chain = await areas.Where(a => ancestors.Contains(a.Code)).OrderByDescending(a => a.Code.Length).ToListAsync();
        var children = await areas.Where(a => a.ParentCode == code).OrderBy(a => a.Code).ToListAsync();
        var grids = await db.Set<GridRow>().CountAsync(gr => gr.Code.StartsWith(code));
        return TypedResults.Ok(new AreaDetailDto(Dto(area), chain.Select(Dto).ToList(), children.Select(Dto).ToList(), grids));
    }

    /// <summary>Grids as a GeoJSON FeatureCollection, optionally within bbox=minLon,minLat,maxLon,maxLat (at most 5,000).</summary>
    static async Task<IResult> Grids(string? bbox, int? limit, CityLoopDb db)
    {
        var q = db.Set<GridRow>().AsNoTracking();
        if (bbox is not null)
        {
            var parts = bbox.Split(',').Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : (double?)null).ToArray();
            if (parts.Length != 4 || parts.Any(p => p is null) || !InputLimits.IsLongitude(parts[0]) || !InputLimits.IsLatitude(parts[1])
                || !InputLimits.IsLongitude(parts[2]) || !InputLimits.IsLatitude(parts[3]))
                throw CaseValidationException.Single("bbox", "bbox is minLon,minLat,maxLon,maxLat.");
            double minLon = parts[0]!.Value, minLat = parts[1]!.Value, maxLon = parts[2]!.Value, maxLat = parts[3]!.Value;
            q = q.Where(x => x.MaxLon >= minLon && x.MinLon <= maxLon && x.MaxLat >= minLat && x.MinLat <= maxLat);
        }
        var rows = await q.OrderBy(x => x.Code).Take(Math.Clamp(limit ?? 5000, 1, 5000)).ToListAsync();
        return Results.Text(GeoJson.ToJson(rows.Select(ReferenceImporter.GridFeature)), "application/geo+json", Encoding.UTF8);
    }

    static Ok<List<PlaceCandidateDto>> SearchPlaces(string? q, int? top, ReferenceCache cache)
    {
        if (string.IsNullOrWhiteSpace(q)) throw CaseValidationException.Single("q", "Give an address or a place name.");
        if (InputLimits.TextProblem(q, InputLimits.Short) is { } problem) throw CaseValidationException.Single("q", problem);
        return TypedResults.Ok(cache.Geo.Gazetteer.Search(q, Math.Clamp(top ?? 5, 1, 50)).Select(c => new PlaceCandidateDto(
            c.Entry.Id, c.Entry.Name, Domain.Kebab.From(c.Entry.Kind.ToString()), c.Entry.Location?.Lat, c.Entry.Location?.Lon,
            c.Entry.Code, c.Entry.ParentCode, Math.Round(c.Score, 3), c.MatchedName)).ToList());
    }

    static Ok<CatalogueDto> Categories(string? kind, int? version, ReferenceCache cache)
    {
        var snapshot = cache.Catalogue;
        var catalogue = (version is { } v ? snapshot.Versions.GetValueOrDefault(v) : snapshot.Current)
            ?? throw new NotFoundException(version is null ? "There is no catalogue yet." : $"There is no catalogue version {version}.");
        var categories = catalogue.Categories.Where(c => kind is null || CatalogueCsv.KindText(c.Kind) == kind).Select(c => new CategoryDto(
            c.Key, CatalogueCsv.KindText(c.Kind), c.Code, c.Level.ToString().ToLowerInvariant(), c.ParentKey, c.Name, c.IsLeaf,
            c.Conditions.Select(f => new ConditionDto(f.Code, f.Description, f.TimeLimit, f.ClosingStandard, f.LegalBasis, f.Notes,
                f.Source.ToString().ToLowerInvariant())).ToList())).ToList();
        return TypedResults.Ok(new CatalogueDto(catalogue.Version, catalogue.EffectiveFrom, catalogue.Note, categories));
    }

    static async Task<Ok<ComponentPageDto>> Components(string? grid, string? category, string? area, int? page, int? pageSize, CityLoopDb db)
    {
        var size = Math.Clamp(pageSize ?? 50, 1, 500);
        var p = Paging.Page(page);
        var q = db.Set<ComponentRow>().AsNoTracking();
        if (grid is not null) q = q.Where(c => c.GridCode == grid);
        if (category is not null) q = q.Where(c => c.CategoryCode.StartsWith(category));
        if (area is not null) q = q.Where(c => c.Id.StartsWith(area));
        var total = await q.CountAsync();
        var items = await q.OrderBy(c => c.Id).Skip((p - 1) * size).Take(size).Select(c => new ComponentDto(c.Id, c.CategoryCode, c.Name, c.Latitude,
            c.Longitude, c.GridCode, c.OwnerDepartment, c.SupervisorDepartment, c.MaintainerDepartment, c.State, c.InstalledOn, c.UpdatedOn)).ToListAsync();
        return TypedResults.Ok(new ComponentPageDto(items, total, p, size));
    }

    static async Task<Ok<RoutingDto>> CaseRouting(Guid id, CurrentActor current, CaseQueries queries, CityLoopDb db, ReferenceAdmin admin, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
        var c = await queries.Visible(actor, db.Cases.AsNoTracking()).FirstOrDefaultAsync(x => x.Id == id, ct)
            ?? throw new NotFoundException($"Case {id} does not exist or is not visible to you.");
        return TypedResults.Ok(await admin.SuggestAsync(c, ct));
    }

    static async Task<Ok<ImportReport>> Import(string kind, IFormFile? file, CurrentActor current, ReferenceImporter importer, Audit audit, CancellationToken ct)
    {
        var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
        if (file is null || file.Length == 0) throw CaseValidationException.Single("file", "Upload the file as multipart/form-data field 'file'.");
        if (!ReferenceImporter.Kinds.Contains(kind)) throw new NotFoundException($"Unknown import kind '{kind}'. Kinds: {string.Join(", ", ReferenceImporter.Kinds)}.");
        ReferenceImporter.RequireKind(actor, kind);
        await using var stream = file.OpenReadStream();
        var report = await importer.ImportAsync(kind, file.FileName, stream, actor.Name, ct, actor.PlatformCode, actor.Id);
        await audit.WriteAsync(actor.Id, actor.Name, "reference-import", kind,
            detail: $"{file.FileName}: {report.Inserted} inserted, {report.Updated} updated, {report.Errors.Count} rejected");
        return TypedResults.Ok(report);
    }

    /// <summary>
    /// grids (GeoJSON), components (csv | geojson), categories (xlsx | csv, part=categories|conditions|hotline-time-limits),
    /// rules (csv), departments (csv, with their platform); a sub-centre's administrator exports their platform's
    /// departments and rules only.
    /// </summary>
    static async Task<IResult> Export(string kind, string? format, string? part, CurrentActor current, ReferenceImporter importer, CancellationToken ct)
    {
        var actor = await IdentityEndpoints.Require(current, Role.SystemAdmin);
        ReferenceImporter.RequireKind(actor, kind);
        return (kind, format) switch
        {
            ("departments", _) => Results.File(Encoding.UTF8.GetBytes(await importer.ExportDepartmentsAsync(ct, actor.PlatformCode)), "text/csv", "departments.csv"),
            ("grids", _) => Results.File(Encoding.UTF8.GetBytes(await importer.ExportGridsAsync(ct)), "application/geo+json", "grids.geojson"),
            ("components", "geojson") => Results.File(Encoding.UTF8.GetBytes(await importer.ExportComponentsGeoJsonAsync(ct)), "application/geo+json", "components.geojson"),
            ("components", _) => Results.File(Encoding.UTF8.GetBytes(await importer.ExportComponentsCsvAsync(ct)), "text/csv", "components.csv"),
            ("categories", "csv") => Results.File(Encoding.UTF8.GetBytes(importer.ExportCatalogueCsv(part ?? ReferenceImporter.CategoriesSheet)), "text/csv", $"{part ?? "categories"}.csv"),
            ("categories", _) => Results.File(importer.ExportCategoriesXlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "categories.xlsx"),
            ("rules", _) => Results.File(Encoding.UTF8.GetBytes(await importer.ExportRulesAsync(ct, actor.PlatformCode)), "text/csv", "responsibility-rules.csv"),
            _ => throw new NotFoundException($"Unknown export kind '{kind}'. Kinds: grids, components, categories, rules, departments."),
        };
    }
}
