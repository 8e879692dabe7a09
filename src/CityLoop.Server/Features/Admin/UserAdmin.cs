using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Admin;

public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, string Role, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>What the audit administrator searches by: action, actor or target text, result, and a period.</summary>
public sealed record AuditFilter(string? Action = null, string? Text = null, string? Result = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// The three administrators' powers over accounts, keys and the trail (三权分立), shared by the API
/// (<see cref="IdentityEndpoints"/>) and the administration pages: the system administrator creates, disables and
/// enables accounts; the security administrator grants roles, unlocks, resets second factors and issues and revokes
/// API keys; the audit administrator reads the trail. Nobody acts on their own account, and every change is audited.
/// </summary>
public sealed class UserAdmin(CityLoopDb db, Audit audit, TimeProvider clock, Platforms.PlatformRegistry platforms)
{
    public static Actor Require(Actor actor, params Role[] roles)
    {
        if (!roles.Any(actor.Has))
            throw new CaseForbiddenException($"This needs the {string.Join(" or ", roles.Select(r => r.ToKebab()))} role.");
        return actor;
    }

    /// <summary>
    /// What only the root platform's administrators keep (decision 026, addendum 2): the deployment's shared reference
    /// data, its API keys and peer links. A sub-centre's administrator is refused (403) with <paramref name="what"/>.
    /// </summary>
    public static Actor RequireRoot(Actor actor, string whatZh, string whatEn)
    {
        if (!actor.AtRoot)
            throw new CaseForbiddenException(Shared.Ui.Pick($"{whatZh}由市级平台的管理员维护，分中心管理员不能修改。",
                $"{whatEn} kept by the root platform's administrators; a sub-centre's administrator cannot change them."));
        return actor;
    }

    public async Task<IReadOnlyList<UserDto>> ListAsync(Actor actor, string? q = null, CancellationToken ct = default)
    {
        Require(actor, Role.SystemAdmin, Role.SecurityAdmin);
        var now = clock.GetUtcNow();
        var users = db.Users.AsNoTracking();
        // A sub-centre's administrators see their platform's people only (decision 026).
        if (!actor.AtRoot) users = users.Where(u => u.PlatformCode == actor.PlatformCode);
        if (!string.IsNullOrWhiteSpace(q))
        {
            var text = q.Trim();
            users = users.Where(u => u.UserName.Contains(text) || u.DisplayName.Contains(text) || (u.DepartmentCode != null && u.DepartmentCode == text)
                || (u.Organisation != null && u.Organisation.Contains(text)));
        }
        return (await users.OrderBy(u => u.UserName).ToListAsync(ct)).Select(u => ToDto(u, now) with { Platform = platforms.CodeOf(u.PlatformCode) }).ToList();
    }

    public static UserDto ToDto(User u, DateTimeOffset now) =>
        new(u.Id, u.UserName, u.DisplayName, u.RoleSet().Select(r => r.ToKebab()).ToList(), u.DepartmentCode, u.Disabled, u.LockedUntil > now)
        {
            SecondFactor = u.TotpEnabled, MustChangePassword = u.MustChangePassword, Organisation = u.Organisation,
        };

    /// <summary>The longest organisation name kept (the column's length).</summary>
    public const int OrganisationMaxLength = 100;

    public async Task<UserDto> CreateAsync(Actor actor, CreateUserRequest body, CancellationToken ct = default)
    {
        Require(actor, Role.SystemAdmin);
        var name = body.UserName?.Trim() ?? "";
        if (name.Length is < 2 or > 64 || !name.All(ch => char.IsLetterOrDigit(ch) || ch is '.' or '-' or '_'))
            throw CaseValidationException.Single("userName", Shared.Ui.Pick("用户名为 2–64 个字母、数字或 . - _。", "A user name has 2–64 letters, digits, '.', '-' or '_'."));
        if (PasswordPolicy.Check(body.Password, name) is { } problem) throw CaseValidationException.Single("password", problem);
        if (await db.Users.AnyAsync(u => u.UserName == name, ct)) throw new ConflictException(Shared.Ui.Pick($"用户名“{name}”已被使用。", $"The user name '{name}' is taken."));
        var display = string.IsNullOrWhiteSpace(body.DisplayName) ? name : body.DisplayName.Trim();
        if (display.Length > 64) throw CaseValidationException.Single("displayName", Shared.Ui.Pick("姓名最多 64 个字符。", "A display name has at most 64 characters."));
        var platform = await platforms.ManagedAsync(actor, body.Platform, ct);
        var now = clock.GetUtcNow();
        // New accounts start without roles: granting them is the security administrator's job.
        var organisation = Organisation(body.Organisation);
        var user = new User { UserName = name, DisplayName = display, CreatedAt = now, PasswordChangedAt = now, MustChangePassword = true, PlatformCode = platforms.Column(platform), Organisation = organisation };
        user.PasswordHash = Accounts.Hash(user, body.Password!);
        db.Users.Add(user);
        audit.Add(actor.Id, actor.Name, "user-create", name, detail: "platform " + platform + (organisation is null ? "" : "; organisation " + organisation));
        await db.SaveChangesAsync(ct);
        return ToDto(user, now) with { Platform = platform };
    }

    public async Task<UserDto> SetDisabledAsync(Actor actor, Guid id, bool disabled, CancellationToken ct = default)
    {
        Require(actor, Role.SystemAdmin);
        if (actor.Id == id.ToString()) throw new CaseForbiddenException(Shared.Ui.Pick("不能停用或启用自己的账号。", "You cannot disable or enable your own account."));
        var user = await FindAsync(actor, id, ct);
        user.Disabled = disabled;
        audit.Add(actor.Id, actor.Name, disabled ? "user-disable" : "user-enable", user.UserName);
        await db.SaveChangesAsync(ct);
        return ToDto(user, clock.GetUtcNow());
    }

    public async Task<UserDto> SetRolesAsync(Actor actor, Guid id, SetRolesRequest body, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        if (actor.Id == id.ToString()) throw new CaseForbiddenException(Shared.Ui.Pick("不能修改自己的角色，请由另一位安全管理员操作。", "Nobody changes their own roles: ask another security administrator."));
        var user = await FindAsync(actor, id, ct);
        var roles = new HashSet<Role>();
        foreach (var name in body.Roles ?? [])
        {
            if (!Roles.TryParse(name, out var role) || Roles.SystemPrincipals.Contains(role))
                throw CaseValidationException.Single("roles", $"'{name}' is not a role a person can hold.");
            roles.Add(role);
        }
        if (roles.Count(Roles.Administrators.Contains) > 1 || (roles.Any(Roles.Administrators.Contains) && roles.Count > 1))
            throw CaseValidationException.Single("roles", Shared.Ui.Pick("管理员账号只能担任一种管理员角色，且不兼任其他角色（三权分立）。",
                "An administrator account holds exactly one administrator role and no other (三权分立)."));
        var dept = string.IsNullOrWhiteSpace(body.Department) ? null : body.Department.Trim();
        if (roles.Any(Roles.DepartmentBound.Contains) && dept is null)
            throw CaseValidationException.Single("department", Shared.Ui.Pick("部门人员须属于一个单位。", "Department staff belong to a department."));
        if (dept is not null && !await db.Departments.AnyAsync(d => d.Code == dept && d.PlatformCode == user.PlatformCode, ct))
            throw CaseValidationException.Single("department", Shared.Ui.Pick($"没有单位“{dept}”。", $"Unknown department '{dept}'."));
        var before = user.Roles;
        user.Roles = User.FormatRoles(roles);
        user.DepartmentCode = dept;
        user.Version++;
        audit.Add(actor.Id, actor.Name, "permission-change", user.UserName, detail: $"roles: [{before}] → [{user.Roles}]; department: {dept ?? "-"}");
        await db.SaveChangesAsync(ct);
        return ToDto(user, clock.GetUtcNow());
    }

    /// <summary>
    /// Records the organisation a person works for — an outsourced collection company's inspectors (采集公司) are
    /// assessed together (decision 027) — or clears it. Who employs someone is an organisational fact, not a
    /// permission: the system administrator keeps it, and the change is audited.
    /// </summary>
    public async Task<UserDto> SetOrganisationAsync(Actor actor, Guid id, string? organisation, CancellationToken ct = default)
    {
        Require(actor, Role.SystemAdmin);
        var user = await FindAsync(actor, id, ct);
        var value = Organisation(organisation);
        if (user.Organisation != value)
        {
            audit.Add(actor.Id, actor.Name, "user-organisation", user.UserName, detail: $"organisation: {user.Organisation ?? "-"} → {value ?? "-"}");
            user.Organisation = value;
            await db.SaveChangesAsync(ct);
        }
        return ToDto(user, clock.GetUtcNow()) with { Platform = platforms.CodeOf(user.PlatformCode) };
    }

    /// <summary>An organisation name trimmed (blank clears it), at most <see cref="OrganisationMaxLength"/> characters and no control characters.</summary>
    static string? Organisation(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var value = name.Trim();
        if (value.Length > OrganisationMaxLength || value.Any(char.IsControl))
            throw CaseValidationException.Single("organisation", Shared.Ui.Pick($"单位名称最多 {OrganisationMaxLength} 个字符，且不含控制字符。",
                $"An organisation's name has at most {OrganisationMaxLength} characters and no control characters."));
        return value;
    }

    /// <summary>The organisations people work for on the actor's platform, for the administrators' pick list.</summary>
    public async Task<IReadOnlyList<string>> OrganisationsAsync(Actor actor, CancellationToken ct = default)
    {
        var users = db.Users.AsNoTracking().Where(u => u.Organisation != null);
        if (!actor.AtRoot) users = users.Where(u => u.PlatformCode == actor.PlatformCode);
        return await users.Select(u => u.Organisation!).Distinct().OrderBy(o => o).ToListAsync(ct);
    }

    public async Task<UserDto> UnlockAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        var user = await FindAsync(actor, id, ct);
        user.LockedUntil = null;
        user.FailedSignIns = 0;
        audit.Add(actor.Id, actor.Name, "user-unlock", user.UserName);
        await db.SaveChangesAsync(ct);
        return ToDto(user, clock.GetUtcNow());
    }

    public async Task<UserDto> ResetSecondFactorAsync(Actor actor, Guid id, string? reason, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        await FindAsync(actor, id, ct);
        var user = await TwoFactor.ResetAsync(db, audit, id, actor, reason);
        return ToDto(user, clock.GetUtcNow());
    }

    public async Task<IReadOnlyList<ApiKeyDto>> ApiKeysAsync(Actor actor, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        RequireApiKeys(actor);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.RevokedAt != null).ThenBy(k => k.Name).ToListAsync(ct);
        return keys.Select(ToDto).ToList();
    }

    /// <summary>
    /// An API key acts for the whole deployment (its principal has no platform: it takes in the root's cases and reads
    /// every platform's), so keys are issued, listed and revoked by the root's security administrators only.
    /// </summary>
    static void RequireApiKeys(Actor actor) => RequireRoot(actor, "接口密钥作用于整个部署，", "API keys act for the whole deployment and are");

    static ApiKeyDto ToDto(ApiKey k) =>
        new(k.Id, k.Name, k.Prefix, k.Role.ToKebab(), k.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), k.CreatedAt, k.RevokedAt);

    public async Task<ApiKeyCreatedDto> CreateApiKeyAsync(Actor actor, CreateApiKeyRequest body, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        RequireApiKeys(actor);
        var name = body.Name?.Trim() ?? "";
        if (name.Length is < 2 or > 64) throw CaseValidationException.Single("name", Shared.Ui.Pick("请为接入系统命名（2–64 个字符）。", "Name the integration (2–64 characters)."));
        if (!Roles.TryParse(body.Role, out var role) || !Roles.SystemPrincipals.Contains(role))
            throw CaseValidationException.Single("role", $"An API key acts as one of: {string.Join(", ", Roles.SystemPrincipals.Select(r => r.ToKebab()))}.");
        var scopes = (body.Scopes ?? ["cases:create", "cases:read"]).Distinct().ToList();
        if (scopes.Except(ApiScope.All).FirstOrDefault() is { } bad) throw CaseValidationException.Single("scopes", $"Unknown scope '{bad}'.");
        if (await db.ApiKeys.AnyAsync(k => k.Name == name && k.RevokedAt == null, ct))
            throw new ConflictException(Shared.Ui.Pick($"已有名为“{name}”的有效密钥。", $"An active key named '{name}' exists."));
        var (prefix, secret, hash) = ApiKeyAuthentication.NewKey();
        var key = new ApiKey { Name = name, Prefix = prefix, SecretHash = hash, Role = role, Scopes = string.Join(' ', scopes), CreatedAt = clock.GetUtcNow(), CreatedBy = actor.Id };
        db.ApiKeys.Add(key);
        audit.Add(actor.Id, actor.Name, "permission-change", "api-key:" + name, detail: $"role {role.ToKebab()}, scopes {key.Scopes}");
        await db.SaveChangesAsync(ct);
        return new ApiKeyCreatedDto(key.Id, name, role.ToKebab(), scopes, $"{prefix}.{secret}");
    }

    /// <summary>Revokes a key at once: the next request made with it is refused. A revoked key stays listed.</summary>
    public async Task<ApiKeyDto> RevokeApiKeyAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        Require(actor, Role.SecurityAdmin);
        RequireApiKeys(actor);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct) ?? throw new NotFoundException($"API key {id} does not exist.");
        if (key.RevokedAt is not null) throw new ConflictException(Shared.Ui.Pick($"密钥“{key.Name}”已吊销。", $"The key '{key.Name}' is already revoked."));
        key.RevokedAt = clock.GetUtcNow();
        audit.Add(actor.Id, actor.Name, "permission-change", "api-key:" + key.Name, detail: "revoked");
        await db.SaveChangesAsync(ct);
        return ToDto(key);
    }

    /// <summary>The trail, newest first, filtered; reading it is itself not audited (it would grow with every page view).</summary>
    public IQueryable<AuditEntry> AuditQuery(Actor actor, AuditFilter f)
    {
        Require(actor, Role.AuditAdmin);
        var q = db.AuditLog.AsNoTracking();
        // A sub-centre's audit administrator reads what their platform's people did (decision 026, addendum 2): the
        // actor ids of its accounts; the root's read the whole trail.
        if (actor.PlatformCode is { } platformCode)
        {
            var ids = db.Users.AsNoTracking().Where(u => u.PlatformCode == platformCode).Select(u => u.Id).AsEnumerable().Select(id => id.ToString()).ToList();
            q = q.Where(a => ids.Contains(a.ActorId));
        }
        if (!string.IsNullOrWhiteSpace(f.Action)) q = q.Where(a => a.Action == f.Action.Trim());
        if (!string.IsNullOrWhiteSpace(f.Result)) q = q.Where(a => a.Result == f.Result.Trim());
        if (!string.IsNullOrWhiteSpace(f.Text))
        {
            var text = f.Text.Trim();
            q = q.Where(a => a.ActorName.Contains(text) || a.ActorId == text || (a.Target != null && a.Target.Contains(text)));
        }
        if (f.From is { } from) q = q.Where(a => a.At >= from);
        if (f.To is { } to) q = q.Where(a => a.At < to);
        return q.OrderByDescending(a => a.Id);
    }

    public async Task<(IReadOnlyList<AuditDto> Rows, int Total)> AuditAsync(Actor actor, AuditFilter f, int page, int size, CancellationToken ct = default)
    {
        var q = AuditQuery(actor, f);
        var total = await q.CountAsync(ct);
        var rows = await q.Skip((page - 1) * size).Take(size)
            .Select(a => new AuditDto(a.Id, a.At, a.ActorId, a.ActorName, a.Action, a.Target, a.Result, a.Ip, a.Detail)).ToListAsync(ct);
        return (rows, total);
    }

    /// <summary>The actions the trail holds, for the search form's list.</summary>
    public async Task<IReadOnlyList<string>> AuditActionsAsync(Actor actor, CancellationToken ct = default)
    {
        return await AuditQuery(actor, new AuditFilter(null, null, null, null, null)).Select(a => a.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
    }

    /// <summary>The account, if the administrator's platform holds it: another sub-centre's people are not there for them (decision 026).</summary>
    async Task<User> FindAsync(Actor actor, Guid id, CancellationToken ct) =>
        await db.Users.FirstOrDefaultAsync(u => u.Id == id && (actor.PlatformCode == null || u.PlatformCode == actor.PlatformCode), ct)
            ?? throw new NotFoundException($"User {id} does not exist.");
}
