using System.Text;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Admin;

/// <summary>
/// The audit administrator's landing page: the trail searched by action, person or target, result and period, paged,
/// exported as CSV, and its hash chain verified on demand.
/// </summary>
public sealed class AuditTrailModel(CurrentActor current, UserAdmin admin, AuditChain chain, Audit audit, Ui ui) : PageModel
{
    public const int PageSize = 50;
    /// <summary>An export holds at most this many records: a longer period is exported in parts.</summary>
    public const int ExportLimit = 100_000;

    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? Result { get; set; }
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    public IReadOnlyList<AuditDto> Rows { get; private set; } = [];
    public IReadOnlyList<string> Actions { get; private set; } = [];
    public int Total { get; private set; }
    public AuditVerification? Verification { get; private set; }
    public DeskError? Error { get; private set; }

    AuditFilter Filter() => new(Action, Q, Result, ui.ParseLocal(From), ui.ParseLocal(To) is { } to && To!.Length <= 10 ? to.AddDays(1) : ui.ParseLocal(To));

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.AuditAdmin)) return Forbid();
        await LoadAsync(actor, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostVerifyAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.AuditAdmin)) return Forbid();
        Verification = await chain.VerifyAsync(ct);
        await audit.WriteAsync(actor.Id, actor.Name, "audit-verify", "audit-log", Verification.Intact ? "success" : "failure", Verification.ToString());
        await LoadAsync(actor, ct);
        return Page();
    }

    public async Task<IActionResult> OnGetExportAsync(CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.AuditAdmin)) return Forbid();
        var rows = await admin.AuditQuery(actor, Filter()).Take(ExportLimit + 1).ToListAsync(ct);
        if (rows.Count > ExportLimit)
        {
            Error = new DeskError(Ui.Pick($"超过 {ExportLimit:N0} 条记录，请缩短时间段后分批导出。", $"More than {ExportLimit:N0} records: export a shorter period at a time."), []);
            await LoadAsync(actor, ct);
            return Page();
        }
        var sb = new StringBuilder();
        sb.Append("id,at,actor_id,actor,action,target,result,ip,detail\n");
        foreach (var a in rows)
            sb.AppendJoin(',', new[] { a.Id.ToString(), ui.Time(a.At), a.ActorId, a.ActorName, a.Action, a.Target, a.Result, a.Ip, a.Detail }.Select(CaseEndpoints.Csv)).Append('\n');
        await audit.WriteAsync(actor.Id, actor.Name, "export", "audit-log", detail: $"{rows.Count} rows");
        Response.Headers.CacheControl = "no-store";
        return File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(sb.ToString())).ToArray(), "text/csv; charset=utf-8", "audit-log.csv");
    }

    async Task LoadAsync(Actor actor, CancellationToken ct)
    {
        PageNumber = Math.Clamp(PageNumber, 1, 100_000);
        var (rows, total) = await admin.AuditAsync(actor, Filter(), PageNumber, PageSize, ct);
        Rows = rows;
        Total = total;
        Actions = await admin.AuditActionsAsync(actor, ct);
    }

    /// <summary>The query string of this search with another page number.</summary>
    public string PageLink(int page) => QueryString.Create(new Dictionary<string, string?>
    {
        ["action"] = Action, ["q"] = Q, ["result"] = Result, ["from"] = From, ["to"] = To, ["p"] = page.ToString(),
    }.Where(kv => !string.IsNullOrEmpty(kv.Value))).ToString();
}
