using System.Text.RegularExpressions;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Desks;

/// <summary>The notifications page: grouped by case, 25 groups a page, ten messages shown per group, not hundreds on one page.</summary>
public abstract class NotificationInboxTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task ManyMessages_AreGroupedAndPaged_NotAllOnOnePage()
    {
        // Thirty cases' worth of messages, a dozen about one of them, long ago (the API's newest 200 stay as they were).
        var busy = Guid.CreateVersion7();
        var cases = Enumerable.Range(0, 30).Select(_ => Guid.CreateVersion7()).Prepend(busy).ToList();
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.UserName == "supervisor");
            var at = new DateTimeOffset(2020, 1, 1, 9, 0, 0, TimeSpan.Zero);
            foreach (var (caseId, i) in cases.Select((c, i) => (c, i)))
                for (var n = 0; n < (caseId == busy ? 12 : 1); n++)
                    db.Set<Notification>().Add(new Notification
                    {
                        UserId = user.Id, CaseId = caseId, Title = "【催办】", Body = $"【催办】inbox-paging {i}-{n}", CreatedAt = at.AddMinutes(i * 20 + n),
                    });
            await db.SaveChangesAsync();
        }
        var supervisor = await app.As("supervisor");
        var first = await supervisor.GetStringAsync("/Notifications?culture=en&ui-culture=en");
        Assert.Equal(IndexModelGroups, Regex.Matches(first, "<details class=\"panel note-group").Count);
        var pages = Regex.Matches(first, @"href=""\?by=case&amp;p=(\d+)""").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Contains(2, pages);

        // The busy case's group is on one of the pages: ten of its twelve messages shown, the rest counted.
        string? group = null;
        foreach (var p in pages.Distinct())
        {
            var html = await supervisor.GetStringAsync($"/Notifications?p={p}&culture=en&ui-culture=en");
            var at = html.IndexOf($"data-group=\"{busy}\"", StringComparison.Ordinal);
            if (at < 0) continue;
            group = html[at..html.IndexOf("</details>", at, StringComparison.Ordinal)];
            break;
        }
        Assert.NotNull(group);
        Assert.Equal(10, Regex.Matches(group, "<tr class=\"unread\"").Count);
        Assert.Contains(">12<", group);
        Assert.Contains("2 older messages not shown.", group);
    }

    const int IndexModelGroups = CityLoop.Server.Features.Notifications.IndexModel.GroupsPerPage;
}

[Collection("sqlite")]
public sealed class NotificationInboxTests_Sqlite(SqliteApp app) : NotificationInboxTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class NotificationInboxTests_Postgres(PostgresApp app) : NotificationInboxTests<PostgresApp>(app), IClassFixture<PostgresApp>;
