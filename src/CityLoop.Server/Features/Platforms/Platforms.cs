using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using DepartmentKind = CityLoop.Domain.Routing.DepartmentKind;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Platforms;

public sealed record PlatformDto(string Code, string Name, string? ParentCode, bool Root, bool Disabled);

public sealed record CreatePlatformRequest(string? Code, string? Name);

public sealed record UpdatePlatformRequest(string? Name, bool? Disabled);

public sealed record AdminDepartmentDto(string Code, string Name, string? ParentCode, string Kind, string? Contact, string? WorkingHours,
    string Platform, bool Disabled);

public sealed record SaveDepartmentRequest(string? Code, string? Name, string? ParentCode, string? Kind, string? Contact, string? WorkingHours,
    string? Platform, bool? Disabled);

/// <summary>
/// The platforms of this deployment (decision 026): the root platform (<c>Platform:Code</c>, the city centre) and the
/// sub-centres below it (table <c>platforms</c>), which the root's system administrator registers. Departments and
/// people belong to one platform each (a NULL column is the root); a sub-centre's staff and administrators see and
/// manage their own platform only, the root's see every platform.
/// </summary>
public sealed class PlatformRegistry(CityLoopDb db, IOptions<PlatformOptions> options, Audit audit, TimeProvider clock, ReferenceCache cache)
{
    public string RootCode => options.Value.Code;

    PlatformDto Root => new(RootCode, options.Value.Name, null, true, false);

    /// <summary>The value of a <c>platform_code</c> column (users, departments) for a platform code: NULL for the root.</summary>
    public string? Column(string code) => code == RootCode ? null : code;

    /// <summary>The platform code a <c>platform_code</c> column names.</summary>
    public string CodeOf(string? column) => column ?? RootCode;

    /// <summary>The platform an actor works for: their sub-centre, or the root.</summary>
    public string Home(Actor actor) => actor.PlatformCode ?? RootCode;

    public async Task<IReadOnlyList<PlatformDto>> AllAsync(CancellationToken ct = default)
    {
        var rows = await db.Set<PlatformRow>().AsNoTracking().OrderBy(p => p.Code).ToListAsync(ct);
        return [Root, .. rows.Select(r => new PlatformDto(r.Code, r.Name, r.ParentCode ?? RootCode, false, r.Disabled))];
    }

    /// <summary>The platforms an actor sees: all of them at the root, their own in a sub-centre.</summary>
    public async Task<IReadOnlyList<PlatformDto>> VisibleAsync(Actor actor, CancellationToken ct = default)
    {
        var all = await AllAsync(ct);
        return actor.AtRoot ? all : all.Where(p => p.Code == actor.PlatformCode).ToList();
    }

    public async Task<PlatformDto?> FindAsync(string code, CancellationToken ct = default) =>
        (await AllAsync(ct)).FirstOrDefault(p => p.Code == code);

    /// <summary>Names of every platform by code (for lists and rankings).</summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(CancellationToken ct = default) =>
        (await AllAsync(ct)).ToDictionary(p => p.Code, p => p.Name);

    /// <summary>
    /// Where the actor may hand the case (移交): the root's staff to any other platform of the deployment that is in use;
    /// a sub-centre's staff back up to the platform above theirs.
    /// </summary>
    public async Task<IReadOnlyList<PlatformDto>> HandOverTargetsAsync(Actor actor, Case c, CancellationToken ct = default)
    {
        var all = await AllAsync(ct);
        if (actor.AtRoot) return all.Where(p => p.Code != c.PlatformCode && !p.Disabled).ToList();
        var mine = all.FirstOrDefault(p => p.Code == actor.PlatformCode);
        return all.Where(p => p.Code == (mine?.ParentCode ?? RootCode) && p.Code != c.PlatformCode).ToList();
    }

    /// <summary>Which platform an administrator manages: theirs; the root's may name any platform.</summary>
    public async Task<string> ManagedAsync(Actor actor, string? requested, CancellationToken ct = default)
    {
        var code = string.IsNullOrWhiteSpace(requested) ? Home(actor) : requested.Trim();
        if (!actor.AtRoot && code != actor.PlatformCode)
            throw new CaseForbiddenException(Pick("分中心管理员只能管理本分中心。", "A sub-centre's administrator manages their own sub-centre only."));
        if (await FindAsync(code, ct) is null)
            throw CaseValidationException.Single("platform", Pick($"没有平台“{code}”。", $"There is no platform '{code}'."));
        return code;
    }

