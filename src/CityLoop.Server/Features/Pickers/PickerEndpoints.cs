using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Pickers;

/// <summary>One choice of a picker: the code the API takes, what a person reads, a hint, and a warning where one is due.</summary>
public sealed record PickerOption(string Code, string Name, string? Hint = null, string? Warning = null, bool Suggested = false);

public sealed record PickerPage(IReadOnlyList<PickerOption> Items, int Total);

/// <summary>What a picker asks for: the field kind, the search text, and the case and action it is for.</summary>
public sealed record PickerQuery(FieldKind Kind, string? Q = null, Guid? CaseId = null, string? Field = null, string? Action = null,
    string? Category = null, string? Code = null, int Skip = 0, int Take = PickerQueries.DefaultTake);

/// <summary>
/// GET /api/v1/pickers/{kind}: the options of a code-kind field, searchable by code, name or keyword. The desks'
/// pickers read it; it offers what <see cref="ActionReferences"/> accepts.
/// </summary>
public static class PickerEndpoints
{
    public static void MapPickerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/pickers/{kind}", Options).WithTags("Pickers").WithName("PickerOptions").RequireAuthorization(AuthSetup.ApiPolicy);
    }

    static async Task<Ok<PickerPage>> Options(string kind, string? q, Guid? caseId, string? field, string? action, string? category, string? code,
        int? skip, int? take, CurrentActor current, PickerQueries pickers, CancellationToken ct)
    {
        if (!Kebab.TryParse<FieldKind>(kind, out var k) || !CodeLists.CodeKinds.Contains(k))
            throw new NotFoundException($"There is no picker '{kind}': use one of {string.Join(", ", CodeLists.CodeKinds.Select(x => Kebab.From(x.ToString())))}.");
        var actor = await current.GetAsync();
        var query = new PickerQuery(k, q, caseId, field, action, category, code, Math.Max(0, skip ?? 0), Math.Clamp(take ?? PickerQueries.DefaultTake, 1, PickerQueries.MaxTake));
        return TypedResults.Ok(await pickers.OptionsAsync(query, actor, ct));
    }
}

