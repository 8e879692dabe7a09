using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Data;

public static class DepartmentNames
{
    /// <summary>Every department's name by its code, in code order: what pages and documents show instead of codes.</summary>
    public static async Task<Dictionary<string, string>> DepartmentNamesAsync(this CityLoopDb db, CancellationToken ct = default) =>
        await db.Departments.AsNoTracking().OrderBy(d => d.Code).ToDictionaryAsync(d => d.Code, d => d.Name, ct);
}
