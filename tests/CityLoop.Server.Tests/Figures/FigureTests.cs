using System.Net;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Figures;

/// <summary>The figures on both databases: a small history through the real write path, counted by hand; the drill-down
/// agreeing with every figure; the rebuild of the facts; and a generated year of the 河池 seed's composition.</summary>
public abstract class FigureTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset June(int day, int hour, int minute = 0) => new(2026, 6, day, hour, minute, 0, TimeSpan.FromHours(8));
    const string JuneQuery = "from=2026-06-01&to=2026-06-30&platform=451202";

    static readonly SemaphoreSlim Once = new(1, 1);
    static readonly HashSet<string> Built = [];

    /// <summary>
    /// Six cases in June 2026, through the API: closed; reworked once then closed; dispatched to HWC and waiting;
    /// an enquiry answered at intake; transferred; returned by the department with the return approved.
    /// </summary>
    async Task SmallHistoryAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (!Built.Add(app.Provider + app.ConnectionString)) return;
            var closed = await FollowThroughSteps.DispatchedAt(app, June(8, 9), Api.Report(phone: null));
            await FollowThroughSteps.Closed(app, closed);

            var reworked = await FollowThroughSteps.DispatchedAt(app, June(8, 10), Api.Report(phone: null));
            var handler = await app.As("handler");
            var intake = await app.As("intake");
            await Api.ActOk(handler, reworked, "sign-for");
            await Api.ActOk(handler, reworked, "finish", new { result = "已处理" });
            await Api.ActOk(intake, reworked, "check-fail", new { reason = "未处理到位" });
            await Api.ActOk(handler, reworked, "finish", new { result = "已返工" });
            await Api.ActOk(intake, reworked, "check-pass", new { opinion = "通过" });
            await Api.ActOk(await app.As("leader"), reworked, "close", new { standardItem = "C0101-01" });

            await FollowThroughSteps.DispatchedAt(app, June(9, 9), Api.Report(phone: null), lead: "HWC");

            app.Clock.Set(June(9, 10));
            var enquiry = await Api.CreateCase(await app.As("agent"), Api.Report("咨询垃圾清运时间", "enquiry", phone: null));
            await Api.ActOk(await app.As("agent"), enquiry.Id(), "answer-directly", new { answer = "每日 7 时清运" });

            app.Clock.Set(June(9, 11));
            var transferred = await Api.CreateCase(await app.As("agent"), Api.Report(phone: null));
            await Api.ActOk(await app.As("intake"), transferred.Id(), "transfer", new { target = "河池市12345热线", reason = "属市级事权" });

            var returned = await FollowThroughSteps.DispatchedAt(app, June(10, 9), Api.Report(phone: null));
            await Api.ActOk(await app.As("handler"), returned, "return", new { reason = "不属于本单位" });
            await Api.ActOk(await app.As("dispatcher"), returned, "approve-return");
        }
        finally { Once.Release(); }
    }

    async Task<JsonElement> Figure(string id, string query, string user = "supervisor") =>
        await Api.Get(await app.As(user), $"/api/v1/indicators/{id}?{query}");

    [Theory]
    [InlineData("reported", 6, null, "6")]
    [InlineData("completion-rate", 3, 6, "50.00")]
    [InlineData("completion-rate-own", 3, 5, "60.00")]
    [InlineData("acceptance-rate", 6, 6, "100.00")]
    [InlineData("dispatched", 4, null, "4")]
    [InlineData("disposal-rate", 2, 3, "66.67")]
    [InlineData("accurate-dispatch-rate", 3, 4, "75.00")]
    [InlineData("return-rate", 1, 4, "25.00")]
    [InlineData("rework", 1, null, "1")]
    [InlineData("archived", 2, null, "2")]
    [InlineData("direct-completion-rate", 1, 6, "16.67")]
    [InlineData("transferred", 1, null, "1")]
    public async Task TheSmallHistory_GivesTheHandCountedFigures(string id, int numerator, int? denominator, string value)
    {
        await SmallHistoryAsync();
        var figure = await Figure(id, JuneQuery);
        Assert.Equal(numerator, figure.GetProperty("numerator").GetInt64());
        if (denominator is null) Assert.Equal(JsonValueKind.Null, figure.GetProperty("denominator").ValueKind);
        else Assert.Equal((long)denominator, figure.GetProperty("denominator").GetInt64());
        Assert.Equal(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), figure.GetProperty("value").GetDecimal());
        Assert.Equal(id, figure.GetProperty("indicator").Str("id"));
        Assert.False(string.IsNullOrWhiteSpace(figure.GetProperty("indicator").Str("howZh")));
    }

    [Fact]
    public async Task Groups_ByDepartment_RequestTypeAndMonth_AddUpToTheFigure()
    {
        await SmallHistoryAsync();
        var byDept = (await Figure("dispatched", JuneQuery + "&groupBy=department")).GetProperty("groups").EnumerateArray()
            .ToDictionary(g => g.GetProperty("key").ValueKind == JsonValueKind.Null ? "-" : g.Str("key"), g => g.GetProperty("numerator").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["-"] = 1, ["HWC"] = 1, ["SZGLC"] = 2 }, byDept);
        var byType = (await Figure("reported", JuneQuery + "&groupBy=requestType")).GetProperty("groups").EnumerateArray()
            .ToDictionary(g => g.Str("key"), g => g.GetProperty("numerator").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["complaint"] = 5, ["enquiry"] = 1 }, byType);
        var byMonth = (await Figure("reported", "from=2026-05-01&to=2026-07-31&platform=451202&groupBy=month")).GetProperty("groups").EnumerateArray()
            .Select(g => (g.Str("key"), g.GetProperty("numerator").GetInt64())).ToList();
        Assert.Equal([("2026-05", 0L), ("2026-06", 6L), ("2026-07", 0L)], byMonth);
    }

    [Fact]
    public async Task WeeksAndHalfMonths_Group_AndComparisons_GivePeriodOverPeriodAndYearOverYear()
    {
        await SmallHistoryAsync();
        List<(string, long)> Groups(JsonElement f) => f.GetProperty("groups").EnumerateArray().Select(g => (g.Str("key"), g.GetProperty("numerator").GetInt64())).ToList();
        // 8 June 2026 is a Monday: the six cases fall in ISO week 24; weeks run Monday–Sunday, clipped to the range.
        Assert.Equal([("2026-W23", 0L), ("2026-W24", 6L), ("2026-W25", 0L), ("2026-W26", 0L), ("2026-W27", 0L)],
            Groups(await Figure("reported", JuneQuery + "&groupBy=week")));
        Assert.Equal([("2026-06-H1", 6L), ("2026-06-H2", 0L)], Groups(await Figure("reported", JuneQuery + "&groupBy=half-month")));
        Assert.Equal([("2026-06-08", 2L), ("2026-06-09", 3L), ("2026-06-10", 1L)],
            Groups(await Figure("reported", "from=2026-06-08&to=2026-06-10&platform=451202&groupBy=day")));

        // 9 June against 8 June: 3 reports against 2.
        var day = await Figure("reported", "from=2026-06-09&to=2026-06-09&platform=451202&compare=previous,year");
        var previous = day.GetProperty("comparisons")[0];
        Assert.Equal(("previous", 2L, 1m, 50m), (previous.Str("kind"), previous.GetProperty("numerator").GetInt64(),
            previous.GetProperty("change").GetDecimal(), previous.GetProperty("changePercent").GetDecimal()));
        Assert.Equal(DateTimeOffset.Parse("2026-06-07T16:00:00Z"), previous.GetProperty("from").GetDateTimeOffset());
        var lastYear = day.GetProperty("comparisons")[1];
        Assert.Equal(("year", 0L), (lastYear.Str("kind"), lastYear.GetProperty("numerator").GetInt64()));
        Assert.Equal(JsonValueKind.Null, lastYear.GetProperty("changePercent").ValueKind);
        // A whole month compares with the previous month and the same month of last year; a rate's change is in points.
        var month = await Figure("completion-rate", JuneQuery + "&compare=previous,year");
        Assert.Equal(DateTimeOffset.Parse("2026-04-30T16:00:00Z"), month.GetProperty("comparisons")[0].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2025-05-31T16:00:00Z"), month.GetProperty("comparisons")[1].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, month.GetProperty("comparisons")[0].GetProperty("change").ValueKind); // May has no case
        var bad = await (await app.As("supervisor")).GetAsync($"/api/v1/indicators/reported?{JuneQuery}&compare=tomorrow");
        await Api.Problem(bad, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task CommunityGridAndReporterSlices_AddUpToTheFigure_AndFilter()
    {
        await SmallHistoryAsync();
        foreach (var by in new[] { "community", "grid", "reporter" })
        {
            var groups = (await Figure("reported", JuneQuery + $"&groupBy={by}")).GetProperty("groups").EnumerateArray().ToList();
            Assert.Equal(6, groups.Sum(g => g.GetProperty("numerator").GetInt64()));
            var first = groups.First(g => g.GetProperty("key").ValueKind == JsonValueKind.String);
            var filtered = await Figure("reported", JuneQuery + $"&{by}={Uri.EscapeDataString(first.Str("key"))}");
            Assert.Equal(first.GetProperty("numerator").GetInt64(), filtered.GetProperty("numerator").GetInt64());
            Assert.Equal(first.Str("key"), filtered.GetProperty("filters").Str(by));
        }
    }

    [Fact]
    public async Task EveryIndicatorsDrillDown_AddsUpToItsNumeratorAndDenominator()
    {
        await SmallHistoryAsync();
        var supervisor = await app.As("supervisor");
        var catalogue = (await Api.Get(supervisor, "/api/v1/indicators")).EnumerateArray().ToList();
        Assert.Equal(IndicatorCatalogue.All.Count, catalogue.Count);
        foreach (var indicator in catalogue)
        {
            var id = indicator.Str("id");
            if (IndicatorCatalogue.Find(id)!.Subject == IndicatorSubject.Patrol)
            {
                // 漏报率 is read per inspector (the assessment, and its list at /api/v1/inspectors/{user}/missed).
                await Api.Problem(await supervisor.GetAsync($"/api/v1/indicators/{id}?{JuneQuery}"), System.Net.HttpStatusCode.UnprocessableEntity);
                continue;
            }
            var figure = await Figure(id, JuneQuery);
            var numerator = await Api.Get(supervisor, $"/api/v1/indicators/{id}/cases?{JuneQuery}");
            Assert.Equal(figure.GetProperty("numerator").GetInt64(), numerator.GetProperty("total").GetInt64());
            Assert.Equal(numerator.GetProperty("total").GetInt64(), numerator.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty("count").GetInt64()));
            if (indicator.GetProperty("denominator").ValueKind == JsonValueKind.Null) continue;
            var denominator = await Api.Get(supervisor, $"/api/v1/indicators/{id}/cases?{JuneQuery}&part=denominator");
            Assert.Equal(figure.GetProperty("denominator").GetInt64(), denominator.GetProperty("total").GetInt64());
            // The cases behind the numerator are among those behind the denominator.
            var behind = denominator.GetProperty("items").EnumerateArray().Select(i => i.Str("number")).ToHashSet();
            Assert.All(numerator.GetProperty("items").EnumerateArray(), i => Assert.Contains(i.Str("number"), behind));
        }
        var reworked = await Api.Get(supervisor, $"/api/v1/indicators/rework/cases?{JuneQuery}");
        Assert.Single(reworked.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task DepartmentStaff_SeeTheirOwnDepartmentOnly_AndIntakeNoFigures()
    {
        await SmallHistoryAsync();
        var own = await Figure("dispatched", JuneQuery, "handler");
        Assert.Equal(2, own.GetProperty("numerator").GetInt64());
        Assert.Equal("SZGLC", own.GetProperty("filters").Str("department"));
        var other = await (await app.As("handler")).GetAsync($"/api/v1/indicators/dispatched?{JuneQuery}&department=HWC");
        await Api.Problem(other, HttpStatusCode.Forbidden);
        var agent = await (await app.As("agent")).GetAsync($"/api/v1/indicators/dispatched?{JuneQuery}");
        await Api.Problem(agent, HttpStatusCode.Forbidden);
        Assert.Equal(4, (await Figure("dispatched", JuneQuery, "dispatcher")).GetProperty("numerator").GetInt64());
        var unknown = await (await app.As("supervisor")).GetAsync("/api/v1/indicators/no-such-rate");
        await Api.Problem(unknown, HttpStatusCode.NotFound);
        var badGroup = await (await app.As("supervisor")).GetAsync($"/api/v1/indicators/reported?{JuneQuery}&groupBy=colour");
        await Api.Problem(badGroup, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task TheFacts_RebuiltFromTheEventsAlone_EqualTheIncrementalOnes()
    {
        await SmallHistoryAsync();
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var incremental = await Snapshot(db);
        Assert.True(incremental.Count >= 6);
        var rebuilder = scope.ServiceProvider.GetRequiredService<ProjectionRebuilder>();
        await rebuilder.RebuildAsync(4, restart: true);
        db.ChangeTracker.Clear();
        Assert.Equal(incremental, await Snapshot(db));
        await db.Set<CaseFact>().ExecuteDeleteAsync();
        await rebuilder.RebuildAsync(50, restart: true);
        db.ChangeTracker.Clear();
        Assert.Equal(incremental, await Snapshot(db));
    }

    /// <summary>Every column of every fact row, in a comparable form.</summary>
    static async Task<List<string>> Snapshot(CityLoopDb db) =>
        (await db.Set<CaseFact>().AsNoTracking().OrderBy(f => f.CaseNumber).ToListAsync())
        .Select(f => string.Join("|", typeof(CaseFact).GetProperties().Where(p => p.CanWrite).Select(p => p.GetValue(f) switch
        {
            DateTimeOffset d => d.ToUniversalTime().ToUnixTimeMilliseconds().ToString(),
            var v => v?.ToString() ?? "∅",
        }))).ToList();

    /// <summary>
    /// A year of the 河池 seed's composition, generated through the domain (the same transitions, deadline policy and
    /// projections as the unit of work, saved in batches rather than 3,047 requests): 2,543 complaints, 82 requests
    /// for help, 418 enquiries and suggestions, 4 praise; 7 transferred; 3,003 closed; 37 still with a department.
    /// </summary>
    [Fact]
    public async Task AGeneratedYearOfHechisComposition_GivesTheSeedsFigures()
    {
        const string platform = "451200";
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (!await db.Set<CaseFact>().AnyAsync(f => f.PlatformCode == platform))
                await GenerateHechiYearAsync(scope.ServiceProvider, platform);
        }
        var query = $"from=2025-01-01&to=2025-12-31&platform={platform}";
        var completion = await Figure("completion-rate-own", query);
        Assert.Equal((3003L, 3040L, 98.78m),
            (completion.GetProperty("numerator").GetInt64(), completion.GetProperty("denominator").GetInt64(), completion.GetProperty("value").GetDecimal()));
        var acceptance = await Figure("acceptance-rate", query);
        Assert.Equal((3047L, 3047L, 100.00m),
            (acceptance.GetProperty("numerator").GetInt64(), acceptance.GetProperty("denominator").GetInt64(), acceptance.GetProperty("value").GetDecimal()));
        Assert.Equal(7, (await Figure("transferred", query)).GetProperty("numerator").GetInt64());
        var byType = (await Figure("reported", query + "&groupBy=requestType")).GetProperty("groups").EnumerateArray()
            .ToDictionary(g => g.Str("key"), g => g.GetProperty("numerator").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["complaint"] = 2543, ["enquiry"] = 400, ["help"] = 82, ["praise"] = 4, ["suggestion"] = 18 }, byType);
        var standard = await Figure("completion-rate", query);
        Assert.Equal(98.56m, standard.GetProperty("value").GetDecimal()); // 3,003 / 3,047: the standard count differs from the seed's
        var drill = await Api.Get(await app.As("supervisor"), $"/api/v1/indicators/completion-rate-own/cases?{query}&pageSize=1000&page=4");
        Assert.Equal(3003, drill.GetProperty("total").GetInt64());
        Assert.Equal(3, drill.GetProperty("items").GetArrayLength());
    }

    static async Task GenerateHechiYearAsync(IServiceProvider services, string platform)
    {
        var db = services.GetRequiredService<CityLoopDb>();
        var deadlines = services.GetRequiredService<IDeadlinePolicy>();
        var projections = services.GetServices<ICaseProjection>().OrderBy(p => p.Order).ToArray();
        Actor Person(string id, Role role, string? dept = null) => new(id, id, new HashSet<Role> { role }, dept);
        var agent = Person("gen-agent", Role.HotlineAgent);
        var intake = Person("gen-intake", Role.IntakeOperator);
        var leader = Person("gen-leader", Role.ShiftLeader);
        var dispatcher = Person("gen-dispatcher", Role.Dispatcher);
        var handler = Person("gen-handler", Role.DepartmentHandler, "SZGLC");
        var start = new DateTimeOffset(2025, 1, 2, 9, 0, 0, TimeSpan.FromHours(8));

        var types = Enumerable.Repeat(RequestType.Complaint, 2543).Concat(Enumerable.Repeat(RequestType.Help, 82))
            .Concat(Enumerable.Repeat(RequestType.Enquiry, 400)).Concat(Enumerable.Repeat(RequestType.Suggestion, 18))
            .Concat(Enumerable.Repeat(RequestType.Praise, 4)).ToArray();
        var batch = new List<Case>();
        for (var i = 0; i < types.Length; i++)
        {
            // Spread over the year, a case every ~2.8 hours; each case's steps ten minutes apart.
            var now = start.AddMinutes(i * 170);
            TransitionContext Ctx(Actor a) => new(a, now = now.AddMinutes(10), deadlines);
            var c = Case.Create(new NewCase { Source = CaseSource.Hotline, RequestType = types[i], Description = "河池生成诉求", Address = "河池市金城江区" },
                $"{platform}-2025-{i + 1:00000}", platform, null, null, Ctx(agent));
            var complaint = i < 2543;
            if (types[i] is RequestType.Help or RequestType.Enquiry or RequestType.Praise)
                c.Perform(CaseAction.AnswerDirectly, new ActionInput { Answer = "已当场答复" }, Ctx(agent));
            else if (complaint && i < 7)
                c.Perform(CaseAction.Transfer, new ActionInput { Target = "河池市12345热线", Reason = "属市级事权" }, Ctx(intake));
            else
            {
                c.Perform(CaseAction.File, new ActionInput { CategoryCode = "C0101", StandardItem = "C0101-01" }, Ctx(leader));
                c.Perform(CaseAction.Dispatch, new ActionInput { LeadDepartment = "SZGLC" }, Ctx(dispatcher));
                c.Perform(CaseAction.SignFor, new ActionInput(), Ctx(handler));
                // 37 complaints are still with the department at the year's end.
                if (!(complaint && i >= 7 && i < 44))
                {
                    c.Perform(CaseAction.Finish, new ActionInput { Result = "已处理" }, Ctx(handler));
                    c.Perform(CaseAction.CheckPass, new ActionInput { Opinion = "回访市民：已处理" }, Ctx(agent));
                    c.Perform(CaseAction.Close, new ActionInput { StandardItem = "C0101-01" }, Ctx(leader));
                }
            }
            db.Cases.Add(c);
            foreach (var e in c.NewEvents)
                foreach (var p in projections) await p.ApplyAsync(c, e, default);
            db.CaseEvents.AddRange(c.NewEvents);
            batch.Add(c);
            if (batch.Count == 500 || i == types.Length - 1)
            {
                await db.SaveChangesAsync();
                foreach (var saved in batch) saved.AcceptEvents();
                batch.Clear();
                db.ChangeTracker.Clear();
            }
        }
    }
}

[Collection("sqlite")]
public sealed class FigureTests_Sqlite(SqliteApp app) : FigureTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class FigureTests_Postgres(PostgresApp app) : FigureTests<PostgresApp>(app), IClassFixture<PostgresApp>;
