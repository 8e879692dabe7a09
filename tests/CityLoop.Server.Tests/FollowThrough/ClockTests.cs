using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.FollowThrough;

/// <summary>Phase clocks in working time, their lights, pauses, and the reminders and escalations of the sweep.</summary>
public abstract class ClockTests<TApp>(TApp app) where TApp : AppFixture
{
    internal static readonly TimeSpan China = TimeSpan.FromHours(8);
    internal static DateTimeOffset At(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, China);

    [Fact]
    public async Task SignForLight_TurnsYellowAndRed_AtWorkingInstants_AcrossTheQingmingWeekend()
    {
        // Friday 3 April 16:30: one working hour left that day; Sat–Mon (4–6 April) are the weekend and 清明.
        // Sign-for has 2 working hours: 60 min on Friday, 60 on Tuesday → due Tue 09:30; 80 % (96 min) → yellow at Tue 09:06.
        var id = await FollowThroughSteps.DispatchedAt(app, At(4, 3, 16, 30));
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal(At(4, 7, 9, 30), c.GetProperty("deadlines").GetProperty("current").GetDateTimeOffset());
        Assert.Equal(At(4, 7, 9, 6), c.GetProperty("deadlines").GetProperty("warnAt").GetDateTimeOffset());

        foreach (var (at, light) in new[]
        {
            (At(4, 3, 17, 29), "green"), (At(4, 6, 12, 0), "green"), (At(4, 7, 9, 5), "green"),
            (At(4, 7, 9, 6), "yellow"), (At(4, 7, 9, 29), "yellow"), (At(4, 7, 9, 30), "red"),
        })
        {
            app.Clock.Set(at);
            Assert.Equal(light, await FollowThroughSteps.Light(app, id));
            Assert.Contains(id, await FollowThroughSteps.ListIds(app, $"light={light}"));
        }
    }

