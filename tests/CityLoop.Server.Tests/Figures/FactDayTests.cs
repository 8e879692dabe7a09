using System.Text.Json;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Screen;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Figures;

/// <summary>
/// The daily aggregates (decision 033) on both databases: every figure the screen, the dashboards, the assessments and
/// the 三率 give with the aggregates equals the figure from the facts alone — after a rebuild, after late changes to
/// aggregated days (a reopening, a rework, a late follow-up) before the background pass has seen them, and after it;
/// and the incremental pass leaves the same rows as a rebuild.
/// </summary>
public abstract class FactDayTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset Sep(int day, int hour, int minute = 0) => new(2026, 9, day, hour, minute, 0, TimeSpan.FromHours(8));

    static readonly Period September = Periods.Of(PeriodKind.Month, new DateOnly(2026, 9, 1));

    async Task FollowUp(Guid id, bool contacted, bool? resolved, string? satisfaction) =>
        await Api.ActOk(await app.As("agent"), id, "follow-up", new { contacted, resolved, satisfaction });

    /// <summary>Every figure the aggregates serve, as JSON, computed in a fresh scope with or without them.</summary>
    async Task<string> FiguresAsync(bool aggregates)
    {
        using var scope = app.Factory.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var days = sp.GetRequiredService<FactDays>();
        days.Disabled = !aggregates;
        if (aggregates) Assert.NotNull(await days.PlanAsync(default));
        var rankings = sp.GetRequiredService<RankingQueries>();
        var indicators = sp.GetRequiredService<IndicatorQueries>();
        var screen = sp.GetRequiredService<ScreenQueries>();
        var street = await sp.GetRequiredService<CityLoopDb>().Set<CaseFact>().Where(f => f.StreetCode != null).Select(f => f.StreetCode).FirstAsync();
        var figures = new List<object>();
        foreach (var subject in new[] { "department", "street", "inspector", "intake", "shift-leader", "dispatcher" })
            figures.Add(await rankings.AssessAsync(subject, September, null, default));
        figures.Add(await rankings.AssessAsync("department", September, "451202", default));
        foreach (var by in new[] { "department", "street", "platform" })
            figures.Add(await rankings.ThreeRatesAsync(September, by, null, default));
        var snapshot = await screen.SnapshotAsync(null, default);
        figures.Add(snapshot with { At = default });
        figures.Add((await screen.SnapshotAsync("SZGLC", default)) with { At = default });
        figures.Add((await screen.SnapshotAsync("HWC", default)) with { At = default });
        var slices = new[]
        {
            new IndicatorSlice("2026-09-01", "2026-09-30", null, null, null, null, null, null),
            new IndicatorSlice("2026-09-01", "2026-09-12", "451202", "SZGLC", null, null, null, null),
            new IndicatorSlice("2026-09-02", "2026-09-11", null, null, street, null, null, null),
            new IndicatorSlice("2026-09-03T10:30:00+08:00", "2026-09-12T09:00:00+08:00", null, null, null, null, null, null),
        };
        foreach (var def in IndicatorCatalogue.All.Where(d => d.Subject == IndicatorSubject.Cases))
            foreach (var slice in slices)
                foreach (var groupBy in new string?[] { null, "day", "department", "street", "platform", "week" })
                {
                    if (groupBy is "department" or "street" or "platform" && (slice.Department ?? slice.Street) is not null) continue;
                    figures.Add(await indicators.ValueAsync(def, slice, groupBy, default, slice.From!.Length == 10 ? "previous,year" : null));
                }
        return JsonSerializer.Serialize(figures);
    }

    async Task AssertSameFiguresAsync()
    {
        var facts = await FiguresAsync(aggregates: false);
        var both = await FiguresAsync(aggregates: true);
        Assert.Equal(facts, both);
    }

    async Task<T> InScope<T>(Func<IServiceProvider, Task<T>> f)
    {
        using var scope = app.Factory.Services.CreateScope();
        return await f(scope.ServiceProvider);
    }

    async Task<List<string>> AggregateRowsAsync() => await InScope(async sp =>
    {
        var db = sp.GetRequiredService<CityLoopDb>();
        await db.Database.OpenConnectionAsync();
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = "SELECT * FROM fact_days ORDER BY dim, kind, day, platform_code, 4";
        var rows = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    });

    [Fact]
    public async Task FiguresWithTheAggregates_EqualTheFactsAlone_ThroughLateChangesToAggregatedDays()
    {
        // Early September: closed and followed up, reworked then closed, still held by HWC, returned, closed without follow-up.
        var closed = await FollowThroughSteps.DispatchedAt(app, Sep(1, 9), Api.Report(phone: null));
        await FollowThroughSteps.Closed(app, closed);
        await FollowUp(closed, true, true, "satisfied");
        var reworked = await FollowThroughSteps.DispatchedAt(app, Sep(1, 11), Api.Report(phone: null));
        var handler = await app.As("handler");
        await Api.ActOk(handler, reworked, "sign-for");
        await Api.ActOk(handler, reworked, "finish", new { result = "已处理" });
        await Api.ActOk(await app.As("intake"), reworked, "check-fail", new { reason = "未处理到位" });
        await Api.ActOk(await app.As("handler"), reworked, "finish", new { result = "已返工" });
        await Api.ActOk(await app.As("intake"), reworked, "check-pass", new { opinion = "通过" });
        await Api.ActOk(await app.As("leader"), reworked, "close", new { standardItem = "C0101-01" });
        await FollowUp(reworked, true, false, "basically-satisfied");
        var held = await FollowThroughSteps.DispatchedAt(app, Sep(2, 9), Api.Report(phone: null), lead: "HWC");
        var returned = await FollowThroughSteps.DispatchedAt(app, Sep(2, 15), Api.Report(phone: null));
        await Api.ActOk(await app.As("handler"), returned, "return", new { reason = "不属于本单位" });
        await Api.ActOk(await app.As("dispatcher"), returned, "approve-return");
        var late = await FollowThroughSteps.DispatchedAt(app, Sep(3, 10), Api.Report(phone: null));
        await FollowThroughSteps.Closed(app, late);
        var finished = await FollowThroughSteps.DispatchedAt(app, Sep(4, 9), Api.Report(phone: null));
        await Api.ActOk(await app.As("handler"), finished, "sign-for");
        await Api.ActOk(await app.As("handler"), finished, "finish", new { result = "已处理" });
        app.Clock.Set(Sep(10, 9));
        var today = await Api.CreateCase(await app.As("agent"), Api.Report(phone: null));

        // Built from the facts: the days before 10 September, every date and slice.
        var built = await InScope(sp => sp.GetRequiredService<FactDayProjector>().RebuildAsync());
        Assert.True(built.Rebuilt);
        var zone = await InScope(sp => Task.FromResult(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CityLoop.Server.Features.Cases.PlatformOptions>>().Value.Zone));
        Assert.Equal(FactDayShape.DayOf(Sep(10, 0), zone), built.SealedDay);
        var rows = await AggregateRowsAsync();
        Assert.Contains(rows, r => r.StartsWith("lead_department_code|", StringComparison.Ordinal) && r.Contains("|HWC|", StringComparison.Ordinal));
        // The month's figures now take 1–9 September from the aggregates (the test can tell: the plan has days to give).
        var plan = await InScope(sp => sp.GetRequiredService<FactDays>().PlanAsync(default));
        Assert.NotNull(plan);
        var (days, live) = plan.Split(FactDate.Received, Sep(1, 0), Sep(13, 0));
        Assert.Equal(new List<(int, int)> { (built.SealedDay - 9, built.SealedDay) }, days);
        Assert.Equal(new List<(DateTimeOffset, DateTimeOffset)> { (Sep(10, 0).ToUniversalTime(), Sep(13, 0).ToUniversalTime()) },
            live.Select(l => (l.From.ToUniversalTime(), l.To.ToUniversalTime())).ToList());
        await AssertSameFiguresAsync();

        // Late changes to aggregated days, before the background pass: a reopening of a case closed on 1 September, a
        // follow-up of one closed on 3 September, a failed check (rework) of one finished on 4 September.
        app.Clock.Set(Sep(12, 10));
        await Api.ActOk(await app.As("leader"), closed, "reopen", new { reason = "市民反映问题仍在" });
        await FollowUp(late, true, true, "very-satisfied");
        await Api.ActOk(await app.As("intake"), finished, "check-fail", new { reason = "未处理到位" });
        await Api.ActOk(await app.As("dept-hwc"), held, "sign-for");
        var stale = await InScope(sp => sp.GetRequiredService<FactDays>().PlanAsync(default));
        Assert.True(stale!.StaleCount > 0);
        Assert.NotEqual(new List<(int, int)> { (built.SealedDay - 9, built.SealedDay) }, stale.Split(FactDate.Closed, Sep(1, 0), Sep(10, 0)).Days);
        await AssertSameFiguresAsync();

        // The background pass (a minute later: past the commit lag) brings the days up to date and seals 10 and 11 September.
        app.Clock.Set(Sep(12, 10, 5));
        var caught = await InScope(sp => sp.GetRequiredService<FactDayProjector>().CatchUpAsync());
        Assert.False(caught.Rebuilt);
        Assert.Equal(built.SealedDay + 2, caught.SealedDay);
        Assert.True(caught.Cases >= 4);
        var clean = await InScope(sp => sp.GetRequiredService<FactDays>().PlanAsync(default));
        Assert.Equal(0, clean!.StaleCount);
        await AssertSameFiguresAsync();

        // What the passes left is what a rebuild makes.
        var incremental = await AggregateRowsAsync();
        await InScope(sp => sp.GetRequiredService<FactDayProjector>().RebuildAsync());
        Assert.Equal(await AggregateRowsAsync(), incremental);
        await AssertSameFiguresAsync();
        Assert.NotEqual(Guid.Empty, today.Id());
    }
}

[Collection("sqlite")]
public sealed class FactDayTests_Sqlite(SqliteApp app) : FactDayTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class FactDayTests_Postgres(PostgresApp app) : FactDayTests<PostgresApp>(app), IClassFixture<PostgresApp>;
