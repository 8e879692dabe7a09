using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Reports;

/// <summary>The reports desk: pick a kind and period, read the report (the same template as the PDF), download it.</summary>
public sealed class IndexModel(CurrentActor current, ReportService reports, ReportPdf pdf) : PageModel
{
    [BindProperty(SupportsGet = true)] public string Kind { get; set; } = "monthly";
    [BindProperty(SupportsGet = true)] public string? Period { get; set; }

    public ReportContent? Report { get; private set; }
    public IReadOnlyList<ArchivedReportDto> Archive { get; private set; } = [];
    public DeskError? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!ReportService.Kinds.ContainsKey(Kind)) Kind = "monthly";
        try
        {
            var actor = await current.GetAsync();
            Report = await reports.GetAsync(actor, Kind, Period, null, ct);
            Archive = await reports.ArchiveAsync(actor, null, ct);
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            Response.StatusCode = ex is CityLoop.Domain.Cases.CaseForbiddenException ? 403 : 422;
        }
    }

    public async Task<IActionResult> OnGetPdfAsync(CancellationToken ct)
    {
        var r = await reports.GetAsync(await current.GetAsync(), Kind, Period, null, ct);
        return File(await pdf.PrintAsync(ReportHtml.Document(r), ct), "application/pdf", $"cityloop-{r.Kind}-{r.PeriodKey}.pdf");
    }

    public async Task<IActionResult> OnGetXlsxAsync(CancellationToken ct)
    {
        var r = await reports.GetAsync(await current.GetAsync(), Kind, Period, null, ct);
        return File(ReportXlsx.Write(r), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"cityloop-{r.Kind}-{r.PeriodKey}.xlsx");
    }
}