    [Fact]
    public async Task Sweep_RemindsBeforeAndAtTheBreach_ThenEscalates_EachOnce()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(4, 3, 16, 30));

        app.Clock.Set(At(4, 7, 9, 6));
        await FollowThroughSteps.Sweep(app);
        var handler = await app.As("handler");
        var inbox = await Api.Get(handler, "/api/v1/notifications");
        var number = (await Api.Get(handler, $"/api/v1/cases/{id}")).Str("number");
        Assert.Contains(inbox.EnumerateArray(), n => n.Str("body").Contains(number) && n.Str("body").StartsWith("【催办】"));

        app.Clock.Set(At(4, 7, 9, 30));
        await FollowThroughSteps.Sweep(app);
        await FollowThroughSteps.Sweep(app);
        handler = await app.As("handler");
        var c = await Api.Get(handler, $"/api/v1/cases/{id}");
        Assert.True(c.GetProperty("flags").GetProperty("overdue").GetBoolean());
        Assert.Contains(id, await FollowThroughSteps.ListIds(app, "overdue=true"));

        // The first escalation (department head) comes 4 hours after the breach.
        app.Clock.Set(At(4, 7, 13, 29));
        await FollowThroughSteps.Sweep(app);
        handler = await app.As("handler");
        Assert.DoesNotContain("escalate", await Api.Actions(handler, id));
        app.Clock.Set(At(4, 7, 13, 30));
        await FollowThroughSteps.Sweep(app);
        await FollowThroughSteps.Sweep(app);

        handler = await app.As("handler");
        var actions = await Api.Actions(handler, id);
        Assert.Equal(2, actions.Count(a => a == "remind"));
        Assert.Equal(1, actions.Count(a => a == "overdue"));
        Assert.Equal(1, actions.Count(a => a == "escalate"));
        Assert.Equal(3, actions.Count(a => a == "notify"));
        var head = await Api.Get(await app.As("depthead"), "/api/v1/notifications");
        Assert.Single(head.EnumerateArray(), n => n.Str("body").Contains(number) && n.Str("body").StartsWith("【超期升级】"));
        Assert.Single((await Api.Get(handler, "/api/v1/notifications")).EnumerateArray(), n => n.Str("body").Contains(number) && n.Str("body").StartsWith("【超期催办】"));
    }

    [Fact]
    public async Task LateSweep_AfterAMonth_TellsEachPersonOncePerCaseAndPhase_AndLogsEveryCheckpoint()
    {
        // A node back after a month's downtime (or a database seeded with weeks of history): the breach and all three
        // escalation levels of the sign-for phase have passed. The log keeps each checkpoint; the inbox folds them.
        var id = await FollowThroughSteps.DispatchedAt(app, At(5, 11, 9));
        var number = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).Str("number");
        app.Clock.Set(At(6, 10, 9));
        await FollowThroughSteps.Sweep(app);
        await FollowThroughSteps.Sweep(app);

        var actions = await Api.Actions(await app.As("supervisor"), id);
        Assert.Equal(1, actions.Count(a => a == "overdue"));
        Assert.Equal(1, actions.Count(a => a == "remind"));
        Assert.Equal(3, actions.Count(a => a == "escalate"));

        // One message per person about this case and phase, saying where it stands now: the handler had the act-now
        // notice of the dispatch and the breach; the head that, the breach and the first escalation; and so on.
        foreach (var (user, tag) in new[] { ("handler", "【超期催办】"), ("depthead", "【超期升级】"), ("leader", "【超期升级】"), ("supervisor", "【超期升级】") })
        {
            var about = (await Api.Get(await app.As(user), "/api/v1/notifications")).EnumerateArray().Where(n => n.Str("body").Contains(number)).ToList();
            Assert.True(about.Count == 1, $"{user}: {about.Count} messages about {number}: {string.Join(" | ", about.Select(n => n.Str("body")))}");
            Assert.StartsWith(tag, about[0].Str("body"));
        }
        Assert.Contains("请部门负责人督促", (await Api.Get(await app.As("depthead"), "/api/v1/notifications")).EnumerateArray().Single(n => n.Str("body").Contains(number)).Str("body"));

        // The same message in English for a reader who chose English, rendered from its key and fields.
        var english = (await Api.Get(await app.As("depthead"), "/api/v1/notifications?culture=en&ui-culture=en")).EnumerateArray()
            .Single(n => n.Str("body").Contains(number)).Str("body");
        Assert.StartsWith($"[Escalated] Case {number} ", english);
        Assert.Contains("sign-for is overdue", english);
        Assert.Contains("Department head, please see it done", english);
    }

    [Fact]
    public async Task MessageAboutAPhaseTheCaseHasLeft_IsSetAsideAtDelivery_NotPutInTheInbox()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(5, 18, 9));
        var handler = await app.As("handler");
        var userId = Guid.Parse((await Api.Get(handler, "/api/v1/auth/me")).Str("id"));
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
        // Queued while delivery was behind: a notice of the dispatch phase, which the case left when it was dispatched.
        var stale = QueuedInApp(userId, id, "【待办】stale", CityLoop.Domain.Cases.CasePhase.Dispatch);
        db.Add(stale);
        await db.SaveChangesAsync();
        await scope.ServiceProvider.GetRequiredService<CityLoop.Server.Features.Notifications.Notifier>().DeliverPendingAsync();
        db.ChangeTracker.Clear();
        Assert.Equal("superseded", (await db.Set<CityLoop.Server.Features.Notifications.OutboundMessage>().SingleAsync(m => m.Id == stale.Id)).Status);
        Assert.DoesNotContain((await Api.Get(handler, "/api/v1/notifications")).EnumerateArray(), n => n.Str("body") == "【待办】stale");
    }

    [Fact]
    public async Task AMessageThatFailsAfterBringingAnInboxRowUpToDate_LeavesTheInboxAsItWas_AndWaitsForItsRetry()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(5, 19, 9));
        var handler = await app.As("handler");
        var userId = Guid.Parse((await Api.Get(handler, "/api/v1/auth/me")).Str("id"));
        using var scope = app.Factory.Services.CreateScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
        // The dispatch told the handler: one unread message about the case's phase, which a later message brings up to date.
        var unread = await db.Set<CityLoop.Server.Features.Notifications.Notification>().AsNoTracking()
            .SingleAsync(n => n.UserId == userId && n.CaseId == id && n.ReadAt == null && n.Phase != null);
        app.Clock.Set(At(5, 19, 10));
        var failing = QueuedInApp(userId, id, "【催办】undelivered", unread.Phase);
        db.Add(failing);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        // The in-app channel changes the inbox row, then its push fails (a database refusing the NOTIFY, a hub down).
        var inApp = new CityLoop.Server.Features.Notifications.InAppChannel(db, services.GetRequiredService<CityLoop.Server.Features.Notifications.LivePush>());
        var notifier = new CityLoop.Server.Features.Notifications.Notifier(db, app.Clock,
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CityLoop.Server.Features.Notifications.NotificationOptions>>(),
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CityLoop.Server.Features.Cases.PlatformOptions>>(),
            [new FailsAfterSending(inApp, failing.Id)], services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<CityLoop.Server.Features.Notifications.Notifier>>());
        await notifier.DeliverPendingAsync();

        db.ChangeTracker.Clear();
        var message = await db.Set<CityLoop.Server.Features.Notifications.OutboundMessage>().SingleAsync(m => m.Id == failing.Id);
        Assert.Equal(("pending", 1), (message.Status, message.Attempts));
        Assert.Contains("push refused", message.Error);
        Assert.NotNull(message.NextAttemptAt);
        var inbox = await db.Set<CityLoop.Server.Features.Notifications.Notification>().AsNoTracking().SingleAsync(n => n.Id == unread.Id);
        Assert.Equal((unread.Title, unread.Body, unread.CreatedAt), (inbox.Title, inbox.Body, inbox.CreatedAt));
        Assert.DoesNotContain((await Api.Get(handler, "/api/v1/notifications")).EnumerateArray(), n => n.Str("body").Contains("undelivered"));
    }

    /// <summary>An in-app act-now message about a case's phase, as the outbox holds it before delivery.</summary>
    CityLoop.Server.Features.Notifications.OutboundMessage QueuedInApp(Guid userId, Guid caseId, string text, CityLoop.Domain.Cases.CasePhase? phase) => new()
    {
        Channel = "in-app", Recipient = userId.ToString(), UserId = userId, CaseId = caseId, Template = "act-now", Subject = text,
        Body = text, Fields = "{}", Phase = phase, CreatedAt = app.Clock.GetUtcNow(),
    };

    /// <summary>Sends through the real channel, then fails for one message: whatever the channel changed must be undone.</summary>
    sealed class FailsAfterSending(CityLoop.Server.Features.Notifications.INotificationChannel inner, Guid failing) : CityLoop.Server.Features.Notifications.INotificationChannel
    {
        public string Name => inner.Name;
        public Task BeginBatchAsync(IReadOnlyCollection<CityLoop.Server.Features.Notifications.OutboundMessage> batch, CancellationToken ct) => inner.BeginBatchAsync(batch, ct);
        public void EndBatch() => inner.EndBatch();
        public async Task<string> SendAsync(CityLoop.Server.Features.Notifications.OutboundMessage message, CancellationToken ct)
        {
            var status = await inner.SendAsync(message, ct);
            return message.Id == failing ? throw new InvalidOperationException("push refused") : status;
        }
    }

    [Fact]
    public async Task Suspension_PausesTheHandlingClock_AndResumeMovesTheDueByThePausedWorkingDays()
    {
        // Wed 17 June 10:00; 端午 is Fri 19 June, then the weekend. 公交站亭破损 (C0203-01): 3 working days → due Tue 23 June 10:00.
        var id = await FollowThroughSteps.DispatchedAt(app, At(6, 17, 10), Api.Report("公交站亭玻璃破损", phone: null, category: "C0203"), standardItem: "C0203-01");
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal(At(6, 23, 10), c.GetProperty("deadlines").GetProperty("current").GetDateTimeOffset());
        Assert.Equal(At(6, 22, 19, 36), c.GetProperty("deadlines").GetProperty("warnAt").GetDateTimeOffset());

        app.Clock.Set(At(6, 18, 10));
        await Api.ActOk(await app.As("depthead"), id, "request-suspension", new { reason = "等待管线单位配合" });
        await Api.ActOk(await app.As("leader"), id, "approve-suspension");
        Assert.Equal("paused", await FollowThroughSteps.Light(app, id));

        // Past the original due, a suspended case is neither red nor overdue, and no reminder goes out.
        app.Clock.Set(At(6, 23, 12));
        await FollowThroughSteps.Sweep(app);
        Assert.Equal("paused", await FollowThroughSteps.Light(app, id));
        Assert.DoesNotContain(id, await FollowThroughSteps.ListIds(app, "overdue=true"));
        Assert.DoesNotContain(id, await FollowThroughSteps.ListIds(app, "light=red"));
        Assert.Contains(id, await FollowThroughSteps.ListIds(app, "light=paused"));

        // Paused Thu 10:00 → Wed 24 June 10:00 is 72 working-day hours; 48 were left → due Fri 26 June 10:00.
        app.Clock.Set(At(6, 24, 10));
        var resumed = await Api.ActOk(await app.As("leader"), id, "resume");
        Assert.Equal(At(6, 26, 10), resumed.GetProperty("deadlines").GetProperty("current").GetDateTimeOffset());
        Assert.Equal(At(6, 25, 19, 36), resumed.GetProperty("deadlines").GetProperty("warnAt").GetDateTimeOffset());
        Assert.Equal("green", resumed.GetProperty("light").GetString());

        app.Clock.Set(At(6, 25, 19, 36));
        Assert.Equal("yellow", await FollowThroughSteps.Light(app, id));
        app.Clock.Set(At(6, 26, 10));
        Assert.Equal("red", await FollowThroughSteps.Light(app, id));

        // Finishing records the phase's business and wall time, the pause excluded from the former.
        app.Clock.Set(At(6, 26, 11));
        await Api.ActOk(await app.As("handler"), id, "finish", new { result = "已修复" });
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
        var handling = db.Set<CasePhaseTime>().Single(p => p.CaseId == id && p.Phase == CityLoop.Domain.Cases.CasePhase.Handling);
        Assert.Equal((long)(At(6, 26, 11) - At(6, 17, 10)).TotalSeconds, handling.WallSeconds);
        Assert.Equal((long)TimeSpan.FromHours(72).TotalSeconds, handling.PausedSeconds);
        Assert.Equal((long)TimeSpan.FromHours(14 + 10 + 14 + 24 + 11).TotalSeconds, handling.BusinessSeconds);
        Assert.False(handling.OnTime);
        var clock = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}/clock");
        var finished = clock.GetProperty("finished").EnumerateArray().Single(p => p.Str("phase") == "handling");
        Assert.Equal(73, finished.GetProperty("businessHours").GetDouble());
        Assert.Equal(72, finished.GetProperty("pausedHours").GetDouble());
        Assert.Equal("check", clock.GetProperty("running").Str("phase"));
        Assert.Equal("working-hours", clock.GetProperty("running").Str("limitType"));
    }

    [Fact]
    public async Task InAppReminder_IsPushedLive_ToTheOpenPage_EvenWhenAnotherNodeSendsIt()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(11, 9, 9));
        app.Clock.Set(At(11, 9, 10, 36));
        var token = (await app.As("handler")).DefaultRequestHeaders.Authorization!.Parameter!;
        using var ws = await HubClient.ConnectAsync(app.Factory, token);
        // On PostgreSQL the second node's NOTIFY reaches this node's connection; SQLite runs one node.
        await using var other = app.NewFactory();
        await FollowThroughSteps.Sweep(app, app.Provider == "postgres" ? other : null);
        var number = (await Api.Get(await app.As("handler"), $"/api/v1/cases/{id}")).Str("number");
        var pushed = await HubClient.ReceiveAsync(ws, "notification", TimeSpan.FromSeconds(10), m => m.Str("body").Contains(number) && m.Str("body").StartsWith("【催办】"));
        Assert.StartsWith("【催办】", pushed.Str("body"));
    }

    [Fact]
    public async Task CaseStoredBeforeClocksWerePersisted_IsStartedByTheFirstSweep()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, At(11, 2, 9));
        using (var scope = app.Factory.Services.CreateScope())
        {
            // What migration 0003 leaves for an older case: no clock, and a check due now.
            var db = scope.ServiceProvider.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
            var now = app.Clock.GetUtcNow();
            await db.Cases.Where(c => c.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(c => c.ClockPhase, (CityLoop.Domain.Cases.CasePhase?)null).SetProperty(c => c.ClockDueAt, (DateTimeOffset?)null)
                .SetProperty(c => c.ClockWarnAt, (DateTimeOffset?)null).SetProperty(c => c.NextCheckAt, now));
        }
        Assert.Equal("none", await FollowThroughSteps.Light(app, id));
        await FollowThroughSteps.Sweep(app);
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal("green", c.Str("light"));
        Assert.Equal(At(11, 2, 11), c.GetProperty("deadlines").GetProperty("current").GetDateTimeOffset());
        Assert.Equal(At(11, 2, 10, 36), c.GetProperty("deadlines").GetProperty("warnAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Email_GoesOutThroughSmtp_ToStaffWithAnAddress()
    {
        await using var sink = new SmtpSink();
        await using var mailing = app.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Notifications:Email:Host", "127.0.0.1");
            b.UseSetting("Notifications:Email:Port", sink.Port.ToString());
        });
        var id = await FollowThroughSteps.DispatchedAt(app, At(9, 7, 9));
        var handler = await app.As("handler");
        (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { email = "handler@szglc.example.cn", phone = "13900000001" })).EnsureSuccessStatusCode();
        app.Clock.Set(At(9, 7, 10, 36));
        using (var scope = mailing.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync();

        handler = await app.As("handler");
        var number = (await Api.Get(handler, $"/api/v1/cases/{id}")).Str("number");
        var mail = Assert.Single(sink.Received, m => m.To.Contains("handler@szglc.example.cn") && m.Subject.Contains(number) && m.Subject.StartsWith("【催办】"));
        Assert.StartsWith("【催办】", mail.Subject);
        var outbox = await Api.Get(await app.As("supervisor"), $"/api/v1/notifications/outbox?caseId={id}");
        Assert.Contains(outbox.EnumerateArray(), m => m.Str("channel") == "email" && m.Str("status") == "sent");
        Assert.Contains(outbox.EnumerateArray(), m => m.Str("channel") == "sms" && m.Str("recipient") == "139****0001" && m.Str("status") == "recorded");
        (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { email = (string?)null, phone = (string?)null })).EnsureSuccessStatusCode();
    }
}

