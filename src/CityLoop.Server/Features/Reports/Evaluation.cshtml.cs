using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reports;

/// <summary>The 绩效评价 self-report: the scoring table in the seeds' shape, manual scores with reasons, the workbook.</summary>
public sealed class EvaluationModel(CurrentActor current, EvaluationService evaluations, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public Guid? Id { get; set; }

    public IReadOnlyList<EvaluationDto> All { get; private set; } = [];
    public EvaluationDto? Shown { get; private set; }
    public bool CanScore { get; private set; }
    /// <summary>A self-report evaluates the year just ended.</summary>
    public int DefaultYear => clock.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).Year - 1;
    public string? Flash { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnGetXlsxAsync(CancellationToken ct)
    {
        var e = await evaluations.GetAsync(await current.GetAsync(), Id ?? Guid.Empty, ct);
        return File(EvaluationService.Workbook(e), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"evaluation-{e.Year}.xlsx");
    }

    public async Task OnPostCreateAsync(string title, int year, CancellationToken ct)
    {
        try
        {
            var created = await evaluations.CreateAsync(await current.GetAsync(), new NewEvaluationRequest(title, year, null, null), ct);
            Id = created.Id;
            Flash = Ui.Pick("已按模板新建评价。", "Evaluation created from the template.");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error) { Error = error; }
        await LoadAsync(ct);
    }

    public async Task OnPostScoreAsync(string code, decimal score, string? reason, CancellationToken ct)
    {
        try
        {
            await evaluations.ScoreByHandAsync(await current.GetAsync(), Id ?? Guid.Empty, code, new ManualScoreRequest(score, reason ?? ""), ct);
            Flash = Ui.Pick($"已记录 {code} 的评分。", $"Score of {code} recorded.");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error) { Error = error; }
        await LoadAsync(ct);
    }

    async Task LoadAsync(CancellationToken ct)
    {
        try
        {
            var actor = await current.GetAsync();
            CanScore = actor.Roles.Contains(Domain.Identity.Role.Supervisor);
            All = await evaluations.ListAsync(actor, ct);
            Shown = Id is { } id ? All.FirstOrDefault(e => e.Id == id) : All.FirstOrDefault();
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error ??= error;
            Response.StatusCode = 403;
        }
    }
}
