using System.Globalization;
using System.Text.Json.Nodes;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference.Formats;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

/// <summary>部件 inventory: CSV and GeoJSON (Point features with the same properties) in, CSV and GeoJSON out.</summary>
public sealed partial class ReferenceImporter
{
    public static readonly IReadOnlyList<string> ComponentColumns =
        ["id", "categoryCode", "name", "lat", "lon", "gridCode", "owner", "supervisor", "maintainer", "state", "installedOn", "updatedOn"];

    public async Task<ImportReport> ComponentsAsync(string csv, CancellationToken ct = default)
    {
        var records = Csv.Read(csv);
        if (records.Count == 0) return new ImportReport("components", 0, 0, [new ImportError(1, "header", "the file is empty")]);
        var header = records[0].Fields.Select(f => f.Trim()).ToList();
        var missing = new[] { "id", "name" }.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0) return new ImportReport("components", 0, 0, missing.Select(m => new ImportError(records[0].Row, m, "required column is missing")).ToList());
        var rows = records.Skip(1).Select(r => (r.Row, Values: (IReadOnlyDictionary<string, string?>)header.Select((h, i) =>
            (h, v: i < r.Fields.Count && r.Fields[i].Trim().Length > 0 ? r.Fields[i].Trim() : null)).DistinctBy(x => x.h).ToDictionary(x => x.h, x => x.v)));
        return await ComponentsAsync(rows, ct);
    }

    public Task<ImportReport> ComponentsAsync(GeoJsonReadResult read, CancellationToken ct = default)
    {
        var index = -1;
        var rows = read.Features.Select(f =>
        {
            index = NextFeatureIndex(read.Errors, index);
            var values = ComponentColumns.ToDictionary(c => c, c => f.GetString(c));
            if (f.Geometry is NetTopologySuite.Geometries.Point p)
                (values["lat"], values["lon"]) = (p.Y.ToString(CultureInfo.InvariantCulture), p.X.ToString(CultureInfo.InvariantCulture));
            return (Row: index + 1, Values: (IReadOnlyDictionary<string, string?>)values);
        }).ToList();
        return ComponentsAsync(rows, ct, read.Errors.Select(e => new ImportError(e.FeatureIndex + 1, e.Field, e.Reason)));
    }

    async Task<ImportReport> ComponentsAsync(IEnumerable<(int Row, IReadOnlyDictionary<string, string?> Values)> rows, CancellationToken ct,
        IEnumerable<ImportError>? readErrors = null)
    {
        var errors = (readErrors ?? []).ToList();
        var departments = (await db.Departments.Select(d => d.Code).ToListAsync(ct)).ToHashSet();
        var catalogue = cache.Catalogue.Current;
        var geo = cache.Geo;
        var existing = await db.Set<ComponentRow>().ToDictionaryAsync(c => c.Id, ct);
        var seen = new HashSet<string>();
        int inserted = 0, updated = 0;
        foreach (var (row, v) in rows)
        {
            var before = errors.Count;
            void Fail(string field, string reason) => errors.Add(new ImportError(row, field, reason));
            string? Get(string column) => v.GetValueOrDefault(column);

            var id = Get("id") ?? "";
            if (id.Length != 16 || !id.All(char.IsAsciiDigit)) Fail("id", $"'{id}' is not 16 digits (area 6 + 大类 2 + 小类 2 + serial 6)");
            else if (!seen.Add(id)) Fail("id", $"duplicate id {id}");
            var category = Get("categoryCode") ?? (id.Length == 16 ? "C" + id[6..10] : "");
            if (id.Length == 16 && category != "C" + id[6..10]) Fail("categoryCode", $"{category} does not match digits 7–10 of the id ({id[6..10]})");
            else if (catalogue?.Find(category) is not { Kind: CategoryKind.Component, IsLeaf: true }) Fail("categoryCode", $"{category} is not a 部件 小类 of the current catalogue");
            var name = Get("name");
            if (name is null) Fail("name", "name is required");
            double? lat = Number(Get("lat"), -90, 90, "lat", Fail), lon = Number(Get("lon"), -180, 180, "lon", Fail);
            if ((lat is null) != (lon is null)) Fail("lat", "give both lat and lon, or neither");
            foreach (var col in new[] { "owner", "supervisor", "maintainer" })
                if (Get(col) is { } d && !departments.Contains(d)) Fail(col, $"unknown department {d}");
            var grid = Get("gridCode");
            if (grid is not null && geo.Grids.Find(grid) is null) Fail("gridCode", $"unknown grid {grid}");
            DateOnly? installed = Date(Get("installedOn"), "installedOn", Fail), changed = Date(Get("updatedOn"), "updatedOn", Fail);
            if (errors.Count != before) continue;

            if (!existing.TryGetValue(id, out var c))
            {
                c = new ComponentRow { Id = id };
                db.Set<ComponentRow>().Add(c);
                existing[id] = c;
                inserted++;
            }
            else updated++;
            c.CategoryCode = category;
            c.Name = name!;
            (c.Latitude, c.Longitude) = (lat, lon);
            c.GridCode = grid ?? (lat is not null ? geo.Grids.Locate(lat.Value, lon!.Value)?.Code : null);
            c.OwnerDepartment = Get("owner");
            c.SupervisorDepartment = Get("supervisor");
            c.MaintainerDepartment = Get("maintainer");
            c.State = Get("state") ?? "normal";
            c.InstalledOn = installed;
            c.UpdatedOn = changed;
        }
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Geo);
        return new ImportReport("components", inserted, updated, errors.OrderBy(e => e.Row).ToList());
    }

    static double? Number(string? text, double min, double max, string field, Action<string, string> fail)
    {
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max) return d;
        fail(field, $"'{text}' is not a number between {min} and {max}");
        return null;
    }

    static DateOnly? Date(string? text, string field, Action<string, string> fail)
    {
        if (text is null) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        fail(field, $"'{text}' is not a date (yyyy-MM-dd)");
        return null;
    }

    public async Task<string> ExportComponentsCsvAsync(CancellationToken ct = default)
    {
        var rows = await db.Set<ComponentRow>().AsNoTracking().OrderBy(c => c.Id).ToListAsync(ct);
        return Csv.Write(ComponentColumns, rows.Select(ComponentValues));
    }

    public async Task<string> ExportComponentsGeoJsonAsync(CancellationToken ct = default)
    {
        var rows = await db.Set<ComponentRow>().AsNoTracking().Where(c => c.Latitude != null).OrderBy(c => c.Id).ToListAsync(ct);
        return GeoJson.ToJson(rows.Select(c => new GeoFeature(
            GeoFactory.Wgs84.CreatePoint(new NetTopologySuite.Geometries.Coordinate(c.Longitude!.Value, c.Latitude!.Value)),
            ComponentColumns.Zip(ComponentValues(c)).Where(x => x.First is not ("lat" or "lon") && x.Second is not null)
                .ToDictionary(x => x.First, x => (JsonNode?)JsonValue.Create(x.Second)), c.Id)));
    }

    static string?[] ComponentValues(ComponentRow c) =>
    [
        c.Id, c.CategoryCode, c.Name, Text(c.Latitude), Text(c.Longitude), c.GridCode, c.OwnerDepartment, c.SupervisorDepartment,
        c.MaintainerDepartment, c.State, c.InstalledOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        c.UpdatedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    ];
}
