using System.Net;
using System.Text.Json;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests.Figures;

/// <summary>The 三率 ranking, 每月一题 and the assessments on both databases, over a July counted by hand.</summary>
public abstract class RankingTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset July(int day, int hour) => new(2026, 7, day, hour, 0, 0, TimeSpan.FromHours(8));
    const string Period = "period=2026-07&platform=451202";

    static readonly SemaphoreSlim Once = new(1, 1);
    static readonly Dictionary<string, List<Guid>> Built = [];

    /// <summary>
    /// Five July cases of category C0101 at the same place: SZGLC closes three (follow-ups: satisfied and solved;
    /// basically satisfied, not solved; not reached) and still holds a fourth; HWC closes one (very satisfied, solved).
    /// </summary>
    async Task<List<Guid>> JulyAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (Built.TryGetValue(app.Provider + app.ConnectionString, out var ids)) return ids;
            ids = [];
            // A fresh sign-in per call: each step moves the fake clock past the last token's lifetime.
            async Task FollowUp(Guid id, bool contacted, bool? resolved, string? satisfaction) =>
                await Api.ActOk(await app.As("agent"), id, "follow-up", new { contacted, resolved, satisfaction });
            var a = await FollowThroughSteps.DispatchedAt(app, July(6, 9), Api.Report(phone: null));
            await FollowThroughSteps.Closed(app, a);
            await FollowUp(a, true, true, "satisfied");
            var b = await FollowThroughSteps.DispatchedAt(app, July(6, 10), Api.Report(phone: null));
            await FollowThroughSteps.Closed(app, b);
            await FollowUp(b, true, false, "basically-satisfied");
            var c = await FollowThroughSteps.DispatchedAt(app, July(7, 9), Api.Report(phone: null));
            await FollowThroughSteps.Closed(app, c);
            await FollowUp(c, false, null, null);
            var d = await FollowThroughSteps.DispatchedAt(app, July(8, 9), Api.Report(phone: null));
            var e = await FollowThroughSteps.DispatchedAt(app, July(8, 10), Api.Report(phone: null), lead: "HWC");
            var hwc = await app.As("dept-hwc");
            await Api.ActOk(hwc, e, "sign-for");
            await Api.ActOk(hwc, e, "finish", new { result = "已清理" });
            await Api.ActOk(await app.As("intake"), e, "check-pass", new { opinion = "已核查" });
            await Api.ActOk(await app.As("leader"), e, "close", new { standardItem = "C0101-01" });
            await FollowUp(e, true, true, "very-satisfied");
            ids.AddRange([a, b, c, d, e]);
            Built[app.Provider + app.ConnectionString] = ids;
            return ids;
        }
        finally { Once.Release(); }
    }

    static JsonElement Row(JsonElement ranking, string code) => ranking.GetProperty("rows").EnumerateArray().Single(r => r.Str("code") == code);

    [Fact]
    public async Task TheThreeRates_RankEveryHandlingUnit_FromTheCitizensAnswers()
    {
        await JulyAsync();
        var ranking = await Api.Get(await app.As("supervisor"), $"/api/v1/three-rates?{Period}&by=department");
        Assert.Equal("2026-07", ranking.GetProperty("period").Str("key"));
        var szglc = Row(ranking, "SZGLC");
        // 3 follow-ups, 2 reached the citizen, 1 solved, 1 satisfied + 0.9 × 1 basically satisfied.
        Assert.Equal((3L, 2L, 1L), (szglc.GetProperty("followedUp").GetInt64(), szglc.GetProperty("valid").GetInt64(), szglc.GetProperty("resolved").GetInt64()));
        Assert.Equal((66.67m, 50.00m, 95.00m, 69.67m), (szglc.GetProperty("response").GetDecimal(), szglc.GetProperty("resolution").GetDecimal(),
            szglc.GetProperty("satisfaction").GetDecimal(), szglc.GetProperty("composite").GetDecimal()));
        var hwc = Row(ranking, "HWC");
        Assert.Equal((1, 100.00m), (hwc.GetProperty("rank").GetInt32(), hwc.GetProperty("composite").GetDecimal()));
        Assert.Equal(2, szglc.GetProperty("rank").GetInt32());
        // Every department is listed; those without follow-ups have no rank and come last.
        var rows = ranking.GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows.Count > 2);
        Assert.All(rows.Skip(2), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("rank").ValueKind));
        Assert.Contains("0.9", ranking.GetProperty("howZh").Str("satisfaction"));
        Assert.Equal(4, ranking.GetProperty("total").GetProperty("followedUp").GetInt64());

        var byStreet = await Api.Get(await app.As("supervisor"), $"/api/v1/three-rates?{Period}&by=street");
        var ranked = byStreet.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("rank").ValueKind == JsonValueKind.Number).ToList();
        Assert.Equal(4, ranked.Sum(r => r.GetProperty("followedUp").GetInt64()));
        Assert.Equal(3, ranked.Sum(r => r.GetProperty("valid").GetInt64()));
    }

    [Fact]
    public async Task TheMonthlyTopic_IsTheProblemThatRecursMost_WithItsCases()
    {
        var ids = await JulyAsync();
        var topics = await Api.Get(await app.As("leader"), $"/api/v1/monthly-topics?{Period}");
        var first = topics.GetProperty("topics")[0];
        Assert.Equal(("C0101", 5), (first.Str("categoryCode"), first.GetProperty("cases").GetInt32()));
        var listed = first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToHashSet();
        Assert.True(listed.SetEquals(ids));
        // Every topic lists its own cases, however its place is known (community, street only, or none).
        Assert.All(topics.GetProperty("topics").EnumerateArray(), t =>
            Assert.Equal(Math.Min(t.GetProperty("cases").GetInt32(), 200), t.GetProperty("items").GetArrayLength()));
        Assert.False(string.IsNullOrWhiteSpace(topics.Str("howZh")));
        var june = await Api.Get(await app.As("supervisor"), "/api/v1/monthly-topics?period=2026-05&platform=451202");
        Assert.Empty(june.GetProperty("topics").EnumerateArray());
    }

    [Fact]
    public async Task TheDepartmentAssessment_ScoresByTheConfiguredFormula_WithGradesRanksAndDefinition()
    {
        await JulyAsync();
        var assessment = await Api.Get(await app.As("supervisor"), $"/api/v1/assessments/departments?{Period}");
        Assert.Equal(100m, assessment.GetProperty("fullMarks").GetDecimal());
        Assert.StartsWith("处置率 × 30", assessment.Str("howZh"));
        // SZGLC holds four and has handled three, all on time: 30 × 0.75 + 20 × 0.75 + 20 + 20 + 10.
        var szglc = Row(assessment, "SZGLC");
        Assert.Equal((87.50m, "B", 2), (szglc.GetProperty("score").GetDecimal(), szglc.Str("grade"), szglc.GetProperty("rank").GetInt32()));
        var disposal = szglc.GetProperty("terms").EnumerateArray().Single(t => t.Str("indicator") == "disposal-rate");
        Assert.Equal((75.00m, 3L, 4L, 22.50m), (disposal.GetProperty("rate").GetDecimal(), disposal.GetProperty("numerator").GetInt64(),
            disposal.GetProperty("denominator").GetInt64(), disposal.GetProperty("points").GetDecimal()));
        var hwc = Row(assessment, "HWC");
        Assert.Equal((100.00m, "A", 1), (hwc.GetProperty("score").GetDecimal(), hwc.Str("grade"), hwc.GetProperty("rank").GetInt32()));
        Assert.Equal(JsonValueKind.Null, hwc.GetProperty("previousScore").ValueKind); // June has no case of HWC in this history

        var streets = await Api.Get(await app.As("supervisor"), $"/api/v1/assessments/streets?{Period}");
        Assert.Contains(streets.GetProperty("rows").EnumerateArray(), r => r.GetProperty("score").ValueKind == JsonValueKind.Number);
    }

    [Fact]
    public async Task Rankings_AreForTheCentre_AndRefuseNonsense()
    {
        await Api.Problem(await (await app.As("handler")).GetAsync($"/api/v1/three-rates?{Period}"), HttpStatusCode.Forbidden);
        var supervisor = await app.As("supervisor");
        await Api.Problem(await supervisor.GetAsync("/api/v1/three-rates?period=2026-13"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.GetAsync("/api/v1/three-rates?by=colour"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.GetAsync("/api/v1/assessments/planets"), HttpStatusCode.NotFound);
        // Without a period: the latest complete month before the fixture's clock.
        var latest = await Api.Get(supervisor, "/api/v1/monthly-topics");
        Assert.Equal("month", latest.GetProperty("period").Str("kind"));
    }
}

[Collection("sqlite")]
public sealed class RankingTests_Sqlite(SqliteApp app) : RankingTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class RankingTests_Postgres(PostgresApp app) : RankingTests<PostgresApp>(app), IClassFixture<PostgresApp>;