public sealed class PickerQueries(CityLoopDb db, CodeLists lists, CaseQueries queries, ReferenceAdmin routing, CaseCommands commands,
    Platforms.PlatformRegistry platforms)
{
    public const int DefaultTake = 30;
    public const int MaxTake = 100;

    public async Task<PickerPage> OptionsAsync(PickerQuery p, Actor actor, CancellationToken ct = default)
    {
        // Knowledge editors file articles under catalogue categories without reading cases.
        var categoriesOnly = p.Kind == FieldKind.Category && p.CaseId is null && actor.Has(Role.KnowledgeEditor);
        if (!CaseQueries.CanReadCases(actor) && !categoriesOnly) throw new CaseForbiddenException("Your roles do not give access to cases.");
        var c = p.CaseId is { } id ? await queries.GetAsync(actor, id, ct: ct) : null;
        if (p.Kind == FieldKind.CaseNumber) return await CasesAsync(p, actor, c, ct);
        var options = p.Kind switch
        {
            FieldKind.Category => Categories(c),
            FieldKind.StandardItem => await StandardItemsAsync(p, actor, c, ct),
            FieldKind.Department or FieldKind.Departments => await DepartmentsAsync(p, c, platforms.Column(c?.PlatformCode ?? platforms.Home(actor)), ct),
            FieldKind.User => await UsersAsync(p, actor, platforms.Column(c?.PlatformCode ?? platforms.Home(actor)), ct),
            FieldKind.Platform => c is null ? [] : (await platforms.HandOverTargetsAsync(actor, c, ct))
                .Select(x => new Entry(new PickerOption(x.Code, x.Name, x.Root ? Pick("市级平台", "root platform") : Pick("分中心", "sub-centre")), [])).ToList(),
            FieldKind.Team => (await lists.TeamsAsync(c?.LeadDepartmentCode ?? actor.DepartmentCode, ct))
                .Select(d => new Entry(new PickerOption(d.Code, d.Name, d.Contact), [d.Kind])).ToList(),
            _ => [],
        };
        return Page(options, p);
    }

    /// <summary>Leaves of the current catalogue with their path; 城管 categories first unless the case came from the hotline.</summary>
    List<Entry> Categories(Case? c)
    {
        var catalogue = lists.Catalogue(null);
        if (catalogue is null) return [];
        string Path(Category cat)
        {
            var names = new List<string>();
            for (var parent = cat.ParentKey is { } pk ? catalogue.Find(pk) : null; parent is not null; parent = parent.ParentKey is { } k ? catalogue.Find(k) : null)
                names.Insert(0, parent.Name);
            names.Insert(0, Labels.CategoryKind(cat.Kind));
            return string.Join(" › ", names);
        }
        var hotlineFirst = c is not null && (c.Source == CaseSource.Hotline && c.CategoryCode is null || c.CategoryCode?.StartsWith('H') == true);
        return lists.Categories(catalogue)
            .OrderBy(cat => (cat.Kind == CategoryKind.Hotline) != hotlineFirst)
            .Select(cat => new Entry(new PickerOption(cat.Key, cat.Name, Path(cat)), cat.Conditions.Select(f => f.Description).Prepend(Path(cat))))
            .ToList();
    }

    async Task<List<Entry>> StandardItemsAsync(PickerQuery p, Actor actor, Case? c, CancellationToken ct)
    {
        if (c is null) throw CaseValidationException.Single("caseId", Pick("请指明案件：标准条目取决于案件的类别。", "Name the case: standard items depend on its category."));
        var ctx = commands.Context(actor);
        var transition = (TransitionTable.TryParseAction(p.Action, out var action) && c.WhyNot(action, actor, out var t, out _, ctx) is null ? t : null)
            ?? c.AvailableActions(actor, ctx).FirstOrDefault(x => x.Fields.Any(f => f.Kind == FieldKind.StandardItem));
        if (transition is null) return [];
        var catalogue = await lists.CatalogueForAsync(c, transition, ct);
        var category = string.IsNullOrWhiteSpace(p.Category) ? null : p.Category.Trim();
        var filed = c.FilingStandardItem;
        return lists.StandardItems(c, transition, category, catalogue)
            .OrderBy(i => i.Code != filed)
            .Select(i => new Entry(new PickerOption(i.Code, i.Text, $"{Pick("时限", "limit")} {Labels.TimeLimit(i.TimeLimit)}", Suggested: i.Code == filed), []))
            .ToList();
    }

    /// <summary>Departments, the routing suggestion first; the department that has just returned the case carries a warning.</summary>
    async Task<List<Entry>> DepartmentsAsync(PickerQuery p, Case? c, string? platformColumn, CancellationToken ct)
    {
        // The departments of the case's platform (or the actor's), in use (decision 026).
        var departments = await db.Departments.AsNoTracking().Where(d => d.PlatformCode == platformColumn && !d.Disabled).OrderBy(d => d.Code).ToListAsync(ct);
        RoutingDto? suggestion = c is null ? null : await routing.SuggestAsync(c, ct);
        var suggested = p.Kind == FieldKind.Department
            ? (suggestion?.LeadDepartment is { } lead ? [lead] : [])
            : suggestion?.AssistingDepartments ?? [];
        var returned = suggestion?.ReturnedBy;
        return departments
            .OrderBy(d => suggested.Contains(d.Code) ? suggested.ToList().IndexOf(d.Code) : int.MaxValue)
            .Select(d =>
            {
                var isSuggested = suggested.Contains(d.Code);
                var warning = d.Code == returned ? Pick($"刚以不属于本单位职责为由退回本案件{(suggestion?.ReturnReason is { } r ? "：" + r : "")}",
                    $"has just returned this case as not its duty{(suggestion?.ReturnReason is { } r2 ? ": " + r2 : "")}") : null;
                var hint = isSuggested ? Pick("派遣建议", "suggested") : d.Contact;
                return new Entry(new PickerOption(d.Code, d.Name, hint, warning, isSuggested), [d.Kind]);
            })
            .ToList();
    }

    async Task<List<Entry>> UsersAsync(PickerQuery p, Actor actor, string? platformColumn, CancellationToken ct)
    {
        var names = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, ct);
        var users = await lists.UsersAsync(p.Field ?? "", actor, platformColumn, ct);
        return users.Select(u =>
        {
            var roles = string.Join("、", u.RoleSet().Select(Labels.Role));
            var hint = u.DepartmentCode is { } dept ? $"{roles} · {names.GetValueOrDefault(dept, dept)}" : roles;
            return new Entry(new PickerOption(u.UserName, u.DisplayName, hint), []);
        }).ToList();
    }

    /// <summary>Open cases the actor sees, newest first, by number, title or description; never the case itself.</summary>
    async Task<PickerPage> CasesAsync(PickerQuery p, Actor actor, Case? self, CancellationToken ct)
    {
        var cases = lists.MergeTargets(actor, self?.Id);
        if (!string.IsNullOrWhiteSpace(p.Code)) cases = cases.Where(x => x.Number == p.Code.Trim());
        foreach (var term in Terms(p.Q))
        {
            var like = "%" + term.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            cases = cases.Where(x => EF.Functions.Like(x.Number, like, "\\") || EF.Functions.Like(x.Description, like, "\\")
                || (x.Title != null && EF.Functions.Like(x.Title, like, "\\")) || (x.Address != null && EF.Functions.Like(x.Address, like, "\\")));
        }
        var total = await cases.CountAsync(ct);
        var rows = await cases.OrderByDescending(x => x.CreatedAt).Skip(p.Skip).Take(p.Take)
            .Select(x => new { x.Number, x.Title, x.Description, x.State, x.Address }).ToListAsync(ct);
        return new PickerPage(rows.Select(r => new PickerOption(r.Number, Short(r.Title ?? r.Description),
            Labels.State(r.State) + (r.Address is null ? "" : " · " + r.Address))).ToList(), total);
    }

    static string Short(string text) => text.Length <= 40 ? text : text[..39] + "…";

    static string[] Terms(string? q) => (q ?? "").Split(' ', '\u3000', '\t').Where(t => t.Length > 0).Select(t => t.Trim()).ToArray();

    /// <summary>Keeps the options matching every search term (code, name, hint or keywords), best matches first, one page.</summary>
    static PickerPage Page(List<Entry> entries, PickerQuery p)
    {
        IEnumerable<Entry> found = entries;
        if (!string.IsNullOrWhiteSpace(p.Code))
            found = found.Where(e => string.Equals(e.Option.Code, p.Code.Trim(), StringComparison.OrdinalIgnoreCase));
        var terms = Terms(p.Q);
        if (terms.Length > 0)
            found = found
                .Select((e, i) => (e, i, rank: terms.Max(t => Rank(e, t))))
                .Where(x => terms.All(t => Rank(x.e, t) < NoMatch))
                .OrderBy(x => x.rank).ThenBy(x => x.i)
                .Select(x => x.e);
        var list = found.ToList();
        return new PickerPage(list.Skip(p.Skip).Take(p.Take).Select(e => e.Option).ToList(), list.Count);
    }

    const int NoMatch = 9;

    static int Rank(Entry e, string term)
    {
        const StringComparison ci = StringComparison.OrdinalIgnoreCase;
        var o = e.Option;
        if (string.Equals(o.Code, term, ci)) return 0;
        if (o.Code.StartsWith(term, ci)) return 1;
        if (o.Name.Contains(term, ci)) return 2;
        if (o.Code.Contains(term, ci)) return 3;
        if (o.Hint?.Contains(term, ci) == true) return 4;
        return e.Keywords.Any(k => k.Contains(term, ci)) ? 5 : NoMatch;
    }

    sealed record Entry(PickerOption Option, IEnumerable<string> Keywords);
}
