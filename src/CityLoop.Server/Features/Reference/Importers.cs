using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

public sealed record ImportError(int Row, string Field, string Reason);

public sealed record ImportReport(string Kind, int Inserted, int Updated, IReadOnlyList<ImportError> Errors)
{
    public override string ToString() =>
        $"{Kind}: {Inserted} inserted, {Updated} updated, {Errors.Count} rejected" +
        string.Concat(Errors.Select(e => $"\n  row {e.Row}, {e.Field}: {e.Reason}"));
}

/// <summary>
/// One importer per kind of reference data, used by the CLI, the admin screens and the demo seeding alike.
/// Rows with errors are reported (row, field, reason) and skipped; valid rows are inserted or updated.
/// </summary>
public sealed class ReferenceImporter(CityLoopDb db)
{
    public async Task<ImportReport> DepartmentsAsync(string csv, CancellationToken ct = default)
    {
        var parsed = RoutingCsv.ParseDepartments(csv);
        var errors = parsed.Errors.Select(e => new ImportError(e.Row, e.Field, e.Reason)).ToList();
        var existing = await db.Departments.ToDictionaryAsync(d => d.Code, ct);
        int inserted = 0, updated = 0;
        foreach (var d in parsed.Rows)
        {
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
        }
        await db.SaveChangesAsync(ct);
        return new ImportReport("departments", inserted, updated, errors);
    }

    public static string EmbeddedDepartments() => CatalogueSeed.ReadResource(RoutingSeed.DepartmentsFile);
}
