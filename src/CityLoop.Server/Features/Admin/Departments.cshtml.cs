using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Platforms;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Admin;

/// <summary>
/// Departments and teams, for the system administrator of a platform (decision 026): list, create, edit, disable; a
/// team is a department under another of the same platform. The root platform's administrator sees every platform's
/// departments (or one platform's) and registers the sub-centres; a sub-centre's administrator sees and edits their own.
/// </summary>
public sealed class DepartmentsModel(CurrentActor current, PlatformRegistry platforms) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Platform { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? ParentCode { get; set; }
    [BindProperty] public string? Kind { get; set; }
    [BindProperty] public string? Contact { get; set; }
    [BindProperty] public string? WorkingHours { get; set; }
    [BindProperty] public string? NewPlatform { get; set; }

    public IReadOnlyList<AdminDepartmentDto> Departments { get; private set; } = [];
    public IReadOnlyList<PlatformDto> Platforms { get; private set; } = [];
    public bool AtRoot { get; private set; }
    public string? Done { get; private set; }
    public DeskError? Error { get; private set; }

    public Task<IActionResult> OnGetAsync(CancellationToken ct) => Run(_ => Task.FromResult<string?>(null), ct);

    public Task<IActionResult> OnPostCreateAsync(CancellationToken ct) => Run(async a =>
    {
        var d = await platforms.SaveDepartmentAsync(a, null, new SaveDepartmentRequest(Code, Name, ParentCode, Kind, Contact, WorkingHours, NewPlatform ?? Platform, null), ct);
        return Ui.Pick($"已新建单位 {d.Name}（{d.Code}）。", $"Department {d.Name} ({d.Code}) created.");
    }, ct);

    public Task<IActionResult> OnPostEditAsync(CancellationToken ct) => Run(async a =>
    {
        // Blank fields clear the optional values (parent, contact, working hours).
        var d = await platforms.SaveDepartmentAsync(a, Code, new SaveDepartmentRequest(null, Name, ParentCode ?? "", Kind, Contact ?? "", WorkingHours ?? "", null, null), ct);
        return Ui.Pick($"已保存单位 {d.Name}。", $"Department {d.Name} saved.");
    }, ct);

    public Task<IActionResult> OnPostDisableAsync(CancellationToken ct) => Toggle(true, ct);

    public Task<IActionResult> OnPostEnableAsync(CancellationToken ct) => Toggle(false, ct);

    Task<IActionResult> Toggle(bool disabled, CancellationToken ct) => Run(async a =>
    {
        var d = await platforms.SaveDepartmentAsync(a, Code, new SaveDepartmentRequest(null, null, null, null, null, null, null, disabled), ct);
        return disabled ? Ui.Pick($"已停用 {d.Name}：不再用于派遣，已有案件和统计不变。", $"{d.Name} disabled: no longer offered for dispatch; its cases and figures stay.")
            : Ui.Pick($"已启用 {d.Name}。", $"{d.Name} enabled.");
    }, ct);

    public Task<IActionResult> OnPostPlatformAsync(CancellationToken ct) => Run(async a =>
    {
        var p = await platforms.CreateAsync(a, new CreatePlatformRequest(Code, Name), ct);
        return Ui.Pick($"已登记分中心 {p.Name}（{p.Code}）。", $"Sub-centre {p.Name} ({p.Code}) registered.");
    }, ct);

    async Task<IActionResult> Run(Func<Actor, Task<string?>> action, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.SystemAdmin)) return Forbid();
        AtRoot = actor.AtRoot;
        try
        {
            Done = await action(actor);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
        }
        Platforms = await platforms.VisibleAsync(actor, ct);
        try
        {
            Departments = await platforms.DepartmentsAsync(actor, Platform, ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error ??= error;
            Departments = await platforms.DepartmentsAsync(actor, null, ct);
        }
        return Page();
    }

    public string PlatformName(string code) => Platforms.FirstOrDefault(p => p.Code == code)?.Name ?? code;
}
