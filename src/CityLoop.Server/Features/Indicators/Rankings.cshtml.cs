using CityLoop.Domain.Indicators;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Indicators;

/// <summary>The centre's rankings: 三率 of every unit and street, 每月一题, and the department and street assessments.</summary>
public sealed class RankingsModel(CurrentActor current, RankingQueries queries, IndicatorQueries indicators) : PageModel
{
    public static readonly string[] Views = ["three-rates", "topics", "assessment", "cases"];

    /// <summary>The drill-down of a person's figure: the indicator, and the person (user name) or company.</summary>
    [BindProperty(SupportsGet = true)] public string? Indicator { get; set; }
    [BindProperty(SupportsGet = true)] public string? Person { get; set; }
    [BindProperty(SupportsGet = true)] public string? Organisation { get; set; }
    public IndicatorCasesDto? Cases { get; private set; }
    public IndicatorValueDto? Figure { get; private set; }

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
        By = RankingQueries.SubjectOf(By) ?? "department";
        try
        {
            RankingQueries.Authorize(await current.GetAsync());
            var period = queries.ResolvePeriod(Kind, Period);
            Resolved = queries.Dto(period);
            switch (View)
            {
                case "topics": Topics = await queries.TopicsAsync(period, 10, null, ct); break;
                case "assessment": Assessment = await queries.AssessAsync(By, period, null, ct); break;
                case "cases":
                    var def = IndicatorQueries.Find(Indicator ?? "");
                    var slice = new IndicatorSlice(Resolved.FirstDay.ToString("yyyy-MM-dd"), Resolved.LastDay.ToString("yyyy-MM-dd"), null, null, null, null, null, null,
                        Person: Person, Organisation: Organisation);
                    Figure = await indicators.ValueAsync(def, slice, null, ct);
                    Cases = await indicators.CasesAsync(def, slice, "numerator", 1, 1000, ct);
                    break;
                default: ThreeRates = await queries.ThreeRatesAsync(period, By, null, ct); break;
            }
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            Response.StatusCode = ex is CityLoop.Domain.Cases.CaseForbiddenException ? 403 : 422;
        }
    }

    /// <summary>The page's drill-down of a person's term (the API link's list, as a page; 漏报 goes to the API's list).</summary>
    public string TermLink(AssessmentDto a, AssessmentRowDto row, ScoreTermDto term) =>
        CityLoop.Domain.Indicators.IndicatorCatalogue.Find(term.Indicator)?.Subject == CityLoop.Domain.Indicators.IndicatorSubject.Patrol
            ? term.Cases ?? ""
            : $"/figures/rankings?view=cases&by={a.Subject}&kind={Kind}&period={Uri.EscapeDataString(a.Period.Key)}&indicator={term.Indicator}&"
              + (a.Subject == "company" ? "organisation=" : "person=") + Uri.EscapeDataString(row.Code);

    public static string Pct(decimal? v) => v is { } x ? x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "%" : "—";
    public static string Num(decimal? v) => v is { } x ? x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "—";

    public static string KindName(string kind) => kind switch
    {
        "day" => Ui.Pick("日", "Day"), "week" => Ui.Pick("周", "Week"), "half-month" => Ui.Pick("半月", "Half-month"),
        "month" => Ui.Pick("月", "Month"), "quarter" => Ui.Pick("季度", "Quarter"), _ => Ui.Pick("年", "Year"),
    };
}
