using CityLoop.Bench;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Tests.Figures;

/// <summary>
/// The scale benchmarks' replicator (decision 032): a copy of a generated history moved by whole weeks is exactly the
/// history the domain makes from the same steps at the moved instants — every step still allowed by the transition
/// table, the case row and the figures' fact row the template's with every instant moved — and the fact row the
/// projection rebuilds from that history's events is the copy's. The cases still running at the end are made by the
/// domain and stopped there.
/// </summary>
public abstract class ReplicatedHistoryTests<TApp>(TApp app) where TApp : AppFixture
{
    static readonly DateTimeOffset End = new(2026, 6, 1, 0, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public async Task ACopiedHistory_IsTheDomainsHistoryAtTheMovedInstants_AndItsFactsAreTheProjections()
    {
        using var scope = app.Factory.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CityLoopDb>();
        var world = await GeneratorWorld.BuildAsync(db, sp.GetRequiredService<ReferenceCache>(), sp.GetRequiredService<IPlaceResolver>(),
            sp.GetRequiredService<IOptions<PlatformOptions>>().Value);
        var weeks = 6;
        var cases = new CaseReplicator(world, seed: 7).Generate(count: 400, weeks, End).ToList();

        // About the count asked, over whole weeks before the end, unique numbers and ids, oldest week first.
        Assert.InRange(cases.Count, 390, 410);
        var copies = cases.Where(c => c.IsCopy).ToList();
        var made = cases.Where(c => !c.IsCopy).ToList();
        Assert.True(copies.Count > cases.Count / 2, $"{copies.Count} copies");
        Assert.True(made.Count >= cases.Count / 8, $"{made.Count} made by the domain");
        var numbers = cases.Select(c => c.CopyNumber ?? c.Source.Case.Number).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.Equal(cases.Count, cases.Select(c => c.CopyId ?? c.Source.Case.Id).Distinct().Count());
        Assert.All(cases, c => Assert.InRange(c.CreatedAt, End - CaseReplicator.Week * weeks, End));
        var weekOf = cases.Select(c => (int)((End - c.CreatedAt) / CaseReplicator.Week)).ToList();
        Assert.Equal(weekOf.OrderByDescending(w => w), weekOf);
        // A number is of its case's own local day.
        Assert.All(cases, c => Assert.Contains(TimeZoneInfo.ConvertTime(c.CreatedAt, world.Zone).ToString("yyyyMMdd"), c.CopyNumber ?? c.Source.Case.Number));

        // Made by the domain: nothing after the end, and the last week's cases still running are open at the end.
        Assert.All(made, c => Assert.All(c.Source.Events, e => Assert.True(e.At <= End)));
        Assert.Contains(made, c => !CaseStates.Terminal.Contains(c.Source.Case.State));
        // A copy's whole history lies before the end: it is a finished history of an older week.
        Assert.All(copies, c => Assert.True(c.Source.LastAt + c.Shift < End));
        Assert.All(copies, c => Assert.Equal(7, c.CopyId!.Value.Version));

        // Every copy made again by the domain from its template's steps at the moved instants: each step allowed
        // (Case.Perform throws otherwise), and the case and fact rows the template's moved by the same amount.
        var twins = new List<(BenchCase Copy, GeneratedCase Twin)>();
        foreach (var c in copies)
        {
            var twin = CaseReplicator.Replay(world, c.Source.Recipe, c.Shift, c.CopyNumber!, DateTimeOffset.MaxValue);
            Assert.Equal(c.Source.Events.Count, twin.Events.Count);
            AssertMoved(db.Model.FindEntityType(typeof(Case))!, c.Source.Case, twin.Case, c.Shift, nameof(Case.Id), nameof(Case.Number));
            AssertMoved(db.Model.FindEntityType(typeof(CaseFact))!, c.Source.Fact, twin.Fact, c.Shift, nameof(CaseFact.CaseId), nameof(CaseFact.CaseNumber));
            twins.Add((c, twin));
        }
        if (db.IsPostgres)
        {
            // The rows the bulk loader writes for a copy are the rows of its twin, id and sealed personal data aside.
            var loader = new CaseBulkLoader(db, sp.GetRequiredService<PersonalDataKeys>());
            var sealedColumns = new[] { "id", "reporter_name", "reporter_phone", "reporter_address" };
            foreach (var (c, twin) in twins.Take(100))
            {
                var (caseRow, factRow) = loader.CopyRows(c);
                var (twinCase, twinFact) = loader.Rows(twin);
                var caseColumns = loader.ColumnsOf("cases");
                for (var i = 0; i < caseColumns.Count; i++)
                    if (!sealedColumns.Contains(caseColumns[i])) Assert.True(Equals(caseRow[i], twinCase[i]), $"{c.CopyNumber} cases.{caseColumns[i]}: {caseRow[i]} ≠ {twinCase[i]}");
                Assert.Equal(c.CopyId, caseRow[caseColumns.ToList().IndexOf("id")]);
                // … and the bytes it streams for them are those rows' encoding.
                var (caseTuple, factTuple) = loader.CopyTuples(c);
                Assert.Equal(loader.Tuple("cases", caseRow), caseTuple);
                Assert.Equal(loader.Tuple("case_facts", factRow), factTuple);
                var factColumns = loader.ColumnsOf("case_facts");
                for (var i = 0; i < factColumns.Count; i++)
                    if (factColumns[i] != "case_id") Assert.True(Equals(factRow[i], twinFact[i]), $"{c.CopyNumber} case_facts.{factColumns[i]}: {factRow[i]} ≠ {twinFact[i]}");
            }
        }

        // The twins stored with their events through the model, their facts rebuilt from the log by the projection:
        // each is the copy's fact row, and the month's figures over them are the copies' figures.
        foreach (var (_, twin) in twins)
        {
            db.Cases.Add(twin.Case);
            db.CaseEvents.AddRange(twin.Events);
        }
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        await sp.GetRequiredService<ProjectionRebuilder>().RebuildAsync(restart: true);
        var stored = await db.Set<CaseFact>().AsNoTracking().ToDictionaryAsync(f => f.CaseNumber);
        foreach (var (c, twin) in twins)
            AssertMoved(db.Model.FindEntityType(typeof(CaseFact))!, c.Source.Fact, stored[c.CopyNumber!], c.Shift, nameof(CaseFact.CaseId), nameof(CaseFact.CaseNumber),
                stored: true);
        var month = IndicatorCatalogue.Find("completion-rate")!;
        var value = await sp.GetRequiredService<IndicatorQueries>().ValueAsync(month,
            new IndicatorSlice("2026-05-01", "2026-05-31", null, null, null, null, null, null), null, default);
        var from = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.FromHours(8));
        var inMonth = copies.Where(c => c.Source.Fact.ReceivedAt + c.Shift >= from && c.Source.Fact.ReceivedAt + c.Shift < End).ToList();
        Assert.True(inMonth.Count > 30, $"{inMonth.Count} copies in May");
        Assert.Equal(inMonth.Sum(c => c.Source.Fact.Closed), value.Numerator);
        Assert.Equal(inMonth.Sum(c => c.Source.Fact.Reported), value.Denominator);
    }

