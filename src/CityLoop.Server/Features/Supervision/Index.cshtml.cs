using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Supervision;

/// <summary>What the orders table needs: the orders, who is looking, and where its forms return to.</summary>
public sealed record OrdersView(IReadOnlyList<SupervisionOrderDto> Orders, Actor Actor, IReadOnlyDictionary<string, string> Departments, string ReturnUrl,
    bool ShowCase, bool MayIssue = false);

/// <summary>督办: supervisors follow their orders and close them, departments reply; the same use cases as /api/v1/supervision-orders.</summary>
public sealed class IndexModel(CurrentActor current, CityLoopDb db, CaseCommands commands, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public SupervisionLevel? Level { get; set; }
    public SupervisionListDto? List { get; private set; }
    public OrdersView? View { get; private set; }
    public DeskError? Error { get; private set; }
    [TempData] public string? Flash { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public Task<IActionResult> OnPostReplyAsync(Guid id, string? reply, string? returnUrl, CancellationToken ct) =>
        DoAsync(async actor => await SupervisionEndpoints.ReplyAsync(id, new SupervisionReplyRequest(reply ?? ""), actor, db, commands, clock.GetUtcNow(), ct),
            Ui.Pick("督办回复已提交。", "The reply is sent."), returnUrl, ct);

    public Task<IActionResult> OnPostCloseAsync(Guid id, string? opinion, string? returnUrl, CancellationToken ct) =>
        DoAsync(async actor => await SupervisionEndpoints.CloseAsync(id, new SupervisionCloseRequest(opinion), actor, db, commands, clock.GetUtcNow(), ct),
            Ui.Pick("督办单已办结。", "The order is closed."), returnUrl, ct);

    async Task<IActionResult> DoAsync(Func<Actor, Task> action, string done, string? returnUrl, CancellationToken ct)
    {
        try
        {
            await action(await current.GetAsync());
            Flash = done;
            return Redirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/Supervision");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            db.ChangeTracker.Clear();
            await LoadAsync(ct);
            return Page();
        }
    }

    async Task LoadAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        try
        {
            var status = string.IsNullOrWhiteSpace(Status) ? null : Status;
            List = await SupervisionEndpoints.ListAsync(actor, status, Level, null, db, clock.GetUtcNow(), ct);
            View = new OrdersView(List.Items, actor, await Cases.IndexModel.DepartmentNames(db, ct), Request.Path + Request.QueryString, ShowCase: true,
                SupervisionEndpoints.MayIssue(actor, commands.Context(actor).Rules));
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error ??= error;
            Response.StatusCode = 403;
        }
    }
}
