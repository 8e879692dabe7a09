using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>TOTP for staff: administrators sign in with a code (API and page); a role that needs it has no access until enrolled.</summary>
public abstract class TwoFactorTests<TApp>(TApp app) where TApp : AppFixture
{
    string Now(string secret = TwoFactor.DemoSecret) => TwoFactor.Code(secret, app.Clock.GetUtcNow());

    [Fact]
    public async Task Administrators_NeedTheCode_ForAToken()
    {
        var anonymous = app.Anonymous();
        var missing = await Api.Problem(await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { userName = "security", password = DemoSeeder.DemoPassword }), HttpStatusCode.Unauthorized);
        Assert.Equal("https://cityloop.dev/problems/otp-required", missing.GetProperty("type").GetString());
        var wrong = ((int.Parse(Now()) + 1) % 1_000_000).ToString("000000");
        await Api.Problem(await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { userName = "security", password = DemoSeeder.DemoPassword, otp = wrong }), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { userName = "security", password = DemoSeeder.DemoPassword, otp = Now() })).StatusCode);
        // A password alone is not enough even when it is right.
        await Api.Problem(await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { userName = "security", password = "Wrong!Pass1", otp = Now() }), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ARoleThatNeedsASecondFactor_HasNoAccess_UntilOneIsEnrolled()
    {
        var name = "tf" + Guid.NewGuid().ToString("N")[..8];
        var created = await (await (await app.As("admin")).PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, (await (await app.As("security")).PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "audit-admin" } })).StatusCode);
        var client = app.Anonymous();
        var token = await (await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);

        var refused = await Api.Problem(await client.GetAsync("/api/v1/admin/audit"), HttpStatusCode.Forbidden);
        Assert.Equal("https://cityloop.dev/problems/second-factor-required", refused.GetProperty("type").GetString());
        var enrolment = await (await client.PostAsync("/api/v1/auth/totp/enrol", null)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/CityLoop:" + name, enrolment.GetProperty("otpauthUri").GetString());
        await Api.Problem(await client.PostAsJsonAsync("/api/v1/auth/totp/confirm", new { code = "000000" == Now(secret) ? "111111" : "000000" }), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/totp/confirm", new { code = Now(secret) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/admin/audit")).StatusCode);

        await Api.Problem(await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "N3w!Passw0rd" }), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "N3w!Passw0rd", otp = Now(secret) })).StatusCode);
    }

    [Fact]
    public async Task ACode_IsAcceptedOnce_EvenByTwoSignInsAtTheSameMoment()
    {
        await using var node = app.NewFactory(new Dictionary<string, string> { ["Security:TotpReplayGuard"] = "true" });
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var code = Now();
        async Task<HttpStatusCode> SignIn(string otp) =>
            (await node.CreateClient().PostAsJsonAsync("/api/v1/auth/token", new { userName = "auditor", password = DemoSeeder.DemoPassword, otp })).StatusCode;
        var both = await Task.WhenAll(SignIn(code), SignIn(code));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized], both.OrderBy(s => (int)s));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignIn(code));
        // The next step's code is good once, and the one before it is not good again.
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await SignIn(Now()));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignIn(code));
    }

    [Fact]
    public async Task SecurityAdministrator_ResetsALostSecondFactor_AndTheAccountMustEnrolAgain()
    {
        var name = "tr" + Guid.NewGuid().ToString("N")[..8];
        var created = await (await (await app.As("admin")).PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        var security = await app.As("security");
        Assert.Equal(HttpStatusCode.OK, (await security.PutAsJsonAsync($"/api/v1/admin/users/{created.Id()}/roles", new { roles = new[] { "audit-admin" } })).StatusCode);
        var client = app.Anonymous();
        var token = await (await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);
        var secret = (await (await client.PostAsync("/api/v1/auth/totp/enrol", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/api/v1/auth/totp/confirm", new { code = Now(secret) })).StatusCode);

        // Only a security administrator resets it, and never their own.
        Assert.Equal(HttpStatusCode.Forbidden, (await (await app.As("admin")).PostAsJsonAsync($"/api/v1/admin/users/{created.Id()}/second-factor/reset", new { reason = "x" })).StatusCode);
        var me = await Api.Get(security, "/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.Forbidden, (await security.PostAsJsonAsync($"/api/v1/admin/users/{me.Str("id")}/second-factor/reset", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await security.PostAsJsonAsync($"/api/v1/admin/users/{created.Id()}/second-factor/reset", new { reason = "手机丢失，本人到场核验" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await security.PostAsJsonAsync($"/api/v1/admin/users/{created.Id()}/second-factor/reset", new { reason = "again" })).StatusCode);
        var audit = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=second-factor-reset");
        Assert.Contains(name, audit.ToString());

        // The old code no longer matters; the account signs in with its password and must enrol before anything else.
        var again = app.Anonymous();
        var fresh = await (await again.PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "N3w!Passw0rd" })).Content.ReadFromJsonAsync<JsonElement>();
        again.DefaultRequestHeaders.Authorization = new("Bearer", fresh.GetProperty("accessToken").GetString());
        var refused = await Api.Problem(await again.GetAsync("/api/v1/admin/audit"), HttpStatusCode.Forbidden);
        Assert.Equal("https://cityloop.dev/problems/second-factor-required", refused.GetProperty("type").GetString());
    }

    [Fact]
    public async Task SignInPage_AsksForTheCode_AfterThePassword()
    {
        var browser = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        static string Field(string page, string name) =>
            System.Text.RegularExpressions.Regex.Match(page, $"name=\"{name}\"[^>]*value=\"([^\"]*)\"|value=\"([^\"]*)\"[^>]*name=\"{name}\"") is { Success: true } m
                ? System.Net.WebUtility.HtmlDecode(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) : "";
        var login = await browser.GetStringAsync("/Account/Login");
        var step1 = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = "auditor", ["Password"] = DemoSeeder.DemoPassword, ["__RequestVerificationToken"] = Field(login, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.OK, step1.StatusCode);
        var page = await step1.Content.ReadAsStringAsync();
        Assert.Contains("id=\"Code\"", page);
        Assert.DoesNotContain(DemoSeeder.DemoPassword, page);
        var step2 = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Pending"] = Field(page, "Pending"), ["Code"] = Now(), ["__RequestVerificationToken"] = Field(page, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, step2.StatusCode);
        // Each person goes straight to their own landing page: the auditor to the audit trail.
        Assert.Equal("/admin/audit", step2.Headers.Location!.OriginalString);
    }
}

[Collection("sqlite")]
public sealed class TwoFactorTests_Sqlite(SqliteApp app) : TwoFactorTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class TwoFactorTests_Postgres(PostgresApp app) : TwoFactorTests<PostgresApp>(app), IClassFixture<PostgresApp>;
