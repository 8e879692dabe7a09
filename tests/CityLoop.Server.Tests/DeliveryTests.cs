using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>Notifications cannot jam: an undeliverable message waits aside with its error, the rest flow; texts are bounded.</summary>
public abstract class DeliveryTests<TApp>(TApp app) where TApp : AppFixture
{
    async Task<Guid> Dispatched(HttpClient agent, HttpClient leader, HttpClient dispatcher)
    {
        var c = await Api.CreateCase(agent, Api.Report(phone: null));
        await Api.ActOk(leader, c.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(dispatcher, c.Id(), "dispatch", new { leadDepartment = "SZGLC" });
        return c.Id();
    }

    [Fact]
    public async Task AMessageThatCannotBeDelivered_WaitsAsideWithBackoff_AndLaterMessagesFlow()
    {
        // An SMS gateway that refuses every connection.
        await using var node = app.NewFactory(new Dictionary<string, string>
        {
            ["Notifications:Sms:Provider"] = "http", ["Notifications:Sms:UrlTemplate"] = "http://127.0.0.1:9/send?to={phone}&text={text}",
        });
        var handler = await app.As("handler", node);
        (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = "13900000002" })).EnsureSuccessStatusCode();
        try
        {
            var supervisor = await app.As("supervisor", node);
            var (agent, leader, dispatcher) = (await app.As("agent", node), await app.As("leader", node), await app.As("dispatcher", node));
            var first = await Dispatched(agent, leader, dispatcher);
            var issued = await supervisor.PostAsJsonAsync("/api/v1/supervision-orders",
                new { caseIds = new[] { first }, level = "key", dueAt = app.Clock.GetUtcNow().AddDays(2), requirement = "第一次督办" });
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);

            var outbox = await Api.Get(supervisor, $"/api/v1/notifications/outbox?caseId={first}");
            var sms = outbox.EnumerateArray().Single(m => m.Str("channel") == "sms" && m.Str("template") == "supervision-issued");
            Assert.Equal("pending", sms.Str("status"));
            Assert.Equal("139****0002", sms.Str("recipient"));
            // The case's log says who was told on which channel, never the address (the event log keeps no staff contacts).
            var notify = (await Api.Get(supervisor, $"/api/v1/cases/{first}/events")).EnumerateArray().Last(e => e.Str("action") == "notify");
            Assert.Contains(notify.GetProperty("payload").GetProperty("messages").EnumerateArray(), m => m.Str("channel") == "sms");
            Assert.DoesNotContain("13900000002", notify.GetRawText());
            Assert.Equal(1, sms.GetProperty("attempts").GetInt32());
            Assert.False(string.IsNullOrEmpty(sms.Str("error")));
            Assert.True(sms.GetProperty("nextAttemptAt").GetDateTimeOffset() > app.Clock.GetUtcNow());
            var inApp = outbox.EnumerateArray().Where(m => m.Str("channel") == "in-app").ToList();
            Assert.NotEmpty(inApp);
            Assert.All(inApp, m => Assert.Equal("sent", m.Str("status")));

            // A later order flows past the failed message; the failed one is not retried before its time.
            var second = await Dispatched(agent, leader, dispatcher);
            Assert.Equal(HttpStatusCode.Created, (await supervisor.PostAsJsonAsync("/api/v1/supervision-orders",
                new { caseIds = new[] { second }, level = "general", dueAt = app.Clock.GetUtcNow().AddDays(2), requirement = "第二次督办" })).StatusCode);
            Assert.Contains((await Api.Get(handler, "/api/v1/notifications")).EnumerateArray(), n => n.Str("body").Contains("第二次督办"));
            sms = (await Api.Get(supervisor, $"/api/v1/notifications/outbox?caseId={first}")).EnumerateArray().Single(m => m.Str("channel") == "sms" && m.Str("template") == "supervision-issued");
            Assert.Equal(1, sms.GetProperty("attempts").GetInt32());

            // After the backoff the worker tries again, and after the last attempt the message is set aside as failed.
            for (var attempt = 2; attempt <= 6; attempt++)
            {
                app.Clock.Advance(TimeSpan.FromMinutes(Math.Pow(2, attempt - 2)) + TimeSpan.FromSeconds(1));
                using var scope = node.Services.CreateScope();
                await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync();
                sms = (await Api.Get(supervisor, $"/api/v1/notifications/outbox?caseId={first}")).EnumerateArray().Single(m => m.Str("channel") == "sms" && m.Str("template") == "supervision-issued");
                Assert.Equal(attempt, sms.GetProperty("attempts").GetInt32());
            }
            Assert.Equal("failed", sms.Str("status"));
        }
        finally
        {
            (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = (string?)null })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task ALongRequirement_IsDeliveredLive_AndAnOverlongOneIsRefused()
    {
        var supervisor = await app.As("supervisor");
        var id = await Dispatched(await app.As("agent"), await app.As("leader"), await app.As("dispatcher"));
        var requirement = string.Concat(Enumerable.Repeat("请立即组织人员修复井盖并回复。", 200))[..2000];
        var issued = await supervisor.PostAsJsonAsync("/api/v1/supervision-orders",
            new { caseIds = new[] { id }, level = "key", dueAt = app.Clock.GetUtcNow().AddDays(2), requirement });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var inbox = await Api.Get(await app.As("handler"), "/api/v1/notifications");
        var message = inbox.EnumerateArray().First(n => n.Str("body").Contains("请立即组织人员修复井盖"));
        Assert.True(message.Str("body").Length <= 1000);
        var outbox = await Api.Get(supervisor, $"/api/v1/notifications/outbox?caseId={id}");
        Assert.All(outbox.EnumerateArray(), m => Assert.NotEqual("pending", m.Str("status")));

        await Api.Problem(await supervisor.PostAsJsonAsync("/api/v1/supervision-orders",
            new { caseIds = new[] { id }, level = "key", dueAt = app.Clock.GetUtcNow().AddDays(2), requirement = new string('修', 3000) }), HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OutboxReads_AreAudited()
    {
        var before = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=outbox-read")).GetProperty("total").GetInt32();
        await Api.Get(await app.As("admin"), "/api/v1/notifications/outbox?channel=sms");
        var after = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=outbox-read")).GetProperty("total").GetInt32();
        Assert.Equal(before + 1, after);
    }
}

[Collection("sqlite")]
public sealed class DeliveryTests_Sqlite(SqliteApp app) : DeliveryTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class DeliveryTests_Postgres(PostgresApp app) : DeliveryTests<PostgresApp>(app), IClassFixture<PostgresApp>;
