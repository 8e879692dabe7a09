using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Admin;

/// <summary>The security administrator's API keys: issue one per integration (shown once), see them, revoke them.</summary>
public sealed class ApiKeysModel(CurrentActor current, UserAdmin admin) : PageModel
{
    [BindProperty] public Guid Id { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Role { get; set; }
    [BindProperty] public List<string> Scopes { get; set; } = [];

    public IReadOnlyList<ApiKeyDto> Keys { get; private set; } = [];
    public ApiKeyCreatedDto? Created { get; private set; }
    public string? Done { get; private set; }
    public DeskError? Error { get; private set; }

    public static IReadOnlyList<Role> KeyRoles => Domain.Identity.Roles.SystemPrincipals.OrderBy(r => r.ToKebab()).ToList();

    public Task<IActionResult> OnGetAsync(CancellationToken ct) => Run(_ => Task.CompletedTask, ct);

    public Task<IActionResult> OnPostCreateAsync(CancellationToken ct) => Run(async a =>
    {
        Created = await admin.CreateApiKeyAsync(a, new CreateApiKeyRequest(Name, Role, Scopes), ct);
        // The secret is shown once, on this response only.
        Response.Headers.CacheControl = "no-store";
    }, ct);

    public Task<IActionResult> OnPostRevokeAsync(CancellationToken ct) => Run(async a =>
    {
        var key = await admin.RevokeApiKeyAsync(a, Id, ct);
        Done = Ui.Pick($"已吊销密钥“{key.Name}”。", $"Key '{key.Name}' revoked.");
    }, ct);

    async Task<IActionResult> Run(Func<Actor, Task> action, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        // Keys act for the whole deployment: the root's security administrators issue them (decision 026, addendum 2).
        if (!actor.Has(Domain.Identity.Role.SecurityAdmin) || !actor.AtRoot) return Forbid();
        try
        {
            await action(actor);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
        }
        Keys = await admin.ApiKeysAsync(actor, ct);
        return Page();
    }
}
