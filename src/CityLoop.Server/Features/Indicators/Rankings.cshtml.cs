using CityLoop.Domain.Indicators;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Indicators;

/// <summary>The centre's rankings: 三率 of every unit and street, 每月一题, and the department and street assessments.</summary>
public sealed class RankingsModel(CurrentActor current, RankingQueries queries) : PageModel
{
    public static readonly string[] Views = ["three-rates", "topics", "assessment"];

    [BindProperty(SupportsGet = true)] public string View { get; set; } = "three-rates";
    [BindProperty(SupportsGet = true)] public string By { get; set; } = "department";
    [BindProperty(SupportsGet = true)] public string Kind { get; set; } = "month";
    [BindProperty(SupportsGet = true)] public string? Period { get; set; }

    public ThreeRateRankingDto? ThreeRates { get; private set; }
    public MonthlyTopicsDto? Topics { get; private set; }
    public AssessmentDto? Assessment { get; private set; }
    public PeriodDto? Resolved { get; private set; }
    public DeskError? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!Views.Contains(View)) View = "three-rates";
        if (By is not ("department" or "street")) By = "department";
        try
        {
            RankingQueries.Authorize(await current.GetAsync());
            var period = queries.ResolvePeriod(Kind, Period);
            Resolved = queries.Dto(period);
            switch (View)
            {
                case "topics": Topics = await queries.TopicsAsync(period, 10, null, ct); break;
                case "assessment": Assessment = await queries.AssessAsync(By, period, null, ct); break;
                default: ThreeRates = await queries.ThreeRatesAsync(period, By, null, ct); break;
            }
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            Response.StatusCode = ex is CityLoop.Domain.Cases.CaseForbiddenException ? 403 : 422;
        }
    }

    public static string Pct(decimal? v) => v is { } x ? x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "%" : "—";
    public static string Num(decimal? v) => v is { } x ? x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "—";

    public static string KindName(string kind) => kind switch
    {
        "day" => Ui.Pick("日", "Day"), "week" => Ui.Pick("周", "Week"), "half-month" => Ui.Pick("半月", "Half-month"),
        "month" => Ui.Pick("月", "Month"), "quarter" => Ui.Pick("季度", "Quarter"), _ => Ui.Pick("年", "Year"),
    };
}