    public async Task<PlatformDto> CreateAsync(Actor actor, CreatePlatformRequest body, CancellationToken ct = default)
    {
        RequireRootAdmin(actor);
        var code = body.Code?.Trim() ?? "";
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
            throw CaseValidationException.Single("code", Pick("分中心代码为 6 位行政区划代码。", "A sub-centre's code is its 6-digit administrative division code."));
        var name = body.Name?.Trim() ?? "";
        if (name.Length is < 2 or > 100) throw CaseValidationException.Single("name", Pick("名称为 2–100 个字符。", "A name has 2–100 characters."));
        if (code == RootCode || await db.Set<PlatformRow>().AnyAsync(p => p.Code == code, ct))
            throw new ConflictException(Pick($"平台代码“{code}”已在使用。", $"The platform code '{code}' is in use."));
        var row = new PlatformRow { Code = code, Name = name, ParentCode = RootCode, CreatedAt = clock.GetUtcNow(), CreatedBy = actor.Id };
        db.Add(row);
        audit.Add(actor.Id, actor.Name, "platform-create", code, detail: name);
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Calendars);
        return new PlatformDto(row.Code, row.Name, row.ParentCode, false, false);
    }

    public async Task<PlatformDto> UpdateAsync(Actor actor, string code, UpdatePlatformRequest body, CancellationToken ct = default)
    {
        RequireRootAdmin(actor);
        var row = await db.Set<PlatformRow>().FirstOrDefaultAsync(p => p.Code == code, ct)
            ?? throw new NotFoundException(Pick($"没有分中心“{code}”。", $"There is no sub-centre '{code}'."));
        if (body.Name is { } name)
        {
            if (name.Trim().Length is < 2 or > 100) throw CaseValidationException.Single("name", Pick("名称为 2–100 个字符。", "A name has 2–100 characters."));
            row.Name = name.Trim();
        }
        if (body.Disabled is { } disabled) row.Disabled = disabled;
        audit.Add(actor.Id, actor.Name, "platform-edit", code, detail: $"{row.Name}{(row.Disabled ? " (disabled)" : "")}");
        await db.SaveChangesAsync(ct);
        return new PlatformDto(row.Code, row.Name, row.ParentCode, false, row.Disabled);
    }

    static void RequireRootAdmin(Actor actor)
    {
        if (!actor.Has(Role.SystemAdmin) || !actor.AtRoot)
            throw new CaseForbiddenException(Pick("分中心由市级平台的系统管理员登记。", "Sub-centres are registered by the root platform's system administrator."));
    }

    // ---- departments ------------------------------------------------------------------------------------------

    /// <summary>The departments an administrator manages: their platform's; at the root, every platform's or the one named.</summary>
    public async Task<IReadOnlyList<AdminDepartmentDto>> DepartmentsAsync(Actor actor, string? platform, CancellationToken ct = default)
    {
        UserAdminRequire(actor);
        var q = db.Departments.AsNoTracking();
        if (!actor.AtRoot || !string.IsNullOrWhiteSpace(platform))
        {
            var column = Column(await ManagedAsync(actor, platform, ct));
            q = q.Where(d => d.PlatformCode == column);
        }
        return (await q.OrderBy(d => d.Code).ToListAsync(ct)).Select(ToDto).ToList();
    }

    public AdminDepartmentDto ToDto(Department d) =>
        new(d.Code, d.Name, d.ParentCode, d.Kind, d.Contact, d.WorkingHours, CodeOf(d.PlatformCode), d.Disabled);

    /// <summary>Creates a department (code given) or edits one; a team names its parent department of the same platform.</summary>
    public async Task<AdminDepartmentDto> SaveDepartmentAsync(Actor actor, string? existingCode, SaveDepartmentRequest body, CancellationToken ct = default)
    {
        UserAdminRequire(actor);
        var errors = new Dictionary<string, string[]>();
        Department? row = null;
        if (existingCode is not null)
        {
            row = await db.Departments.FirstOrDefaultAsync(d => d.Code == existingCode, ct);
            // Another platform's department is not there for a sub-centre's administrator.
            if (row is null || (!actor.AtRoot && row.PlatformCode != actor.PlatformCode))
                throw new NotFoundException(Pick($"没有单位“{existingCode}”。", $"There is no department '{existingCode}'."));
        }
        var platform = row is not null && string.IsNullOrWhiteSpace(body.Platform) ? CodeOf(row.PlatformCode) : await ManagedAsync(actor, body.Platform, ct);
        if (row is not null && !actor.AtRoot && CodeOf(row.PlatformCode) != platform)
            throw new CaseForbiddenException(Pick("分中心管理员不能把单位移到其他平台。", "A sub-centre's administrator cannot move a department to another platform."));
        var code = row?.Code ?? body.Code?.Trim() ?? "";
        if (row is null)
        {
            if (code.Length is < 2 or > 32 || !code.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
                errors["code"] = [Pick("单位代码为 2–32 个字母、数字、- 或 _。", "A department code has 2–32 letters, digits, '-' or '_'.")];
            else if (await db.Departments.AnyAsync(d => d.Code == code, ct))
                errors["code"] = [Pick($"单位代码“{code}”已在使用。", $"The department code '{code}' is in use.")];
        }
        var name = body.Name?.Trim() ?? row?.Name ?? "";
        if (name.Length is < 2 or > 100) errors["name"] = [Pick("单位名称为 2–100 个字符。", "A department name has 2–100 characters.")];
        var kind = body.Kind is { Length: > 0 } k ? k.Trim() : row?.Kind ?? "bureau";
        if (!Kebab.TryParse<DepartmentKind>(kind, out _)) errors["kind"] = [Pick("类型为 bureau、team 或 street-office。", "The kind is bureau, team or street-office.")];
        var parent = body.ParentCode is null ? row?.ParentCode : string.IsNullOrWhiteSpace(body.ParentCode) ? null : body.ParentCode.Trim();
        if (parent is not null)
        {
            var p = await db.Departments.AsNoTracking().FirstOrDefaultAsync(d => d.Code == parent, ct);
            if (p is null || CodeOf(p.PlatformCode) != platform)
                errors["parentCode"] = [Pick($"本平台没有单位“{parent}”。", $"This platform has no department '{parent}'.")];
            else if (parent == code || p.ParentCode == code)
                errors["parentCode"] = [Pick("单位不能隶属于自己或自己的班组。", "A department cannot sit under itself or one of its teams.")];
        }
        var hours = body.WorkingHours is null ? row?.WorkingHours : string.IsNullOrWhiteSpace(body.WorkingHours) ? null : body.WorkingHours.Trim();
        if (hours is not null)
        {
            try { CalendarText.ParsePeriods(hours); }
            catch (Exception ex) when (ex is FormatException or ArgumentException) { errors["workingHours"] = [ex.Message]; }
        }
        var contact = body.Contact is null ? row?.Contact : string.IsNullOrWhiteSpace(body.Contact) ? null : body.Contact.Trim();
        if (contact is { Length: > 200 }) errors["contact"] = [Pick("联系方式最多 200 个字符。", "Contact has at most 200 characters.")];
        if (errors.Count > 0) throw new CaseValidationException(errors);
        if (row is null) db.Departments.Add(row = new Department { Code = code });
        row.Name = name;
        row.Kind = kind;
        row.ParentCode = parent;
        row.WorkingHours = hours;
        row.Contact = contact;
        row.PlatformCode = Column(platform);
        if (body.Disabled is { } disabled) row.Disabled = disabled;
        audit.Add(actor.Id, actor.Name, existingCode is null ? "department-create" : "department-edit", code,
            detail: $"{name}; platform {platform}{(row.Disabled ? "; disabled" : "")}");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(ReferencePart.Routing, ReferencePart.Calendars, ReferencePart.Departments);
        return ToDto(row);
    }

    static void UserAdminRequire(Actor actor)
    {
        if (!actor.Has(Role.SystemAdmin))
            throw new CaseForbiddenException(Pick("单位由系统管理员维护。", "Departments are kept by the system administrator."));
    }
}

