using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Reference;

/// <summary>
/// Decision 052: a node keeps the reference tables in memory, and on PostgreSQL it hears every change another node
/// commits to them at once (migration 0043's triggers), where it used to go on with its copy for up to five minutes.
/// SQLite is one node: there the change is made and read on the same node, which drops its copy as it saves.
/// </summary>
public abstract class ReferenceChangeTests<TApp>(TApp app) where TApp : AppFixture
{
    /// <summary>
    /// After a change is heard, the requests in flight that need the part wait for one read of it, where each used to
    /// read every grid, place and component of the city at the same moment (on PostgreSQL every node at every change).
    /// </summary>
    [Fact]
    public async Task AfterAChange_CallersAtOnce_ShareOneReadOfThePart()
    {
        var cache = app.Factory.Services.GetRequiredService<ReferenceCache>();
        _ = cache.Geo;
        cache.Invalidate(ReferencePart.Geo);
        var before = cache.Loads(ReferencePart.Geo);
        using var go = new ManualResetEventSlim();
        // Threads of their own, all waiting to ask at the same instant (the pool would start a few and queue the rest).
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() => { go.Wait(); return cache.Geo; }, TaskCreationOptions.LongRunning)).ToArray();
        go.Set();
        var snapshots = await Task.WhenAll(callers);
        Assert.Equal(1, cache.Loads(ReferencePart.Geo) - before);
        Assert.All(snapshots, s => Assert.Same(snapshots[0], s));
        Assert.Same(snapshots[0], cache.Geo);
    }

    [Fact]
    public async Task AnotherNode_HearsAPlaceADepartmentAndItsName_TheMomentTheChangeCommits()
    {
        await using var node = app.NewFactory();
        var other = app.Provider == "postgres" ? node : app.Factory;
        var cache = other.Services.GetRequiredService<ReferenceCache>();
        for (var i = 0; i < 200 && app.Provider == "postgres" && !cache.Live; i++) await Task.Delay(25);
        Assert.Equal(app.Provider == "postgres", cache.Live);
        var admin = await app.As("admin");
        var agent = await app.As("agent", other);
        var suffix = Guid.NewGuid().ToString("N")[..6];

        // A place added on the first node: the other node's address search finds it at once, though it had just
        // built its gazetteer without it.
        var place = "变更测试广场" + suffix;
        async Task<bool> Found() => (await Api.Get(agent, "/api/v1/places/search?top=3&q=" + Uri.EscapeDataString(place))).EnumerateArray().Any(c => c.Str("name") == place);
        Assert.False(await Found());
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/places", new { name = place, lat = 24.6905, lon = 108.0602 })).StatusCode);
        await Api.Soon(Found, () => "The other node's address search does not find the place just added.");

        // A department added on the first node takes a dispatch on the other at once; renamed, the other node's notices
        // name it by its new name; taken out of use, the other node refuses it.
        var code = "CHG" + suffix.ToUpperInvariant();
        var dispatcher = await app.As("dispatcher", other);
        var leader = await app.As("leader", other);
        async Task<HttpResponseMessage> Dispatch()
        {
            var id = (await Api.CreateCase(agent, Api.Report(phone: null))).Id();
            await Api.ActOk(leader, id, "file", new { standardItem = "C0101-01" });
            return await Api.Act(dispatcher, id, "dispatch", new { leadDepartment = code });
        }
        await Api.Problem(await Dispatch(), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/departments", new { code, name = "变更测试所" + suffix, kind = "bureau" })).StatusCode);
        var last = "";
        await Api.Soon(async () =>
        {
            using var response = await Dispatch();
            last = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode;
        }, () => "The other node refuses a dispatch to the department just added: " + last);
        // A handler of the new department, whom a dispatch tells in words that name the department.
        var user = await (await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = "chg" + suffix, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{user.Id()}/roles",
            new { roles = new[] { "department-handler" }, department = code })).StatusCode);

        var renamed = "改名测试所" + suffix;
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/departments/{code}", new { name = renamed, kind = "bureau" })).StatusCode);
        await Api.Soon(async () =>
        {
            using var response = await Dispatch();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).Id();
            using var scope = app.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            last = string.Join(" | ", await db.Set<Notification>().Where(n => n.UserId == user.Id() && n.CaseId == id).Select(n => n.Body).ToListAsync());
            return last.Contains(renamed, StringComparison.Ordinal);
        }, () => "The other node's notice to the department's handler still names it by its old name: " + last);

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/departments/{code}", new { name = renamed, kind = "bureau", disabled = true })).StatusCode);
        await Api.Soon(async () => (await Dispatch()).StatusCode == HttpStatusCode.UnprocessableEntity, () => "The other node still dispatches to a department taken out of use.");
    }
}

[Collection("sqlite")]
public sealed class ReferenceChangeTests_Sqlite(SqliteApp app) : ReferenceChangeTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ReferenceChangeTests_Postgres(PostgresApp app) : ReferenceChangeTests<PostgresApp>(app), IClassFixture<PostgresApp>;
