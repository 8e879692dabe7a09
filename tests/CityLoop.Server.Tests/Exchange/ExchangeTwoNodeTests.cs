using CityLoop.Server.Features.Exchange;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using System.Text.Json;

namespace CityLoop.Server.Tests.Exchange;

/// <summary>
/// Two app nodes of the county on one PostgreSQL database deliver the same backlog at the same time: the claim
/// (FOR UPDATE SKIP LOCKED and a lease) sends each message once and each case's messages in order. (SQLite runs one node.)
/// </summary>
[Collection("postgres")]
public sealed class ExchangeTwoNodeTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task TwoNodes_DrainOneBacklog_EachMessageOnceAndEachCaseInOrder()
    {
        await using var p = await TwoPlatforms.StartAsync(app.Provider);
        var upperIds = new List<(Guid Id, string Number)>();
        var cityAgent = await p.As(p.Upper, "agent");
        var cityLeader = await p.As(p.Upper, "leader");
        var cityDispatcher = await p.As(p.Upper, "dispatcher");
        for (var i = 0; i < 6; i++)
        {
            var c = await Api.CreateCase(cityAgent, Api.Report($"双节点测试 {i}"));
            await Api.ActOk(cityLeader, c.Id(), "file", new { standardItem = "C0101-01" });
            await Api.ActOk(cityDispatcher, c.Id(), "dispatch", new { leadDepartment = TwoPlatforms.LowerDepartment });
            upperIds.Add((c.Id(), c.Str("number")));
        }
        await TwoPlatforms.DeliverAsync(p.Upper);

        // The county works every case before anything goes up: a backlog of five messages per case.
        var leader = await p.As(p.Lower, "leader");
        var dispatcher = await p.As(p.Lower, "dispatcher");
        var handler = await p.As(p.Lower, "handler");
        foreach (var (_, number) in upperIds)
        {
            var id = TwoPlatforms.Db(p.Lower, db => db.Cases.AsNoTracking().Single(c => c.ExternalId == number).Id);
            await Api.ActOk(leader, id, "file", new { standardItem = "C0101-01" });
            await Api.ActOk(dispatcher, id, "dispatch", new { leadDepartment = "SZGLC" });
            await Api.ActOk(handler, id, "sign-for");
            await Api.ActOk(handler, id, "finish", new { result = "已处理" });
        }
        Assert.Equal(30, TwoPlatforms.Db(p.Lower, db => db.Set<ExchangeOutboxRow>().Count(o => o.DeliveredAt == null)));

        var second = p.SecondLowerNode();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => TwoPlatforms.DeliverAsync(i % 2 == 0 ? p.Lower : second))));
        await p.SettleAsync();

        var rows = TwoPlatforms.Db(p.Lower, db => db.Set<ExchangeOutboxRow>().AsNoTracking().ToList());
        // Each message went over the wire once: the two nodes never sent the same one.
        List<string> sentUp;
        lock (p.Routes.Sent) sentUp = p.Routes.Sent.Where(s => s.Host == "upper.test")
            .Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("messageId").GetString()!).ToList();
        Assert.Equal(30, sentUp.Count);
        Assert.Equal(30, sentUp.Distinct().Count());
        Assert.All(rows, r => Assert.NotNull(r.DeliveredAt));
        // Not one refusal: no message was sent twice, none before the one it follows.
        Assert.All(rows, r => Assert.Equal(0, r.Attempts));
        var received = TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeInboxRow>().AsNoTracking().Select(r => r.MessageId).ToList());
        Assert.Equal(rows.Select(r => r.MessageId).Order(), received.Order());
        foreach (var (id, _) in upperIds)
        {
            var events = TwoPlatforms.Db(p.Upper, db => db.CaseEvents.AsNoTracking().Where(e => e.CaseId == id).OrderBy(e => e.Seq).ToList());
            Assert.Equal(["file", "dispatch", "sign-for", "finish"],
                events.Where(e => e.Action == "peer-status").Select(e => JsonDocument.Parse(e.Payload!).RootElement.GetProperty("action").GetString()!).ToArray());
            Assert.Single(events, e => e.Action == "sign-for");
        }
    }
}