    /// <summary>Every mapped property of <paramref name="moved"/> is the template's, instants moved by <paramref name="shift"/>.</summary>
    static void AssertMoved(IEntityType type, object template, object moved, TimeSpan shift, string id, string number, bool stored = false)
    {
        string[] except = [id, number];
        // Stored instants keep milliseconds (SQLite) or microseconds (PostgreSQL): compared to the millisecond.
        static object? Stored(object? v) => v is DateTimeOffset at ? DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()) : v;
        foreach (var p in type.GetProperties().Where(p => !p.IsShadowProperty() && !except.Contains(p.Name)))
        {
            var getter = p.GetGetter();
            var expected = getter.GetClrValueUsingContainingEntity(template);
            if (expected is DateTimeOffset at) expected = at + shift;
            var actual = getter.GetClrValueUsingContainingEntity(moved);
            if (stored) (expected, actual) = (Stored(expected), Stored(actual));
            Assert.True(Equals(expected, actual), $"{type.ClrType.Name}.{p.Name}: expected {expected}, was {actual}");
        }
    }
}

[Collection("sqlite")]
public sealed class ReplicatedHistoryTests_Sqlite(SqliteApp app) : ReplicatedHistoryTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ReplicatedHistoryTests_Postgres(PostgresApp app) : ReplicatedHistoryTests<PostgresApp>(app), IClassFixture<PostgresApp>;