public static class PlatformEndpoints
{
    public static void MapPlatformEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/platforms", async (CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
            TypedResults.Ok(await platforms.VisibleAsync(await current.GetAsync(), ct)))
            .WithTags("Platforms").WithName("ListPlatforms").RequireAuthorization(AuthSetup.ApiPolicy);

        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(AuthSetup.ApiPolicy);
        admin.MapPost("/platforms", async (CreatePlatformRequest body, CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
        {
            var created = await platforms.CreateAsync(await current.GetAsync(), body, ct);
            return TypedResults.Created($"/api/v1/platforms/{created.Code}", created);
        }).WithName("CreatePlatform");
        admin.MapPut("/platforms/{code}", async (string code, UpdatePlatformRequest body, CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
            TypedResults.Ok(await platforms.UpdateAsync(await current.GetAsync(), code, body, ct))).WithName("UpdatePlatform");
        admin.MapGet("/departments", async (string? platform, CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
            TypedResults.Ok(await platforms.DepartmentsAsync(await current.GetAsync(), platform, ct))).WithName("AdminListDepartments");
        admin.MapPost("/departments", async (SaveDepartmentRequest body, CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
        {
            var saved = await platforms.SaveDepartmentAsync(await current.GetAsync(), null, body, ct);
            return TypedResults.Created($"/api/v1/admin/departments/{saved.Code}", saved);
        }).WithName("CreateDepartment");
        admin.MapPut("/departments/{code}", async (string code, SaveDepartmentRequest body, CurrentActor current, PlatformRegistry platforms, CancellationToken ct) =>
            TypedResults.Ok(await platforms.SaveDepartmentAsync(await current.GetAsync(), code, body, ct))).WithName("UpdateDepartment");
    }
}
