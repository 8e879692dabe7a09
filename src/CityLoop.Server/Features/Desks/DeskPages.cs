using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Maps;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using static CityLoop.Domain.Cases.CaseState;

namespace CityLoop.Server.Features.Desks;

/// <summary>A desk page: its tabs, the roles it is for, and the list with the open case (?tab=&amp;case=).</summary>
public abstract class DeskPage(CurrentActor current, QueueDesk desk) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "tab")] public string? TabKey { get; set; }
    [BindProperty(SupportsGet = true, Name = "case")] public Guid? CaseId { get; set; }
    [TempData] public string? Flash { get; set; }

    public DeskView? View { get; private set; }
    public DeskError? Error { get; private set; }

    protected abstract IReadOnlyList<DeskTab> Tabs { get; }
    protected abstract IReadOnlySet<Role> For { get; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Roles.Any(For.Contains)) return Nav.AdminLanding(User) is { } landing ? LocalRedirect(landing) : LocalRedirect("/Cases");
        try
        {
            View = await desk.LoadAsync(actor, Request.Path, Tabs, TabKey, CaseId, ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            // The open case may have left this user's sight (dispatched on, given back): the list still shows.
            if (CaseId is not null) View = await desk.LoadAsync(actor, Request.Path, Tabs, TabKey, null, ct);
        }
        return Page();
    }
}

/// <summary>派遣 — the dispatcher's map desk: cases awaiting dispatch on the map, returns and requests to decide.</summary>
public sealed class DispatchModel(CurrentActor current, QueueDesk desk, IOptions<MapOptions> map) : DeskPage(current, desk)
{
    public static readonly IReadOnlyList<DeskTab> DispatchTabs =
    [
        new("dispatch", "待派遣", "To dispatch", [PendingDispatch]),
        new("returns", "回退申请", "Returns", [ReturnRequested, ArbitrationRequested]),
        new("requests", "延期与反馈", "Extensions and feedback", [ExtensionRequested, FeedbackReview]),
        new("sent", "已派待签收", "Awaiting sign-for", [PendingSignFor]),
    ];

    protected override IReadOnlyList<DeskTab> Tabs => DispatchTabs;
    protected override IReadOnlySet<Role> For { get; } = new HashSet<Role> { Role.Dispatcher, Role.ShiftLeader, Role.Supervisor };
    public MapOptions Map => map.Value;
}

/// <summary>部门收件箱 — the department's inbox: deadline order with lights, sign-for, handling with photos, assignment, requests.</summary>
public sealed class InboxModel(CurrentActor current, QueueDesk desk) : DeskPage(current, desk)
{
    public static readonly IReadOnlyList<DeskTab> InboxTabs =
    [
        new("all", "全部在办", "All open", [PendingSignFor, Handling, ReturnRequested, ExtensionRequested, SuspensionRequested, Suspended, FeedbackReview, ArbitrationRequested]),
        new("sign-for", "待签收", "To sign for", [PendingSignFor]),
        new("handling", "处置中", "Handling", [Handling]),
        new("requests", "申请中", "Requested", [ReturnRequested, ExtensionRequested, SuspensionRequested, ArbitrationRequested]),
        new("suspended", "挂账", "Suspended", [Suspended]),
    ];

    protected override IReadOnlyList<DeskTab> Tabs => InboxTabs;
    protected override IReadOnlySet<Role> For => Roles.DepartmentBound;
}

/// <summary>受理与值班长队列 — intake's and the shift leader's queues by state and age.</summary>
public sealed class QueueModel(CurrentActor current, QueueDesk desk) : DeskPage(current, desk)
{
    public static readonly IReadOnlyList<DeskTab> QueueTabs =
    [
        new("reported", "待受理", "Reported", [Reported]),
        new("verifying", "核实中", "Verifying", [Verifying]),
        new("filing", "待立案", "To file", [PendingFiling]),
        new("requests", "延期与挂账申请", "Extensions and suspensions", [ExtensionRequested, SuspensionRequested]),
        new("arbitration", "退单仲裁", "Disputed returns", [ArbitrationRequested]),
    ];

    protected override IReadOnlyList<DeskTab> Tabs => QueueTabs;
    protected override IReadOnlySet<Role> For { get; } = new HashSet<Role> { Role.IntakeOperator, Role.ShiftLeader };
}
