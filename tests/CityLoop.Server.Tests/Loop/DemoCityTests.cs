using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityLoop.Server.Tests.Loop;

/// <summary>
/// The demo city, seeded through the real write path with every state of the workflow, on a fresh database of each
/// provider: the seeding completes, and its projections rebuilt from the events equal the ones it maintained.
/// </summary>
public abstract class DemoCityTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task TheDemoCity_SeedsEveryState_AndItsProjectionsRebuildIdentically()
    {
        var connection = app.Provider == "postgres"
            ? PostgresServer.CreateDatabase("demo")
            : $"Data Source={Path.Combine(Path.GetTempPath(), "cityloop-tests", $"demo-{Guid.NewGuid():N}.db")}";
        await using var factory = new CityLoopFactory(app.Provider, connection, new FakeTimeProvider(AppFixture.Start.AddDays(40).ToUniversalTime()));
        using var scope = factory.Services.CreateScope();
        var sp = scope.ServiceProvider;
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        await sp.GetRequiredService<DemoSeeder>().SeedAsync(120);

        var db = sp.GetRequiredService<CityLoopDb>();
        var states = await db.Cases.AsNoTracking().Select(c => c.State).Distinct().ToListAsync();
        Assert.Contains(CaseState.Closed, states);
        Assert.Contains(CaseState.PendingCheck, states);
        Assert.Contains(CaseState.Merged, states);
        Assert.Contains(CaseState.ArbitrationRequested, states);
        Assert.True(await db.Set<CasePhaseTime>().AnyAsync());

        // Believable: a hotline message keeps the reviewed category of its topic and goes to the department of that
        // topic, its request type is the one its words give, and no stray control characters come with it.
        var reference = sp.GetRequiredService<CityLoop.Server.Features.Reference.ReferenceCache>();
        var hotline = await db.Cases.AsNoTracking().Where(c => c.CategoryCode != null && c.CategoryCode.StartsWith("H"))
            .Select(c => new { c.Title, c.Description, c.CategoryCode, c.RequestType, c.LeadDepartmentCode, c.MergedIntoNumber }).ToListAsync();
        Assert.NotEmpty(hotline);
        foreach (var c in hotline)
        {
            Assert.True(reference.Catalogue.Current!.Find(c.CategoryCode!) is { IsLeaf: true }, c.CategoryCode);
            if (c.LeadDepartmentCode is not null) Assert.Equal(DemoSeeder.HotlineDepartment(c.CategoryCode!), c.LeadDepartmentCode);
            Assert.False(c.RequestType == RequestType.Praise && c.Title!.StartsWith("投诉", StringComparison.Ordinal), c.Title);
        }
        var texts = await db.Cases.AsNoTracking().Select(c => c.Description).ToListAsync();
        Assert.DoesNotContain(texts, t => t.Contains("_x000D_", StringComparison.Ordinal) || t.Any(ch => char.IsControl(ch)));
        // The extract's anonymised places are the demo city's own: no "A市" or "D10县", in titles or descriptions.
        var titles = await db.Cases.AsNoTracking().Where(c => c.Title != null).Select(c => c.Title!).ToListAsync();
        var anonymised = new System.Text.RegularExpressions.Regex("(?<![A-Za-z0-9])[A-Z][0-9]*[省州市区县]");
        Assert.DoesNotContain(texts.Concat(titles), t => t.Contains("A市", StringComparison.Ordinal) || anonymised.IsMatch(t) || t.Contains("_x000D_", StringComparison.Ordinal));
        Assert.Contains(texts.Concat(titles), t => t.Contains("河池市", StringComparison.Ordinal) || t.Contains("金城江区", StringComparison.Ordinal));
        // A working city: most handling is on time, most of what is older than a few days is closed, a minority is late.
        var facts = await db.Set<CityLoop.Domain.Indicators.CaseFact>().AsNoTracking()
            .Where(f => f.NeedDispose == 1 && f.Disposed == 1).Select(f => f.DisposedOnTime).ToListAsync();
        Assert.True(facts.Count >= 20, $"{facts.Count} handled cases");
        Assert.InRange(facts.Average(), 0.8, 1.0);
        var seededAt = AppFixture.Start.AddDays(40);
        var old = await db.Cases.AsNoTracking().Where(c => c.CreatedAt < seededAt.AddDays(-5)).Select(c => new { c.State, c.ClockDueAt }).ToListAsync();
        Assert.InRange(old.Count(c => c.State is CaseState.Closed) / (double)old.Count, 0.65, 1.0);
        // A past month reads like a working platform's: 办结率 (closed ÷ received) of the last complete month is 90–99 %,
        // while recent cases are still being worked on.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var local = TimeZoneInfo.ConvertTime(seededAt, zone);
        var monthStart = new DateTimeOffset(local.Year, local.Month, 1, 0, 0, 0, TimeSpan.FromHours(8)).AddMonths(-1);
        var monthEnd = monthStart.AddMonths(1);
        var month = (await db.Set<CityLoop.Domain.Indicators.CaseFact>().AsNoTracking().Select(f => new { f.ReceivedAt, f.Closed, f.Reported }).ToListAsync())
            .Where(f => f.ReceivedAt >= monthStart && f.ReceivedAt < monthEnd).ToList();
        Assert.True(month.Count >= 30, $"{month.Count} cases received in {monthStart:yyyy-MM}");
        Assert.InRange(month.Sum(f => f.Closed) / (double)month.Sum(f => f.Reported), 0.90, 0.99);
        var recent = await db.Cases.AsNoTracking().Where(c => c.CreatedAt >= seededAt.AddDays(-3)).Select(c => c.State).ToListAsync();
        Assert.InRange(recent.Count(s => s.IsOpen()) / (double)recent.Count, 0.25, 0.9);
        var all = await db.Cases.AsNoTracking().Where(c => c.ClockDueAt != null).Select(c => new { c.State, c.ClockDueAt }).ToListAsync();
        var overdueOpen = all.Count(c => c.State.IsOpen() && c.ClockDueAt < seededAt);
        Assert.InRange(overdueOpen / (double)await db.Cases.CountAsync(), 0.01, 0.2);

        async Task<string> Snapshot()
        {
            db.ChangeTracker.Clear();
            var phases = (await db.Set<CasePhaseTime>().AsNoTracking().ToListAsync())
                .Select(p => $"{p.CaseId}|{p.EndedBySeq}|{p.Phase}|{p.StartedAt.UtcTicks}|{p.EndedAt.UtcTicks}|{p.DueAt?.UtcTicks}|{p.BusinessSeconds}|{p.PausedSeconds}|{p.OnTime}|{p.DepartmentCode}|{p.UserId}")
                .Order(StringComparer.Ordinal);
            var tasks = (await db.Set<FollowUpTask>().AsNoTracking().ToListAsync())
                .Select(t => $"{t.Id}|{t.Method}|{t.Status}|{t.Outcome}|{t.TokenHash}|{t.CompletedAt?.UtcTicks}|{t.Satisfaction}").Order(StringComparer.Ordinal);
            var clocks = (await db.Cases.AsNoTracking().ToListAsync())
                .Select(c => $"{c.Id}|{c.ClockPhase}|{c.ClockStartedAt?.UtcTicks}|{c.ClockDueAt?.UtcTicks}|{c.ClockWarnAt?.UtcTicks}|{c.ClockPausedSeconds}").Order(StringComparer.Ordinal);
            return string.Join("\n", phases.Concat(["--"]).Concat(tasks).Concat(["--"]).Concat(clocks));
        }
        var incremental = await Snapshot();
        await sp.GetRequiredService<ProjectionRebuilder>().RebuildAsync(40, restart: true);
        Assert.Equal(incremental, await Snapshot());
    }
}

[Collection("sqlite")]
public sealed class DemoCityTests_Sqlite(SqliteApp app) : DemoCityTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class DemoCityTests_Postgres(PostgresApp app) : DemoCityTests<PostgresApp>(app), IClassFixture<PostgresApp>;
