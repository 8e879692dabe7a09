using System.Globalization;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Inspector;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Screen;

/// <summary>A figure on a person's dashboard: the catalogue's definition, the value and its sums, and the cases behind it.</summary>
public sealed record DeskFigureDto(string Indicator, string Name, string How, string Unit, decimal? Value, long Numerator, long? Denominator, string? Cases);

/// <summary>A count of the queue "now" with the case list that shows the same cases.</summary>
public sealed record DeskQueueDto(string Key, string Label, long Count, string List);

/// <summary>
/// A desk person's own dashboard (issue 8): the inspector's tasks and month score, the dispatcher's queue by light and
/// dispatch figures. Scores are the assessment's (<see cref="RankingQueries"/>), figures the catalogue's, so the
/// dashboard, the rankings and the monthly report agree.
/// </summary>
public sealed record DeskDashboardDto(string Kind, string User, string Period, DateOnly From, DateOnly To, decimal? Score, string? Grade, decimal FullMarks,
    string HowZh, string HowEn, IReadOnlyList<DeskFigureDto> Figures, IReadOnlyList<DeskFigureDto> Platform, IReadOnlyList<DeskQueueDto> Queue,
    IReadOnlyList<string> Days, IReadOnlyList<long> PerDay, string PerDayName, int RefreshSeconds);

