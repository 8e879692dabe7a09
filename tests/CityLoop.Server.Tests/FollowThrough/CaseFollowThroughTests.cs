using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.FollowThrough;

/// <summary>Supervision orders, follow-up with its reopening policy, and repeat reports.</summary>
public abstract partial class CaseFollowThroughTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset At(int month, int day, int hour, int minute = 0) => ClockTests<TApp>.At(month, day, hour, minute);

    [Fact]
    public async Task SupervisionOrder_IsIssuedOnABatch_RepliedByTheDepartment_AndClosedBySupervisor()
    {
        var a = await FollowThroughSteps.DispatchedAt(app, At(7, 6, 9));
        var b = await FollowThroughSteps.DispatchedAt(app, At(7, 6, 9));
        var supervisor = await app.As("supervisor");
        var issued = await supervisor.PostAsJsonAsync("/api/v1/supervision-orders",
            new { caseIds = new[] { a, b }, level = "key", dueAt = At(7, 8, 17), requirement = "请于两日内修复并回复处理情况" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var orders = (await issued.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        Assert.Equal(2, orders.Count);
        Assert.Equal(orders[0].Str("batchId"), orders[1].Str("batchId"));
        var order = orders.Single(o => o.GetProperty("caseId").GetGuid() == a).Id();

        // Only the department the case is with replies; closing waits for the reply.
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("dept-hwc")).PostAsJsonAsync($"/api/v1/supervision-orders/{order}/reply", new { reply = "x" })).StatusCode);
        await Api.Problem(await supervisor.PostAsJsonAsync($"/api/v1/supervision-orders/{order}/close", new { opinion = "同意" }), HttpStatusCode.Conflict);

        app.Clock.Set(At(7, 7, 10));
        supervisor = await app.As("supervisor");
        var handler = await app.As("handler");
        Assert.Contains((await Api.Get(handler, "/api/v1/notifications")).EnumerateArray(), n => n.Str("body").StartsWith("【重点督办】"));
        var replied = await handler.PostAsJsonAsync($"/api/v1/supervision-orders/{order}/reply", new { reply = "已安排抢修，今日完成" });
        Assert.Equal("replied", (await replied.Content.ReadFromJsonAsync<JsonElement>()).Str("status"));
        var closed = await supervisor.PostAsJsonAsync($"/api/v1/supervision-orders/{order}/close", new { opinion = "办理及时" });
        var closedOrder = await closed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("closed", closedOrder.Str("status"));
        Assert.False(closedOrder.GetProperty("overdue").GetBoolean());

        var list = await Api.Get(supervisor, $"/api/v1/supervision-orders?caseId={a}");
        Assert.Single(list.GetProperty("items").EnumerateArray());
        var key = list.GetProperty("counts").EnumerateArray().Single(c => c.Str("level") == "key");
        Assert.True(key.GetProperty("closed").GetInt32() >= 1);
        Assert.True(key.GetProperty("open").GetInt32() >= 1);

        var caseA = await Api.Get(supervisor, $"/api/v1/cases/{a}");
        Assert.True(caseA.GetProperty("flags").GetProperty("supervised").GetBoolean());
        var actions = await Api.Actions(supervisor, a);
        Assert.Equal(["supervise", "supervision-order", "notify", "supervision-reply", "supervision-closed"],
            actions.SkipWhile(x => x != "supervise").ToArray());

        // The order still open falls overdue once its own deadline passes; the counts say so.
        app.Clock.Advance(TimeSpan.FromDays(30));
        var later = await Api.Get(await app.As("supervisor"), "/api/v1/supervision-orders?level=key");
        Assert.True(later.GetProperty("counts").EnumerateArray().Single(c => c.Str("level") == "key").GetProperty("overdue").GetInt32() >= 1);
        Assert.Contains(later.GetProperty("items").EnumerateArray(), o => o.GetProperty("overdue").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("inspector")).GetAsync("/api/v1/supervision-orders")).StatusCode);
    }

    [Fact]
    public async Task SelfRatingPage_BehindTheSmsLink_RecordsTheCitizensAnswerOnce()
    {
        var report = new
        {
            source = "website", requestType = "complaint", description = "人行道砖块松动", categoryCode = "C0101",
            location = new { lat = 24.70, lon = 108.07 }, address = "金城江区新建路 9 号", reporter = new { name = "王先生", phone = "13712340000" },
        };
        var id = await FollowThroughSteps.DispatchedAt(app, At(8, 4, 9), report);
        await FollowThroughSteps.Closed(app, id);
        await FollowThroughSteps.Sweep(app);
        // Staff never see the token; the citizen's phone receives it (read here from the stored message).
        var token = Token().Match((await FollowThroughSteps.StoredSms(app, id)).Body).Groups[1].Value;

        var citizen = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await citizen.GetStringAsync($"/follow-up/{token}");
        Assert.Contains("办理结果评价", page);
        Assert.DoesNotContain("13712340000", page);
        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var posted = await citizen.PostAsync($"/follow-up/{token}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Resolved"] = "true", ["Satisfaction"] = "BasicallySatisfied", ["Comment"] = "修好了", ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("感谢您的评价", await posted.Content.ReadAsStringAsync());
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal("basically-satisfied", c.GetProperty("followUp").GetProperty("satisfaction").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await citizen.GetAsync($"/follow-up/{token}")).StatusCode);
    }

    [Fact]
    public async Task DissatisfiedSelfRating_ThroughTheSmsLink_ReopensTheCaseToTheSameDepartment()
    {
        var report = new
        {
            source = "website", requestType = "complaint", description = "小区门口路灯不亮", categoryCode = "C0101",
            location = new { lat = 24.70, lon = 108.07 }, address = "金城江区新建路 8 号", reporter = new { name = "李女士", phone = "13712345678" },
        };
        var id = await FollowThroughSteps.DispatchedAt(app, At(8, 3, 9), report);
        await FollowThroughSteps.Closed(app, id);
        // The worker delivers what closing queued.
        await FollowThroughSteps.Sweep(app);

        var outbox = await Api.Get(await app.As("supervisor"), $"/api/v1/notifications/outbox?caseId={id}&channel=sms");
        var sms = Assert.Single(outbox.EnumerateArray());
        Assert.Equal("137****5678", sms.Str("recipient"));
        Assert.Equal("recorded", sms.Str("status"));
        Assert.DoesNotMatch(Token(), sms.Str("body"));
        var stored = await FollowThroughSteps.StoredSms(app, id);
        Assert.Equal("13712345678", stored.Recipient);
        var token = Token().Match(stored.Body).Groups[1].Value;
        Assert.NotEmpty(token);
        Assert.DoesNotContain(token, sms.Str("body"));

        await using var autoReopen = app.Factory.WithWebHostBuilder(b => b.UseSetting("FollowUp:AutoReopen", "true"));
        var rating = await autoReopen.CreateClient().PostAsJsonAsync($"/api/v1/public/follow-up/{token}", new { resolved = false, satisfaction = "dissatisfied", comment = "灯还是不亮" });
        Assert.Equal(HttpStatusCode.OK, rating.StatusCode);
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal("handling", c.State());
        Assert.Equal("SZGLC", c.Str("leadDepartment"));
        Assert.Equal(1, c.GetProperty("flags").GetProperty("reopenedCount").GetInt32());
        var events = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}/events");
        var last = events.EnumerateArray().TakeLast(3).ToList();
        // The policy's decision is its own event, then the reopening it asked for.
        Assert.Equal(["follow-up", "follow-up-reviewed", "reopen"], last.Select(e => e.Str("action")));
        Assert.Equal("reopened", last[1].GetProperty("payload").Str("outcome"));
        Assert.True(last[2].GetProperty("actorIsSystem").GetBoolean());

        // The link works once.
        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().PostAsJsonAsync($"/api/v1/public/follow-up/{token}", new { resolved = true, satisfaction = "satisfied" })).StatusCode);
        var done = await Api.Get(await app.As("agent"), "/api/v1/follow-ups?status=done");
        Assert.Contains(done.EnumerateArray(), t => t.GetProperty("caseId").GetGuid() == id && t.Str("outcome") == "reopened" && t.Str("satisfaction") == "dissatisfied");
    }

    [Fact]
    public async Task DissatisfiedCall_ByDefault_WaitsForAReviewerToReopen()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(8, 17, 9), Api.Report(description: "复核回访", phone: "13600000002"));
        await FollowThroughSteps.Closed(app, id);
        await Api.ActOk(await app.As("agent"), id, "follow-up", new { contacted = true, resolved = false, satisfaction = "dissatisfied" });
        Assert.Equal("closed", (await Api.Get(await app.As("agent"), $"/api/v1/cases/{id}")).State());
        var waiting = await Api.Get(await app.As("leader"), "/api/v1/follow-ups?outcome=awaiting-approval");
        Assert.Contains(waiting.EnumerateArray(), t => t.GetProperty("caseId").GetGuid() == id);
        Assert.Equal("handling", (await Api.ActOk(await app.As("leader"), id, "reopen", new { reason = "同意重办" })).State());
    }

    [Fact]
    public async Task HotlineClosure_GivesTheAgentACallBack_AndAnonymousReportsNone()
    {
        var hotline = await FollowThroughSteps.DispatchedAt(app, At(8, 10, 9), Api.Report(description: "回访电话测试", phone: "13600000001"));
        await FollowThroughSteps.Closed(app, hotline);
        var anonymous = await FollowThroughSteps.DispatchedAt(app, At(8, 10, 9), new
        {
            source = "website", requestType = "complaint", description = "匿名反映占道经营", categoryCode = "C0101",
            location = new { lat = 24.71, lon = 108.08 }, address = "金城江区", reporter = new { anonymous = true },
        });
        await FollowThroughSteps.Closed(app, anonymous);

        var open = await Api.Get(await app.As("agent"), "/api/v1/follow-ups?status=open");
        var task = Assert.Single(open.EnumerateArray(), t => t.GetProperty("caseId").GetGuid() == hotline);
        Assert.Equal("call", task.Str("method"));
        Assert.Equal("13600000001", task.GetProperty("reporter").Str("phone"));
        Assert.DoesNotContain(open.EnumerateArray(), t => t.GetProperty("caseId").GetGuid() == anonymous);
        // Nothing goes to an anonymous citizen (staff still hear of the case's steps).
        Assert.DoesNotContain((await Api.Get(await app.As("supervisor"), $"/api/v1/notifications/outbox?caseId={anonymous}")).EnumerateArray(),
            m => m.Str("channel") == "sms" || m.Str("template") == "follow-up-link");
    }

    [Fact]
    public async Task ARepeatAtAPlaceWithManyClosedCases_IsTheNewestWithinTheDistance_EvenBehindAPageOfNewerOnesJustOutside()
    {
        // The place check reads the closed cases in a box around the point a page at a time, newest first (a chronic
        // spot has hundreds); the box's corners lie beyond the distance, so a full page of newer cases there must not
        // hide an older one within it.
        app.Clock.Set(At(11, 2, 9));
        const double lat = 24.6931, lon = 108.0517;
        var dLat = 50 / 111_320.0;
        var dLon = dLat / Math.Cos(lat * Math.PI / 180);
        var agent = await app.As("agent");
        async Task<JsonElement> Report(double la, double lo) => await Api.CreateCase(agent, new
        {
            source = "hotline", requestType = "complaint", description = "窨井盖破损", categoryCode = "C0101",
            location = new { lat = la, lon = lo }, address = "金城江区新建路 8 号", reporter = new { name = "刘女士", phone = (string?)null },
        });
        var within = await Report(lat + dLat * 0.3, lon);
        var corner = new List<Guid>();
        for (var i = 0; i < Features.FollowUps.RepeatFinder.PlacePage + 5; i++)
            corner.Add((await Report(lat + dLat * 0.95, lon + dLon * 0.95)).Id()); // ≈ 67 m away: in the box, beyond 50 m
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            async Task Close(Guid id, DateTimeOffset at) =>
                await db.Cases.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.State, CaseState.Closed).SetProperty(c => c.ClosedAt, at));
            await Close(within.Id(), At(10, 20, 9));
            // The corner cases closed later (the 19th to 21st newest at the same instant, across the first page's edge).
            for (var i = 0; i < corner.Count; i++) await Close(corner[i], At(10, 25, 9).AddMinutes(i is >= 4 and <= 6 ? 5 : i));
        }

        var again = await Report(lat, lon);
        Assert.Equal(within.Str("number"), again.GetProperty("flags").Str("repeatOf"));
        // In the corner itself the newest corner case is the repeat.
        var inCorner = await Report(lat + dLat * 0.95, lon + dLon * 0.95);
        var newest = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{corner[^1]}");
        Assert.Equal(newest.Str("number"), inCorner.GetProperty("flags").Str("repeatOf"));
    }

    [Fact]
    public async Task NewReport_FromTheSameCallerAsARecentlyClosedCase_IsFlaggedAsARepeat()
    {
        var first = await FollowThroughSteps.DispatchedAt(app, At(10, 12, 9), Api.Report(description: "噪音扰民", phone: "13511112222"));
        await FollowThroughSteps.Closed(app, first);
        var firstNumber = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{first}")).Str("number");

        app.Clock.Set(At(10, 20, 9));
        var again = await Api.CreateCase(await app.As("agent"), Api.Report(description: "又有噪音", phone: "13511112222"));
        Assert.Equal(firstNumber, again.GetProperty("flags").Str("repeatOf"));
        // Same category a few metres away, another caller: also a repeat.
        var near = await Api.CreateCase(await app.As("agent"), new
        {
            source = "hotline", requestType = "complaint", description = "附近井盖缺失", categoryCode = "C0101",
            location = new { lat = 24.69 + 0.0002, lon = 108.06 }, address = "金城江区金城中路 14 号", reporter = new { name = "王先生", phone = "13599998888" },
        });
        var other = await Api.CreateCase(await app.As("agent"), Api.Report(description: "新的问题", phone: "13500000000", category: "C0201"));
        Assert.Equal(JsonValueKind.Null, other.GetProperty("flags").GetProperty("repeatOf").ValueKind);

        var repeats = await FollowThroughSteps.ListIds(app, "repeat=true");
        Assert.Contains(again.Id(), repeats);
        Assert.Contains(near.Id(), repeats);
        Assert.DoesNotContain(other.Id(), repeats);
    }

    [GeneratedRegex(@"/follow-up/([A-Za-z0-9_\-]+)")]
    private static partial Regex Token();
}

[Collection("sqlite")]
public sealed class CaseFollowThroughTests_Sqlite(SqliteApp app) : CaseFollowThroughTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CaseFollowThroughTests_Postgres(PostgresApp app) : CaseFollowThroughTests<PostgresApp>(app), IClassFixture<PostgresApp>;
