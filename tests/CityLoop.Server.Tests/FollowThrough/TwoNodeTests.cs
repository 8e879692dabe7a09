using CityLoop.Server.Data;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CityLoop.Server.Tests.FollowThrough.ClockTests<CityLoop.Server.Tests.Infrastructure.PostgresApp>;

namespace CityLoop.Server.Tests.FollowThrough;

/// <summary>Two server instances sweeping one PostgreSQL at the same moment send every reminder exactly once.</summary>
[Collection("postgres")]
public sealed class TwoNodeSweepTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task TwoNodes_SweepingTogether_SendEachReminderAndEscalationOnce()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++) ids.Add(await FollowThroughSteps.DispatchedAt(app, At(5, 6, 9, 0)));
        await using var second = app.NewFactory();

        // Past the breach and the whole escalation chain: every checkpoint of every case is due at once.
        app.Clock.Set(At(5, 20, 9));
        var sweeps = Enumerable.Range(0, 6).Select(i => Task.Run(() => FollowThroughSteps.Sweep(app, i % 2 == 0 ? app.Factory : second))).ToArray();
        var results = await Task.WhenAll(sweeps);
        Assert.True(results.Sum(r => r.Cases) >= ids.Count);

        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var reminders = await db.Set<Reminder>().Where(r => ids.Contains(r.CaseId)).ToListAsync();
        // Per case: the breach reminder and three escalations (the warning is skipped once the breach has come).
        Assert.Equal(ids.Count * 4, reminders.Count);
        var events = await db.CaseEvents.Where(e => ids.Contains(e.CaseId)).GroupBy(e => new { e.CaseId, e.Action }).Select(g => new { g.Key.CaseId, g.Key.Action, N = g.Count() }).ToListAsync();
        foreach (var id in ids)
        {
            Assert.Equal(1, events.Single(e => e.CaseId == id && e.Action == "remind").N);
            Assert.Equal(3, events.Single(e => e.CaseId == id && e.Action == "escalate").N);
            Assert.Equal(1, events.Single(e => e.CaseId == id && e.Action == "overdue").N);
        }
        var messages = await db.Set<OutboundMessage>().Where(m => m.CaseId != null && ids.Contains(m.CaseId.Value) && m.Channel == "in-app" && m.Template.StartsWith("clock-")).ToListAsync();
        Assert.All(messages.GroupBy(m => new { m.CaseId, m.Recipient, m.Template }), g => Assert.Single(g));
        Assert.All(messages, m => Assert.Equal("sent", m.Status));
        var inbox = await db.Set<Notification>().Where(n => n.CaseId != null && ids.Contains(n.CaseId.Value) && !n.Body.StartsWith("【待办】")).ToListAsync();
        Assert.Equal(messages.Count, inbox.Count);
    }
}
