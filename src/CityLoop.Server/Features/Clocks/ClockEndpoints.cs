using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Clocks;

public sealed record RunningClockDto(string Phase, string? LimitType, decimal? LimitValue, DateTimeOffset StartedAt, DateTimeOffset? DueAt,
    DateTimeOffset? WarnAt, string Light, double BusinessHoursElapsed, double? BusinessHoursRemaining, double WallHoursElapsed);

public sealed record PhaseTimeDto(string Phase, DateTimeOffset StartedAt, DateTimeOffset EndedAt, DateTimeOffset? DueAt, string? LimitType,
    double BusinessHours, double PausedHours, double WallHours, bool OnTime, string? Department);

public sealed record CaseClockDto(RunningClockDto? Running, IReadOnlyList<PhaseTimeDto> Finished);

public static class ClockEndpoints
{
    public static void MapClockEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/cases/{id:guid}/clock", Get).WithTags("Cases").RequireAuthorization(AuthSetup.ApiPolicy).RequireScope(ApiScope.CasesRead).WithName("GetCaseClock");

    /// <summary>The running phase clock in its own kind of time, next to wall time, and the record of finished phases.</summary>
    static async Task<Ok<CaseClockDto>> Get(Guid id, CurrentActor current, CaseQueries queries, CityLoopDb db, IWorkingClock clock, IDeadlinePolicy deadlines,
        TimeProvider time, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
        var c = await queries.GetAsync(actor, id, ct: ct);
        return TypedResults.Ok(await QueryAsync(c, db, clock, deadlines, time.GetUtcNow(), ct));
    }

    /// <summary>The clock of a case the caller may read (the API above and the case page).</summary>
    public static async Task<CaseClockDto> QueryAsync(Case c, CityLoopDb db, IWorkingClock clock, IDeadlinePolicy deadlines, DateTimeOffset now, CancellationToken ct)
    {
        RunningClockDto? running = null;
        if (c.ClockPhase is { } phase && c.ClockStartedAt is { } started)
        {
            // Counted on the phase's own calendar (the centre's or the department's), pauses excluded.
            var limit = clock.LimitFor(c, phase);
            var elapsed = deadlines.BusinessTime(c, phase, c.LeadDepartmentCode, started, now) - TimeSpan.FromSeconds(c.ClockPausedSeconds);
            running = new RunningClockDto(Kebab.From(phase.ToString()), limit is { } l ? Kebab.From(l.Type.ToString()) : null, limit?.Value, started,
                c.ClockDueAt, c.ClockWarnAt, CaseQueries.Light(c, now), Math.Max(0, elapsed.TotalHours),
                c.ClockDueAt is { } due ? deadlines.BusinessTime(c, phase, c.LeadDepartmentCode, now, due).TotalHours : null, (now - started).TotalHours);
        }
        var finished = await db.Set<CasePhaseTime>().AsNoTracking().Where(p => p.CaseId == c.Id).OrderBy(p => p.EndedBySeq).ThenBy(p => p.Id).ToListAsync(ct);
        return new CaseClockDto(running, finished.Select(p => new PhaseTimeDto(Kebab.From(p.Phase.ToString()), p.StartedAt, p.EndedAt,
            p.DueAt, p.LimitType is { } t ? Kebab.From(t.ToString()) : null, p.BusinessSeconds / 3600.0, p.PausedSeconds / 3600.0,
            p.WallSeconds / 3600.0, p.OnTime, p.DepartmentCode)).ToList());
    }
}