/// <summary>Steps shared by the follow-through tests.</summary>
static class FollowThroughSteps
{
    public static async Task<Guid> DispatchedAt(AppFixture app, DateTimeOffset at, object? report = null, string lead = "SZGLC", string standardItem = "C0101-01")
    {
        app.Clock.Set(at);
        var c = await Api.CreateCase(await app.As("agent"), report ?? Api.Report(phone: null));
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem });
        await Api.ActOk(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = lead });
        return c.Id();
    }

    public static async Task Closed(AppFixture app, Guid id)
    {
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        await Api.ActOk(await app.As("handler"), id, "finish", new { result = "已处理" });
        // The grid's inspector checks where the case lies in a grid; elsewhere intake calls the citizen back.
        await Api.ActOk(await app.As("intake"), id, "check-pass", new { opinion = "已核查：问题已处理" });
        await Api.ActOk(await app.As("leader"), id, "close", new { standardItem = "C0101-01" });
    }

    public static async Task<SweepResult> Sweep(AppFixture app, CityLoopFactory? node = null)
    {
        using var scope = (node ?? app.Factory).Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync();
    }

    /// <summary>The SMS to the case's citizen as stored (the API shows staff a masked number and no token).</summary>
    public static async Task<CityLoop.Server.Features.Notifications.OutboundMessage> StoredSms(AppFixture app, Guid caseId)
    {
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
        return Assert.Single(await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.Set<CityLoop.Server.Features.Notifications.OutboundMessage>().Where(m => m.CaseId == caseId && m.Channel == "sms" && m.UserId == null)));
    }

    public static async Task<string> Light(AppFixture app, Guid id) =>
        (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).Str("light");

    public static async Task<List<Guid>> ListIds(AppFixture app, string query) =>
        (await Api.Get(await app.As("supervisor"), $"/api/v1/cases?pageSize=200&{query}")).GetProperty("items").EnumerateArray().Select(e => e.Id()).ToList();
}

[Collection("sqlite")]
public sealed class ClockTests_Sqlite(SqliteApp app) : ClockTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ClockTests_Postgres(PostgresApp app) : ClockTests<PostgresApp>(app), IClassFixture<PostgresApp>;
