using System.Reflection;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Pickers;

/// <summary>
/// The reference data each code-kind field draws from. The action check (<see cref="ActionReferences"/>) and the
/// pickers (<see cref="PickerEndpoints"/>) both ask here, so a desk offers exactly what the check accepts.
/// </summary>
public sealed class CodeLists(CityLoopDb db, ReferenceCache cache, CaseQueries queries)
{
    /// <summary>The field kinds whose values are codes of reference data: never typed, always picked.</summary>
    public static readonly IReadOnlySet<FieldKind> CodeKinds = new HashSet<FieldKind>
    {
        FieldKind.Department, FieldKind.Departments, FieldKind.Category, FieldKind.StandardItem, FieldKind.CaseNumber, FieldKind.User, FieldKind.Team, FieldKind.Platform,
    };

    /// <summary>A transition into Closed cites the closing standard (结案); every other one the filing standard (立案).</summary>
    public static StandardKind StandardFor(Transition t) => t.To == CaseState.Closed ? StandardKind.Closing : StandardKind.Filing;

    /// <summary>
    /// Who may be named in a User field, by the field's name: <c>inspector</c> an inspector, <c>assignee</c> a handler
    /// of the acting user's own department, any other name an enabled staff member who works on cases.
    /// </summary>
    public static Func<User, bool> UserRule(string field, Actor actor) => field switch
    {
        "inspector" => u => u.RoleSet().Contains(Role.Inspector),
        "assignee" => u => actor.DepartmentCode is { } dept && u.DepartmentCode == dept && u.RoleSet().Contains(Role.DepartmentHandler),
        _ => u => u.RoleSet().Any(Roles.CaseReaders.Contains),
    };

    /// <summary>The catalogue version, reloaded once when another node has just written a version this node has not seen.</summary>
    public CatalogueVersion? Catalogue(int? version)
    {
        var snapshot = cache.Catalogue;
        if (version is { } v && !snapshot.Versions.ContainsKey(v))
        {
            cache.Invalidate(ReferencePart.Catalogue);
            snapshot = cache.Catalogue;
        }
        return snapshot.For(version);
    }

    /// <summary>
    /// The newest catalogue version in the database (what a case filed now keeps): the node's copy while it hears every
    /// catalogue change at commit (decision 052), else asked of the database.
    /// </summary>
    public Task<int?> CurrentCatalogueVersionAsync(CancellationToken ct) =>
        cache.Live ? Task.FromResult(cache.Catalogue.Current?.Version) : db.Set<CatalogueVersionRow>().MaxAsync(v => (int?)v.Version, ct);

    /// <summary>
    /// Which of <paramref name="codes"/> are departments in use on one platform (<paramref name="platformColumn"/>: NULL
    /// is the root): the node's copy while it hears every department change at commit (decision 052), else the database.
    /// </summary>
    public async Task<List<string>> InUseDepartmentsAsync(IReadOnlyCollection<string> codes, string? platformColumn, CancellationToken ct)
    {
        if (cache.Live)
        {
            var all = cache.Departments.ByCode;
            return codes.Where(code => all.TryGetValue(code, out var d) && d.PlatformCode == platformColumn && !d.Disabled).Distinct().ToList();
        }
        return await db.Departments.AsNoTracking().Where(d => codes.Contains(d.Code) && d.PlatformCode == platformColumn && !d.Disabled)
            .Select(d => d.Code).ToListAsync(ct);
    }

    /// <summary>Leaf categories (小类, 三级): a case is categorised against a leaf only.</summary>
    public IEnumerable<Category> Categories(CatalogueVersion? catalogue) => catalogue?.Leaves ?? [];

    /// <summary>The standard items of a case for an action: its category's conditions, or its request type's hotline limit.</summary>
    public IReadOnlyList<StandardItem> StandardItems(Case c, Transition t, string? categoryKey, CatalogueVersion? catalogue) =>
        catalogue is null ? [] : Domain.Catalogue.StandardItems.For(catalogue, categoryKey ?? c.CategoryCode, c.RequestType, StandardFor(t));

    /// <summary>Which catalogue a standard is read from: the case's own version when closing, the current one when filing.</summary>
    public async Task<CatalogueVersion?> CatalogueForAsync(Case c, Transition t, CancellationToken ct) =>
        StandardFor(t) == StandardKind.Closing && c.CatalogueVersion is { } kept ? Catalogue(kept) : Catalogue(await CurrentCatalogueVersionAsync(ct));

    /// <summary>The teams a case can be assigned to: the lead department's child departments (<see cref="Department.ParentCode"/>).</summary>
    public Task<List<Department>> TeamsAsync(string? leadDepartment, CancellationToken ct) =>
        db.Departments.AsNoTracking().Where(d => leadDepartment != null && d.ParentCode == leadDepartment).OrderBy(d => d.Code).ToListAsync(ct);

    /// <summary>The people a User field may name, among the staff of one platform (<paramref name="platformColumn"/>: NULL is the root).</summary>
    public async Task<IReadOnlyList<User>> UsersAsync(string field, Actor actor, string? platformColumn, CancellationToken ct)
    {
        var rule = UserRule(field, actor);
        var users = await db.Users.AsNoTracking().Where(u => !u.Disabled && u.PlatformCode == platformColumn).OrderBy(u => u.UserName).ToListAsync(ct);
        return users.Where(rule).ToList();
    }

    public IQueryable<Case> VisibleCases(Actor actor) => queries.Visible(actor, db.Cases.AsNoTracking());

    /// <summary>Open cases the actor sees, other than <paramref name="self"/>: where a duplicate report can be merged.</summary>
    public IQueryable<Case> MergeTargets(Actor actor, Guid? self)
    {
        var open = Enum.GetValues<CaseState>().Where(s => s.IsOpen()).ToList();
        return VisibleCases(actor).Where(x => open.Contains(x.State) && x.Id != self);
    }
}

/// <summary>
/// Reads and writes an action's fields by the names the transition table gives them (<c>leadDepartment</c> →
/// <see cref="ActionInput.LeadDepartment"/>), so that a field added to the table is checked without a list of names here.
/// </summary>
public static class ActionFieldValues
{
    static readonly Dictionary<string, PropertyInfo> Properties = typeof(ActionInput)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .ToDictionary(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..], StringComparer.Ordinal);

    static readonly MethodInfo Clone = typeof(ActionInput).GetMethod("<Clone>$")!;

    public static bool Exists(string field) => Properties.ContainsKey(field);

    /// <summary>The field's text values: one for a single code, several for a list, none when empty.</summary>
    public static IReadOnlyList<string?> Get(ActionInput input, string field) =>
        Properties.TryGetValue(field, out var p)
            ? p.GetValue(input) switch
            {
                null => [],
                string s => [s],
                IEnumerable<string> list => list.ToList(),
                var other => [other.ToString() ?? ""],
            }
            : [];

    /// <summary>A copy of the input with the field set to <paramref name="values"/> (one string, or a list for list fields).</summary>
    public static ActionInput With(ActionInput input, string field, IReadOnlyList<string> values)
    {
        var p = Properties[field];
        var copy = (ActionInput)Clone.Invoke(input, null)!;
        p.SetValue(copy, p.PropertyType == typeof(string) ? values.FirstOrDefault() : values.ToList());
        return copy;
    }
}
