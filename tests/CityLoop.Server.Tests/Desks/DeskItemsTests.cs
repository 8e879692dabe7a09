using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests.Desks;

/// <summary>
/// Issue 9's remaining desk items on both databases (decision record 028): the places gazetteer administered by the
/// system administrator and found by the address search, the follow-up list's overdue marks, and the intake queue's
/// merge candidates.
/// </summary>
public abstract class DeskItemsTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task Places_AreAddedSearchedEditedImportedAndDeleted_ByTheSystemAdministratorOnly()
    {
        var admin = await app.As("admin");
        var name = "金城江区人民医院" + Guid.NewGuid().ToString("N")[..4];
        var created = await admin.PostAsJsonAsync("/api/v1/admin/places", new { name, lat = 24.6905, lon = 108.0602, aliases = new[] { "区医院" + name[^4..] } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).Id();

        // The list finds it by a word of its name or of an alias; the address search of every desk finds it by its alias.
        var page = await Api.Get(admin, "/api/v1/admin/places?q=" + Uri.EscapeDataString("区医院" + name[^4..]));
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        var listed = page.GetProperty("items")[0];
        Assert.Equal(name, listed.Str("name"));
        // The point is placed in the community the geocoder gives for it.
        var geo = await Api.Get(admin, "/api/v1/geocode?lat=24.6905&lon=108.0602");
        Assert.Equal(geo.GetProperty("outsideGrid").GetBoolean() ? "" : geo.GetProperty("grid").Str("communityCode"), listed.Str("communityCode"));
        var found = await Api.Get(await app.As("agent"), "/api/v1/places/search?top=3&q=" + Uri.EscapeDataString("区医院" + name[^4..]));
        Assert.Contains(found.EnumerateArray(), c => c.Str("name") == name);

        // Edit: a new name and point; a bad point is a 422 naming the field; nobody else edits.
        var renamed = name + "门诊楼";
        var put = await admin.PutAsJsonAsync($"/api/v1/admin/places/{id}", new { name = renamed, lat = 24.6910, lon = 108.0610, aliases = new[] { "门诊楼" } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var bad = await Api.Problem(await admin.PutAsJsonAsync($"/api/v1/admin/places/{id}", new { name = renamed, lat = 124.0, lon = 108.0 }), HttpStatusCode.UnprocessableEntity);
        Assert.True(bad.GetProperty("errors").TryGetProperty("location", out _));
        await Api.Problem(await (await app.As("dispatcher")).PutAsJsonAsync($"/api/v1/admin/places/{id}", new { name = "x", lat = 24.69, lon = 108.06 }), HttpStatusCode.Forbidden);
        await Api.Problem(await (await app.As("security")).GetAsync("/api/v1/admin/places"), HttpStatusCode.Forbidden);
        Assert.Equal(renamed, (await Api.Get(admin, $"/api/v1/admin/places?q={Uri.EscapeDataString(renamed)}")).GetProperty("items")[0].Str("name"));

        // Import: new rows are added, a known name is updated, bad rows are reported by row and field and skipped.
        var market = "河池大道农贸市场" + name[^4..];
        var csv = $"name,aliases,lat,lon\n{market},菜市场{name[^4..]};农贸市场,24.6921,108.0588\n{renamed},,24.6912,108.0612\n,无名,24.69,108.06\n坏坐标{name[^4..]},,abc,108.06\n";
        var import = await admin.PostAsync("/api/v1/admin/places/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        var report = await import.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, report.GetProperty("inserted").GetInt32());
        Assert.Equal(1, report.GetProperty("updated").GetInt32());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("row").GetInt32(), e.Str("field"))).ToList();
        Assert.Equal(new List<(int, string)> { (4, "name"), (5, "location") }, errors);
        Assert.Contains((await Api.Get(await app.As("intake"), "/api/v1/places/search?top=3&q=" + Uri.EscapeDataString("菜市场" + name[^4..]))).EnumerateArray(),
            c => c.Str("name") == market);
        var wrongHeader = await (await admin.PostAsync("/api/v1/admin/places/import", new StringContent("名称,别名\nx,y\n", Encoding.UTF8, "text/csv")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("header", wrongHeader.GetProperty("errors")[0].Str("field"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/admin/places/{id}")).StatusCode);
        Assert.Equal(0, (await Api.Get(admin, $"/api/v1/admin/places?q={Uri.EscapeDataString(renamed)}")).GetProperty("total").GetInt32());
        await Api.Problem(await admin.DeleteAsync($"/api/v1/admin/places/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task FollowUpList_MarksTheTasksPastTheirLimit_AndNotTheOthers()
    {
        var late = await FollowThroughSteps.DispatchedAt(app, app.Clock.GetUtcNow().AddMinutes(5), Api.Report("新建路井盖缺失（回访超期）"));
        await FollowThroughSteps.Closed(app, late);
        app.Clock.Advance(TimeSpan.FromDays(12));
        var fresh = await FollowThroughSteps.DispatchedAt(app, app.Clock.GetUtcNow().AddMinutes(5), Api.Report("新建路井盖缺失（回访未超期）"));
        await FollowThroughSteps.Closed(app, fresh);
        var agent = await app.As("agent");
        var lateNumber = (await Api.Get(agent, $"/api/v1/cases/{late}")).Str("number");
        var freshNumber = (await Api.Get(agent, $"/api/v1/cases/{fresh}")).Str("number");

        var html = await agent.GetStringAsync("/FollowUps");
        string Row(string number)
        {
            var at = html.IndexOf($"data-case=\"{number}\"", StringComparison.Ordinal);
            Assert.True(at > 0, $"{number} is on the follow-up list");
            var start = html.LastIndexOf("<tr", at, StringComparison.Ordinal);
            return html[start..html.IndexOf("</tr>", at, StringComparison.Ordinal)];
        }
        Assert.Contains("class=\"overdue\"", Row(lateNumber));
        Assert.Contains("overdue-mark", Row(lateNumber));
        Assert.DoesNotContain("overdue", Row(freshNumber));
        Assert.Contains("id=\"overdue-count\"", html);
    }

    [Fact]
    public async Task IntakeQueue_OffersAnEarlierOpenCaseOfTheSameProblem_ForMerging()
    {
        var agent = await app.As("agent");
        var first = await Api.CreateCase(agent, Api.Report("体育路雨水井盖缺失，晚上很危险"));
        await Api.ActOk(await app.As("leader"), first.Id(), "file", new { standardItem = "C0101-01" });
        var second = await Api.CreateCase(agent, Api.Report("体育路雨水井盖缺失，请尽快处理", phone: "13912340000"));
        var firstNumber = first.Str("number");

        var intake = await app.As("intake");
        var html = await intake.GetStringAsync($"/Queue?case={second.Id()}");
        Assert.Contains($"id=\"merge-into-{firstNumber}\"", html);
        Assert.Contains("name=\"op\" value=\"merge\"", html);
        // The suggestion merges the new report into the earlier case, not the other way round.
        Assert.DoesNotContain($"merge-into-{second.Str("number")}", await intake.GetStringAsync($"/Queue?case={first.Id()}"));

        var merged = await Api.ActOk(intake, second.Id(), "merge", new { targetCase = firstNumber, opinion = "同一问题，并入处理" });
        Assert.Equal("merged", merged.Str("state"));
        // A dispatcher's desk offers no merge: the transition table gives it to intake and the shift leader only.
        Assert.DoesNotContain("merge-into-", await (await app.As("dispatcher")).GetStringAsync($"/Dispatch?case={first.Id()}"));
    }
}

[Collection("sqlite")]
public sealed class DeskItemsTests_Sqlite(SqliteApp app) : DeskItemsTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class DeskItemsTests_Postgres(PostgresApp app) : DeskItemsTests<PostgresApp>(app), IClassFixture<PostgresApp>;
