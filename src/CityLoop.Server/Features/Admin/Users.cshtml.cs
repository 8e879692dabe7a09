using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Admin;

/// <summary>
/// Accounts, for the system administrator (create, disable, enable) and the security administrator (roles and
/// department, unlock, reset a second factor); each sees only the buttons of their own powers.
/// </summary>
public sealed class UsersModel(CurrentActor current, UserAdmin admin, CityLoopDb db) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty] public Guid Id { get; set; }
    [BindProperty] public string? UserName { get; set; }
    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public List<string> Roles { get; set; } = [];
    [BindProperty] public string? Department { get; set; }
    [BindProperty] public string? Reason { get; set; }
    [BindProperty] public string? Organisation { get; set; }

    public IReadOnlyList<UserDto> Users { get; private set; } = [];
    public IReadOnlyDictionary<string, string> Departments { get; private set; } = new Dictionary<string, string>();
    /// <summary>The organisations already named on this platform, offered while typing.</summary>
    public IReadOnlyList<string> Organisations { get; private set; } = [];
    public bool IsSystemAdmin { get; private set; }
    public bool IsSecurityAdmin { get; private set; }
    public string? Me { get; private set; }
    public string? Done { get; private set; }
    public DeskError? Error { get; private set; }

    /// <summary>The roles a person can hold, in the order of the desks.</summary>
    public static readonly Role[] PersonRoles = Enum.GetValues<Role>().Where(r => !Domain.Identity.Roles.SystemPrincipals.Contains(r)).ToArray();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Run(_ => Task.FromResult<string?>(null), ct);

    public Task<IActionResult> OnPostCreateAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.CreateAsync(a, new CreateUserRequest(UserName, DisplayName, Password, null, Organisation: Organisation), ct);
        return Ui.Pick($"已创建账号 {u.UserName}。首次登录须修改密码；角色由安全管理员授予。", $"Account {u.UserName} created. It must change its password at first sign-in; the security administrator grants its roles.");
    }, ct);

    public Task<IActionResult> OnPostDisableAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.SetDisabledAsync(a, Id, true, ct);
        return Ui.Pick($"已停用 {u.UserName}。", $"{u.UserName} disabled.");
    }, ct);

    public Task<IActionResult> OnPostEnableAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.SetDisabledAsync(a, Id, false, ct);
        return Ui.Pick($"已启用 {u.UserName}。", $"{u.UserName} enabled.");
    }, ct);

    public Task<IActionResult> OnPostRolesAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.SetRolesAsync(a, Id, new SetRolesRequest(Roles, Department), ct);
        return Ui.Pick($"已更新 {u.UserName} 的角色。", $"Roles of {u.UserName} updated.");
    }, ct);

    public Task<IActionResult> OnPostOrganisationAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.SetOrganisationAsync(a, Id, Organisation, ct);
        return u.Organisation is { } o
            ? Ui.Pick($"{u.UserName} 的所属单位已设为“{o}”。", $"{u.UserName} now works for '{o}'.")
            : Ui.Pick($"{u.UserName} 已设为中心自有人员（无外包单位）。", $"{u.UserName} is now the centre's own staff (no organisation).");
    }, ct);

    public Task<IActionResult> OnPostUnlockAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.UnlockAsync(a, Id, ct);
        return Ui.Pick($"已解锁 {u.UserName}。", $"{u.UserName} unlocked.");
    }, ct);

    public Task<IActionResult> OnPostResetSecondFactorAsync(CancellationToken ct) => Run(async a =>
    {
        var u = await admin.ResetSecondFactorAsync(a, Id, Reason, ct);
        return Ui.Pick($"已重置 {u.UserName} 的动态验证码，其下次登录时须重新绑定。", $"The second factor of {u.UserName} is reset: it enrols again at its next sign-in.");
    }, ct);

    async Task<IActionResult> Run(Func<Actor, Task<string?>> action, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        IsSystemAdmin = actor.Has(Role.SystemAdmin);
        IsSecurityAdmin = actor.Has(Role.SecurityAdmin);
        Me = actor.Id;
        if (!IsSystemAdmin && !IsSecurityAdmin) return Forbid();
        try
        {
            Done = await action(actor);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
        }
        Users = await admin.ListAsync(actor, Q, ct);
        Departments = await db.DepartmentNamesAsync(ct);
        if (IsSystemAdmin) Organisations = await admin.OrganisationsAsync(actor, ct);
        return Page();
    }
}
