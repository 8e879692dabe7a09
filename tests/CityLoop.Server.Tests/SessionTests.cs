using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>Sign-in under attack: parallel failures, rate limits, forced password change, refresh tokens, API-key scopes.</summary>
public abstract class SessionTests<TApp>(TApp app) where TApp : AppFixture
{
    static object Login(string user, string password) => new { userName = user, password };

    async Task<string> NewUser(string password = "Str0ng!Pass", string[]? roles = null, bool changePassword = true)
    {
        var name = "s" + Guid.NewGuid().ToString("N")[..10];
        var created = await (await (await app.As("admin")).PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password })).Content.ReadFromJsonAsync<JsonElement>();
        if (roles is not null)
            Assert.Equal(HttpStatusCode.OK, (await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles })).StatusCode);
        if (changePassword)
        {
            var client = await Bearer(name, password);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = password, newPassword = password + "x" })).StatusCode);
        }
        return name;
    }

    async Task<JsonElement> Token(string name, string password)
    {
        var response = await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, password));
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<HttpClient> Bearer(string name, string password)
    {
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new("Bearer", (await Token(name, password)).GetProperty("accessToken").GetString());
        return client;
    }

    [Fact]
    public async Task HundredParallelWrongPasswords_LockTheAccount()
    {
        var name = await NewUser();
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Wrong!Pass1"))));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Unauthorized or (HttpStatusCode)423, $"{(int)r.StatusCode}"));
        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Str0ng!Passx")), (HttpStatusCode)423);
    }

    [Fact]
    public async Task TheFifthFailure_Locks()
    {
        var name = await NewUser();
        for (var i = 0; i < 4; i++) await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Wrong!Pass1")), HttpStatusCode.Unauthorized);
        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", Login(name, "Wrong!Pass1")), (HttpStatusCode)423);
    }

    [Fact]
    public async Task ForcedPasswordChange_GivesNoAccess_UntilTheNewPasswordIsSet()
    {
        var name = await NewUser(roles: ["dispatcher"], changePassword: false);
        var client = await Bearer(name, "Str0ng!Pass");
        var refused = await Api.Problem(await client.GetAsync("/api/v1/cases"), HttpStatusCode.Forbidden);
        Assert.Equal("https://cityloop.dev/problems/password-change-required", refused.GetProperty("type").GetString());
        Assert.True((await Api.Get(client, "/api/v1/auth/me")).GetProperty("passwordExpired").GetBoolean());

        // The desk pages are not reachable by typing their address either.
        var browser = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        browser.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        var page = await browser.GetAsync("/Cases");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/Account/Password", page.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cases")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/Cases")).StatusCode);
    }

    [Fact]
    public async Task RefreshToken_GivesANewAccessToken_UntilTheAccountIsDisabled()
    {
        var name = await NewUser(roles: ["dispatcher"]);
        var token = await Token(name, "Str0ng!Passx");
        var refreshed = await app.Anonymous().PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var access = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new("Bearer", access);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/cases")).StatusCode);

        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = "garbage" }), HttpStatusCode.Unauthorized);
        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token.GetProperty("accessToken").GetString() }), HttpStatusCode.Unauthorized);
        var users = await Api.Get(await app.As("admin"), "/api/v1/admin/users");
        var id = users.EnumerateArray().Single(u => u.GetProperty("userName").GetString() == name).Id();
        await (await app.As("admin")).PostAsync($"/api/v1/admin/users/{id}/disable", null);
        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token.GetProperty("refreshToken").GetString() }), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ApiKeyScopes_AreEnforcedOnEveryEndpoint()
    {
        var security = await app.As("security");
        var created = await (await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "portal-" + Guid.NewGuid().ToString("N")[..6], role = "portal-channel", scopes = new[] { "cases:create" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var portal = app.Anonymous();
        portal.DefaultRequestHeaders.Add("X-Api-Key", created.GetProperty("key").GetString());
        var c = await Api.CreateCase(portal, new { source = "website", requestType = "complaint", description = "路灯不亮", address = "金城江区" });
        foreach (var url in new[] { $"/api/v1/cases/{c.Id()}", $"/api/v1/cases/{c.Id()}/events", $"/api/v1/cases/{c.Id()}/actions", $"/api/v1/cases/{c.Id()}/clock",
                     "/api/v1/cases/export", "/api/v1/cases", "/api/v1/categories", "/api/v1/notifications", "/api/v1/supervision-orders", "/api/v1/follow-ups" })
            await Api.Problem(await portal.GetAsync(url), HttpStatusCode.Forbidden);
        await Api.Problem(await portal.PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null), HttpStatusCode.Forbidden);

        var reader = await (await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "peer-" + Guid.NewGuid().ToString("N")[..6], role = "portal-channel", scopes = new[] { "cases:create", "cases:read", "reference:read" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var peer = app.Anonymous();
        peer.DefaultRequestHeaders.Add("X-Api-Key", reader.GetProperty("key").GetString());
        var own = await Api.CreateCase(peer, new { source = "website", requestType = "complaint", description = "路灯不亮", address = "金城江区" });
        Assert.Equal(HttpStatusCode.OK, (await peer.GetAsync($"/api/v1/cases/{own.Id()}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await peer.GetAsync($"/api/v1/cases/{own.Id()}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await peer.GetAsync("/api/v1/categories")).StatusCode);
        await Api.Problem(await peer.GetAsync("/api/v1/cases/export"), HttpStatusCode.Forbidden);
        await Api.Problem(await Api.Act(peer, own.Id(), "cancel", new { reason = "x" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task IntakeLimit_IsPerPrincipal_AndAnonymousGets401()
    {
        await using var limited = app.NewFactory(new Dictionary<string, string> { ["RateLimits:IntakePerMinute"] = "3" });
        var agent = await app.As("agent", limited);
        var intake = await app.As("intake", limited);
        for (var i = 0; i < 3; i++) await Api.CreateCase(agent);
        await Api.Problem(await agent.PostAsJsonAsync("/api/v1/cases", Api.Report()), HttpStatusCode.TooManyRequests);
        // Same address, another person: their own budget.
        await Api.CreateCase(intake);
        var anonymous = limited.CreateClient();
        for (var i = 0; i < 5; i++) await Api.Problem(await anonymous.PostAsJsonAsync("/api/v1/cases", Api.Report()), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SignInPage_IsRateLimited()
    {
        await using var limited = app.NewFactory(new Dictionary<string, string> { ["RateLimits:SignInPerMinute"] = "2" });
        var browser = limited.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var page = await browser.GetStringAsync("/Account/Login");
            var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
            var post = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["UserName"] = "nobody", ["Password"] = "Wrong!Pass1", ["__RequestVerificationToken"] = token,
            }));
            statuses.Add(post.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }
}

[Collection("sqlite")]
public sealed class SessionTests_Sqlite(SqliteApp app) : SessionTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class SessionTests_Postgres(PostgresApp app) : SessionTests<PostgresApp>(app), IClassFixture<PostgresApp>;