public sealed class DeskDashboards(CityLoopDb db, RankingQueries rankings, IndicatorQueries indicators, InspectorDesk desk, TimeProvider clock,
    IOptions<PlatformOptions> platform, IOptions<ScreenOptions> options)
{
    DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), platform.Value.Zone).DateTime);

    async Task<string> UserNameAsync(Actor actor, CancellationToken ct)
    {
        if (!Guid.TryParse(actor.Id, out var id)) throw new CaseForbiddenException("A dashboard is a signed-in person's own.");
        return await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.UserName).FirstOrDefaultAsync(ct)
            ?? throw new CaseForbiddenException("A dashboard is a signed-in person's own.");
    }

    /// <summary>The month so far: the score as the assessment computes it over the month's first day to today.</summary>
    async Task<(AssessmentRowDto? Row, AssessmentDto Assessment, PeriodDto Period)> ScoreAsync(string subject, string userName, CancellationToken ct)
    {
        var period = Periods.Of(PeriodKind.Month, Today);
        var assessment = await rankings.AssessAsync(subject, period, platform.Value.Code, ct, only: userName);
        return (assessment.Rows.FirstOrDefault(), assessment, rankings.Dto(period));
    }

    static DeskFigureDto Term(ScoreTermDto t, IndicatorDefinition def) =>
        new(t.Indicator, Ui.Pick(t.NameZh, t.NameEn), Ui.Pick(def.HowZh, def.HowEn), Domain.Kebab.From(def.Unit.ToString()), t.Rate, t.Numerator, t.Denominator, t.Cases);

    async Task<(List<string> Days, List<long> Counts)> PerDayAsync(string indicator, string userName, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var def = IndicatorCatalogue.Find(indicator)!;
        var v = await indicators.ValueAsync(def, new IndicatorSlice(from.ToString("yyyy-MM-dd"), to.ToString("yyyy-MM-dd"), platform.Value.Code, null, null, null,
            null, null, Person: userName), "day", ct);
        return ((v.Groups ?? []).Select(g => g.Key ?? "").ToList(), (v.Groups ?? []).Select(g => g.Numerator).ToList());
    }

    public async Task<DeskDashboardDto> InspectorAsync(Actor actor, CancellationToken ct)
    {
        InspectorDesk.RequireInspector(actor);
        var me = await UserNameAsync(actor, ct);
        var (row, a, p) = await ScoreAsync("inspector", me, ct);
        var figures = (row?.Terms ?? []).Select(t => Term(t, IndicatorCatalogue.Find(t.Indicator)!)).ToList();
        var reported = IndicatorCatalogue.Find("reported")!;
        var mine = await indicators.ValueAsync(reported, new IndicatorSlice(p.FirstDay.ToString("yyyy-MM-dd"), Today.ToString("yyyy-MM-dd"), platform.Value.Code,
            null, null, null, null, null, Person: me), null, ct);
        figures.Insert(0, new DeskFigureDto(reported.Id, Ui.Pick("本月上报数", "My reports this month"), Ui.Pick(reported.HowZh, reported.HowEn), "count",
            mine.Value, mine.Numerator, null,
            $"/api/v1/indicators/reported/cases?person={Uri.EscapeDataString(me)}&from={p.FirstDay:yyyy-MM-dd}&to={Today:yyyy-MM-dd}"));
        var tasks = await desk.TasksAsync(actor, null, null, ct);
        var queue = new List<DeskQueueDto>
        {
            new("verify", Ui.Pick("待核实", "To verify"), tasks.Count(t => t.Kind == TaskKind.Verify), "/inspector"),
            new("check", Ui.Pick("待核查", "To check"), tasks.Count(t => t.Kind == TaskKind.Check), "/inspector"),
            new("red", Ui.Pick("已超时", "Past due"), tasks.Count(t => t.Light == "red"), "/inspector"),
        };
        var (days, counts) = await PerDayAsync("reported", me, p.FirstDay, Today, ct);
        return new DeskDashboardDto("inspector", me, p.Key, p.FirstDay, Today, row?.Score, row?.Grade, a.FullMarks, a.HowZh, a.HowEn, figures, [], queue,
            days, counts, Ui.Pick("每日上报", "Reports per day"), Math.Clamp(options.Value.RefreshSeconds, 5, 3600));
    }

    /// <summary>The dispatcher's queue states: waiting for dispatch, and the departments' requests the dispatcher decides.</summary>
    static readonly CaseState[] DispatchQueue = [CaseState.PendingDispatch, CaseState.ReturnRequested, CaseState.ExtensionRequested, CaseState.FeedbackReview];

    public static readonly string[] DispatchFigures = ["dispatched", "dispatched-on-time-rate", "accurate-dispatch-rate", "return-rate", "returns"];

    public async Task<DeskDashboardDto> DispatcherAsync(Actor actor, CancellationToken ct)
    {
        if (!actor.Roles.Contains(Role.Dispatcher)) throw new CaseForbiddenException("The dispatch dashboard is the dispatchers'.");
        var me = await UserNameAsync(actor, ct);
        var (row, a, p) = await ScoreAsync("dispatcher", me, ct);
        var figures = (row?.Terms ?? []).Select(t => Term(t, IndicatorCatalogue.Find(t.Indicator)!)).ToList();
        var platformFigures = new List<DeskFigureDto>();
        var slice = new IndicatorSlice(p.FirstDay.ToString("yyyy-MM-dd"), Today.ToString("yyyy-MM-dd"), platform.Value.Code, null, null, null, null, null);
        foreach (var id in DispatchFigures)
        {
            var def = IndicatorCatalogue.Find(id)!;
            var v = await indicators.ValueAsync(def, slice, null, ct);
            platformFigures.Add(new DeskFigureDto(id, Ui.Pick(def.NameZh, def.NameEn), Ui.Pick(def.HowZh, def.HowEn), Domain.Kebab.From(def.Unit.ToString()),
                v.Value, v.Numerator, v.Denominator, $"/api/v1/indicators/{id}/cases?from={p.FirstDay:yyyy-MM-dd}&to={Today:yyyy-MM-dd}&platform={platform.Value.Code}"));
        }
        var now = clock.GetUtcNow();
        var states = string.Join(',', DispatchQueue.Select(s => Domain.Kebab.From(s.ToString())));
        var queued = db.Cases.AsNoTracking().Where(c => DispatchQueue.Contains(c.State));
        var queue = new List<DeskQueueDto>();
        foreach (var (light, zh, en) in new[] { (CaseLight.Red, "红灯", "Red"), (CaseLight.Yellow, "黄灯", "Yellow"), (CaseLight.Green, "绿灯", "Green") })
            queue.Add(new DeskQueueDto(light.ToString().ToLowerInvariant(), Ui.Pick(zh, en), await CaseQueries.WithLight(queued, light, now).LongCountAsync(ct),
                $"/Cases?state={states}&light={light.ToString().ToLowerInvariant()}"));
        queue.Add(new DeskQueueDto("returns", Ui.Pick("待审回退", "Returns to decide"),
            await db.Cases.AsNoTracking().LongCountAsync(c => c.State == CaseState.ReturnRequested, ct), "/Cases?state=return-requested"));
        var first = Today.AddDays(-29);
        var def2 = IndicatorCatalogue.Find("dispatched")!;
        var perDay = await indicators.ValueAsync(def2, new IndicatorSlice(first.ToString("yyyy-MM-dd"), Today.ToString("yyyy-MM-dd"), platform.Value.Code, null, null,
            null, null, null), "day", ct);
        return new DeskDashboardDto("dispatcher", me, p.Key, p.FirstDay, Today, row?.Score, row?.Grade, a.FullMarks, a.HowZh, a.HowEn, figures, platformFigures,
            queue, (perDay.Groups ?? []).Select(g => g.Key ?? "").ToList(), (perDay.Groups ?? []).Select(g => g.Numerator).ToList(),
            Ui.Pick("每日派遣（全平台）", "Dispatched per day (platform)"), Math.Clamp(options.Value.RefreshSeconds, 5, 3600));
    }
}

public static class DeskDashboardEndpoints
{
    public static void MapDeskDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/dashboard").WithTags("Screen").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/inspector", async Task<Ok<DeskDashboardDto>> (CurrentActor current, DeskDashboards d, CancellationToken ct) =>
            TypedResults.Ok(await d.InspectorAsync(await current.GetAsync(), ct))).WithName("GetInspectorDashboard");
        g.MapGet("/dispatcher", async Task<Ok<DeskDashboardDto>> (CurrentActor current, DeskDashboards d, CancellationToken ct) =>
            TypedResults.Ok(await d.DispatcherAsync(await current.GetAsync(), ct))).WithName("GetDispatcherDashboard");
    }
}
