using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>Sign-in, lockout, the three administrators, API keys for machines, and the audit trail.</summary>
public abstract class IdentityTests<TApp>(TApp app) where TApp : AppFixture
{
    static object Login(string user, string password) => new { userName = user, password };

    [Fact]
    public async Task SignIn_FailedFiveTimes_LocksTheAccount_AndEveryAttemptIsAudited()
    {
        var admin = await app.As("admin");
        var name = "lock" + Guid.NewGuid().ToString("N")[..6];
        var created = await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = name, displayName = "测试", password = "Str0ng!Pass" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = app.Anonymous();
        for (var i = 0; i < 4; i++)
            await Api.Problem(await client.PostAsJsonAsync("/api/v1/auth/token", Login(name, "wrong")), HttpStatusCode.Unauthorized);
        await Api.Problem(await client.PostAsJsonAsync("/api/v1/auth/token", Login(name, "wrong")), (HttpStatusCode)423);
        await Api.Problem(await client.PostAsJsonAsync("/api/v1/auth/token", Login(name, "Str0ng!Pass")), (HttpStatusCode)423);
        var audit = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=sign-in&pageSize=500");
        Assert.True(audit.GetProperty("items").EnumerateArray().Count(a => a.GetProperty("actorName").GetString() == name && a.GetProperty("result").GetString() == "failure") >= 6);

        var user = (await Api.Get(admin, "/api/v1/admin/users")).EnumerateArray().Single(u => u.GetProperty("userName").GetString() == name);
        await Api.Problem(await admin.PostAsync($"/api/v1/admin/users/{user.Id()}/unlock", null), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("security")).PostAsync($"/api/v1/admin/users/{user.Id()}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/token", Login(name, "Str0ng!Pass"))).StatusCode);
    }

    [Fact]
    public async Task Administration_IsSplitThreeWays()
    {
        var admin = await app.As("admin");
        var security = await app.As("security");
        var auditor = await app.As("auditor");
        var name = "split" + Guid.NewGuid().ToString("N")[..6];

        var weak = await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "password" });
        await Api.Problem(weak, HttpStatusCode.UnprocessableEntity);
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Empty(created.GetProperty("roles").EnumerateArray());

        // The system administrator cannot grant roles; the security administrator can, but not to themselves.
        await Api.Problem(await admin.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "dispatcher" } }), HttpStatusCode.Forbidden);
        var granted = await security.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "department-handler" }, department = "HWC" });
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        var me = await Api.Get(security, "/api/v1/auth/me");
        await Api.Problem(await security.PutAsJsonAsync($"/api/v1/admin/users/{me.Id()}/roles", new { roles = new[] { "security-admin", "audit-admin" } }), HttpStatusCode.Forbidden);
        await Api.Problem(await security.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "security-admin", "dispatcher" } }), HttpStatusCode.UnprocessableEntity);

        // Only the auditor reads the trail; nobody can change it (there is no endpoint, and the database refuses).
        await Api.Problem(await admin.GetAsync("/api/v1/admin/audit"), HttpStatusCode.Forbidden);
        await Api.Problem(await security.GetAsync("/api/v1/admin/audit"), HttpStatusCode.Forbidden);
        var trail = await Api.Get(auditor, "/api/v1/admin/audit?action=permission-change&pageSize=500");
        Assert.Contains(trail.GetProperty("items").EnumerateArray(), a => a.GetProperty("target").GetString() == name);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await auditor.DeleteAsync("/api/v1/admin/audit")).StatusCode);

        // A role change takes effect at once, even on an existing token.
        var login = await (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Str0ng!Pass"))).Content.ReadFromJsonAsync<JsonElement>();
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("accessToken").GetString());
        // A new account changes its password before anything else.
        await Api.Problem(await client.GetAsync("/api/v1/cases"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cases")).StatusCode);
        await security.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = Array.Empty<string>() });
        await Api.Problem(await client.GetAsync("/api/v1/cases"), HttpStatusCode.Forbidden);
        await admin.PostAsync($"/api/v1/admin/users/{created.Id()}/disable", null);
        await Api.Problem(await client.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "N3w!Passw0rd"))).StatusCode);
    }

    [Fact]
    public async Task TheOrganisationAPersonWorksFor_IsKeptByTheSystemAdministrator_AndAudited()
    {
        var admin = await app.As("admin");
        var name = "org" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/users",
            new { userName = name, password = "Str0ng!Pass", organisation = "  采集乙公司  " })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("采集乙公司", created.GetProperty("organisation").GetString());

        // Only the system administrator keeps it; names are bounded and plain.
        await Api.Problem(await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/organisation", new { organisation = "采集丙公司" }), HttpStatusCode.Forbidden);
        var tooLong = await Api.Problem(await admin.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/organisation", new { organisation = new string('甲', 101) }), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("organisation", tooLong.GetRawText());
        await Api.Problem(await admin.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/organisation", new { organisation = "采集\u0007公司" }), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await admin.PutAsJsonAsync($"/api/v1/admin/users/{Guid.NewGuid()}/organisation", new { organisation = "采集丙公司" }), HttpStatusCode.NotFound);

        var moved = await admin.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/organisation", new { organisation = "采集丙公司" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var listed = (await Api.Get(admin, "/api/v1/admin/users?q=" + Uri.EscapeDataString("采集丙"))).EnumerateArray().Single(u => u.Str("userName") == name);
        Assert.Equal("采集丙公司", listed.Str("organisation"));
        var cleared = await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/organisation", new { organisation = " " })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("organisation").ValueKind);

        var trail = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=user-organisation&pageSize=500")).GetProperty("items").EnumerateArray()
            .Where(a => a.Str("target") == name).Select(a => a.Str("detail")).ToList();
        Assert.Equal(2, trail.Count);
        Assert.Contains(trail, d => d!.Contains("采集乙公司 → 采集丙公司"));
        Assert.Contains(trail, d => d!.Contains("采集丙公司 → -"));
    }

    [Fact]
    public async Task ApiKeys_ActAsTheirSystemPrincipal_WithOnlyTheirOwnActions()
    {
        var security = await app.As("security");
        var response = await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "camera-" + Guid.NewGuid().ToString("N")[..6], role = "camera-channel", scopes = new[] { "cases:create", "cases:read" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.Content.ReadFromJsonAsync<JsonElement>();
        var key = issued.GetProperty("key").GetString()!;
        var camera = app.Anonymous();
        camera.DefaultRequestHeaders.Add("X-Api-Key", key);

        var c = await Api.CreateCase(camera, new { source = "video", requestType = "report", description = "AI 识别：暴露垃圾", location = new { lat = 24.7, lon = 108.07 } });
        var events = await Api.Get(await app.As("agent"), $"/api/v1/cases/{c.Id()}/events");
        var create = events.EnumerateArray().First();
        Assert.True(create.GetProperty("actorIsSystem").GetBoolean());
        Assert.Equal("camera-channel", create.GetProperty("role").GetString());

        await Api.Problem(await Api.Act(camera, c.Id(), "file", new { standardItem = "x" }), HttpStatusCode.Forbidden);
        var mine = await Api.Get(camera, "/api/v1/cases?pageSize=200");
        Assert.All(mine.GetProperty("items").EnumerateArray(), i => Assert.Equal("video", i.GetProperty("source").GetString()));
        var other = await Api.CreateCase(await app.As("agent"));
        await Api.Problem(await camera.GetAsync($"/api/v1/cases/{other.Id()}"), HttpStatusCode.NotFound);

        var bad = app.Anonymous();
        bad.DefaultRequestHeaders.Add("X-Api-Key", key + "x");
        await Api.Problem(await bad.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
        await Api.Problem(await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "x1", role = "dispatcher" }), HttpStatusCode.UnprocessableEntity);

        // Listed without its secret; revoked, it is refused at once; revoking twice is a conflict.
        var id = issued.Str("id");
        var listed = (await Api.Get(security, "/api/v1/admin/api-keys")).EnumerateArray().Single(k => k.Str("id") == id);
        Assert.DoesNotContain(key.Split('.')[1], listed.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("admin")).PostAsync($"/api/v1/admin/api-keys/{id}/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await security.PostAsync($"/api/v1/admin/api-keys/{id}/revoke", null)).StatusCode);
        await Api.Problem(await camera.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
        await Api.Problem(await security.PostAsync($"/api/v1/admin/api-keys/{id}/revoke", null), HttpStatusCode.Conflict);
    }

    static async Task<HttpResponseMessage> PostForm(HttpClient client, string url, Dictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(url);
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        fields["__RequestVerificationToken"] = token;
        return await client.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task ANewAccount_ChangesItsPasswordAtFirstSignIn()
    {
        var name = "fresh" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await (await app.As("admin")).PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "First!Pass1" })).Content.ReadFromJsonAsync<JsonElement>();
        await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "dispatcher" } });
        var browser = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var login = await PostForm(browser, "/Account/Login", new() { ["UserName"] = name, ["Password"] = "First!Pass1" });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.StartsWith("/Account/Password", login.Headers.Location!.OriginalString);

        var mismatch = await PostForm(browser, login.Headers.Location.OriginalString, new() { ["CurrentPassword"] = "First!Pass1", ["NewPassword"] = "Second!Pass2", ["Confirm"] = "other" });
        Assert.Equal(HttpStatusCode.OK, mismatch.StatusCode);
        Assert.Contains("password-error", await mismatch.Content.ReadAsStringAsync());
        var weak = await PostForm(browser, login.Headers.Location.OriginalString, new() { ["CurrentPassword"] = "First!Pass1", ["NewPassword"] = "short", ["Confirm"] = "short" });
        Assert.Contains("password-error", await weak.Content.ReadAsStringAsync());
        var changed = await PostForm(browser, login.Headers.Location.OriginalString, new() { ["CurrentPassword"] = "First!Pass1", ["NewPassword"] = "Second!Pass2", ["Confirm"] = "Second!Pass2" });
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        // A dispatcher starts on the map desk (Nav.Home).
        Assert.Equal("/Dispatch", changed.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "First!Pass1"))).StatusCode);
        var token = await (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Second!Pass2"))).Content.ReadFromJsonAsync<JsonElement>();
        var api = app.Anonymous();
        api.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
        Assert.False((await Api.Get(api, "/api/v1/auth/me")).GetProperty("passwordExpired").GetBoolean());
    }

    [Fact]
    public async Task DisabledAccount_LosesAccessOnEveryNode_EvenWhereItWasJustUsed()
    {
        // Decision 003 with decision 029's user cache: a second node that has just served the account (and, on
        // PostgreSQL, keeps it in memory) refuses it as soon as the disable commits on the first node.
        var admin = await app.As("admin");
        var security = await app.As("security");
        var name = "node" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, (await security.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "dispatcher" } })).StatusCode);
        var login = await (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Str0ng!Pass"))).Content.ReadFromJsonAsync<JsonElement>();
        var token = login.GetProperty("accessToken").GetString();
        var first = app.Anonymous();
        first.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);

        await using var node = app.NewFactory();
        var second = node.CreateClient();
        second.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var cache = node.Services.GetRequiredService<Features.Identity.UserCache>();
        var id = created.Id();
        // On PostgreSQL the second node's listener comes up with it: wait until it keeps the user between requests.
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/cases")).StatusCode);
            if (app.Provider != "postgres" || cache.Get(id) is not null) break;
            await Task.Delay(25);
        }
        Assert.Equal(app.Provider == "postgres", cache.Get(id) is not null);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/v1/cases")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/users/{created.Id()}/disable", null)).StatusCode);
        // The node that saved the change refuses at once; the other as soon as the commit's NOTIFY reaches it.
        await Api.Problem(await first.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
        await Api.Soon(async () => (await second.GetAsync("/api/v1/cases")).StatusCode != HttpStatusCode.OK, () => "The second node still serves a disabled account.");
        // The node forgot the account; whatever it keeps now was read after the change.
        Assert.True(cache.Get(id) is null or { Disabled: true });
        await Api.Problem(await second.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherNodesStaffDirectory_TellsAHandlerWhoJustJoined_AndNoLongerOneJustDisabled()
    {
        // Decision 050: on PostgreSQL a node keeps every active account with its roles for the act-now notices, and
        // drops it when any account changes on any node.
        await using var node = app.NewFactory();
        var cache = node.Services.GetRequiredService<Features.Identity.UserCache>();
        var (agent, leader, dispatcher) = (await app.As("agent", node), await app.As("leader", node), await app.As("dispatcher", node));
        for (var i = 0; i < 200 && app.Provider == "postgres" && !cache.Live; i++) await Task.Delay(25);
        async Task<Guid> Dispatched()
        {
            var c = await Api.CreateCase(agent, Api.Report(phone: null));
            await Api.ActOk(leader, c.Id(), "file", new { standardItem = "C0101-01" });
            await Api.ActOk(dispatcher, c.Id(), "dispatch", new { leadDepartment = "SZGLC" });
            return c.Id();
        }
        async Task<int> MessagesTo(Guid user, Guid caseId)
        {
            using var scope = node.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<Data.CityLoopDb>();
            return await db.Set<Features.Notifications.OutboundMessage>().CountAsync(m => m.CaseId == caseId && m.UserId == user);
        }
        Task DirectoryDropped() => Api.Soon(() => Task.FromResult(cache.Staff() is null), () => "The node still holds the staff directory read before the change.");

        await Dispatched();
        Assert.Equal(app.Provider == "postgres", cache.Staff() is not null);

        // A handler joins the department on the first node: the other node's next dispatch tells them.
        var name = "hd" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await (await app.As("admin")).PostAsJsonAsync("/api/v1/admin/users",
            new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles",
            new { roles = new[] { "department-handler" }, department = "SZGLC" })).StatusCode);
        await DirectoryDropped();
        var second = await Dispatched();
        Assert.Equal(1, await MessagesTo(created.Id(), second));
        Assert.Equal(app.Provider == "postgres", cache.Staff()?.Any(m => m.User.Id == created.Id()) == true);

        // Disabled on the first node: the other node's next dispatch no longer tells them.
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("admin")).PostAsync($"/api/v1/admin/users/{created.Id()}/disable", null)).StatusCode);
        await DirectoryDropped();
        var third = await Dispatched();
        Assert.Equal(0, await MessagesTo(created.Id(), third));
        Assert.True(await MessagesTo(Guid.Parse((await Api.Get(await app.As("handler", node), "/api/v1/auth/me")).Str("id")), third) > 0);
    }

    [Fact]
    public async Task AnotherNodesStaffDirectory_TextsAHandlerAtTheNumberTheyHaveJustGiven()
    {
        // Decision 052, addendum: the staff directory carries each account's contact row, and a change of that row on
        // any node drops it on every node (migration 0044), as a change of the account does.
        await using var node = app.NewFactory();
        var other = app.Provider == "postgres" ? node : app.Factory;
        var cache = other.Services.GetRequiredService<Features.Identity.UserCache>();
        for (var i = 0; i < 200 && app.Provider == "postgres" && !cache.Live; i++) await Task.Delay(25);
        var (agent, leader, dispatcher) = (await app.As("agent", other), await app.As("leader", other), await app.As("dispatcher", other));
        var handler = await app.As("handler");
        var handlerId = Guid.Parse((await Api.Get(handler, "/api/v1/auth/me")).Str("id"));
        async Task<List<string>> TextsToTheHandler()
        {
            var c = await Api.CreateCase(agent, Api.Report(phone: null));
            await Api.ActOk(leader, c.Id(), "file", new { standardItem = "C0101-01" });
            await Api.ActOk(dispatcher, c.Id(), "dispatch", new { leadDepartment = "SZGLC" });
            using var scope = app.Factory.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<Data.CityLoopDb>().Set<Features.Notifications.OutboundMessage>()
                .Where(m => m.CaseId == c.Id() && m.UserId == handlerId && m.Channel == "sms").Select(m => m.Recipient).ToListAsync();
        }
        Task TextedAt(string phone)
        {
            List<string> texts = [];
            return Api.Soon(async () => (texts = await TextsToTheHandler()).Contains(phone),
                () => $"The other node texts the handler at {string.Join(", ", texts)}, not {phone}.");
        }
        try
        {
            Assert.Equal(HttpStatusCode.NoContent, (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = "13900000051" })).StatusCode);
            await TextedAt("13900000051");
            Assert.Equal(app.Provider == "postgres", cache.Staff()?.Single(m => m.User.Id == handlerId).Contact?.Phone == "13900000051");
            // A new number given on the first node: the other node's next dispatch texts it there.
            Assert.Equal(HttpStatusCode.NoContent, (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = "13900000052" })).StatusCode);
            await TextedAt("13900000052");
        }
        finally
        {
            (await handler.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = (string?)null })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task Administrators_DoNotReadCases()
    {
        await Api.Problem(await (await app.As("admin")).GetAsync("/api/v1/cases"), HttpStatusCode.Forbidden);
        await Api.Problem(await (await app.As("auditor")).GetAsync("/api/v1/cases"), HttpStatusCode.Forbidden);
    }
}

[Collection("sqlite")]
public sealed class IdentityTests_Sqlite(SqliteApp app) : IdentityTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class IdentityTests_Postgres(PostgresApp app) : IdentityTests<PostgresApp>(app), IClassFixture<PostgresApp>;
