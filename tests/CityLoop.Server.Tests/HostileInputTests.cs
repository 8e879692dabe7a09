using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests;

/// <summary>
/// Malformed and hostile input is a problem answer (4xx), never a 500, and nothing is stored that cannot be read back.
/// Each test is one reproducer of issue 11.
/// </summary>
public abstract class HostileInputTests<TApp>(TApp app) where TApp : AppFixture
{
    static async Task AssertRefused(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{what}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 400)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    async Task AllCasesReadBack()
    {
        var reader = await app.As("supervisor");
        for (var page = 1; ; page++)
        {
            var list = await reader.GetAsync($"/api/v1/cases?pageSize=200&page={page}");
            Assert.True(list.IsSuccessStatusCode, $"list page {page}: {(int)list.StatusCode} {await list.Content.ReadAsStringAsync()}");
            var items = (await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
            foreach (var c in items)
            {
                var one = await reader.GetAsync($"/api/v1/cases/{c.Id()}");
                Assert.True(one.IsSuccessStatusCode, $"case {c.Id()}: {(int)one.StatusCode}");
            }
            if (items.Count < 200) break;
        }
    }

    [Fact]
    public async Task NulCharacter_InATextFieldOrAFilter_IsRefusedWithAProblem()
    {
        var agent = await app.As("agent");
        await AssertRefused(await agent.PostAsync("/api/v1/cases", Json("""{"source":"hotline","requestType":"complaint","description":"井盖\u0000缺失","address":"金城江区"}""")), "NUL in description");
        await AssertRefused(await agent.PostAsync("/api/v1/cases", Json("""{"source":"hotline","requestType":"complaint","description":"井盖","address":"金城江区","reporter":{"name":"张\u0000"}}""")), "NUL in reporter name");
        await AssertRefused(await agent.GetAsync("/api/v1/cases?q=%00"), "NUL in q");
        await AssertRefused(await agent.GetAsync("/api/v1/cases?category=C01%00"), "NUL in category filter");
        await AssertRefused(await agent.GetAsync("/api/v1/places/search?q=a%00b"), "NUL in place search");
        var c = await Api.CreateCase(agent);
        await AssertRefused(await agent.PostAsync($"/api/v1/cases/{c.Id()}/actions/cancel", Json("""{"reason":"重复\u0000"}""")), "NUL in reason");
        await AssertRefused(await agent.PutAsync("/api/v1/notifications/contact", Json("""{"phone":"138\u0000"}""")), "NUL in contact");
        await AllCasesReadBack();
    }

    [Fact]
    public async Task NonFiniteOrOutOfRangeCoordinates_AreRefused_AndEveryCaseStillReadsBack()
    {
        var agent = await app.As("agent");
        foreach (var (lat, lon) in new[] { ("\"NaN\"", "108.06"), ("\"Infinity\"", "108.06"), ("24.69", "\"-Infinity\""), ("91", "108.06"), ("24.69", "181"), ("1e309", "108.06") })
        {
            var body = """{"source":"hotline","requestType":"complaint","description":"井盖缺失","location":{"lat":""" + lat + ""","lon":""" + lon + "}}";
            await AssertRefused(await agent.PostAsync("/api/v1/cases", Json(body)), $"lat {lat} lon {lon}");
        }
        await AllCasesReadBack();
    }

    [Fact]
    public async Task Geocode_Grids_AndPlaceSearch_WithHostileNumbersOrCharacters_AreRefused()
    {
        var agent = await app.As("agent");
        await AssertRefused(await agent.GetAsync("/api/v1/geocode?lat=NaN&lon=108.06"), "geocode NaN");
        await AssertRefused(await agent.GetAsync("/api/v1/geocode?lat=Infinity&lon=108.06"), "geocode Infinity");
        await AssertRefused(await agent.GetAsync("/api/v1/geocode?lat=24.69&lon=400"), "geocode out of range");
        await AssertRefused(await agent.GetAsync("/api/v1/grids?bbox=NaN,NaN,NaN,NaN"), "grids NaN");
        await AssertRefused(await agent.GetAsync("/api/v1/grids?bbox=-Infinity,0,Infinity,1"), "grids Infinity");
        await AssertRefused(await agent.GetAsync("/api/v1/places/search?q=%EF%BF%BF%EF%BF%BE"), "noncharacters");
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/api/v1/geocode?lat=24.69&lon=108.06")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/api/v1/places/search?q=金城")).StatusCode);
    }

    [Fact]
    public async Task AssistingDepartments_WithANullItem_IsRefused()
    {
        var c = await Api.CreateCase(await app.As("agent"));
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01", opinion = "立案" });
        await AssertRefused(await (await app.As("dispatcher")).PostAsync($"/api/v1/cases/{c.Id()}/actions/dispatch",
            Json("""{"leadDepartment":"SZGLC","assistingDepartments":[null]}""")), "null department");
        await AllCasesReadBack();
    }

    [Fact]
    public async Task AbsurdPaging_IsRefused()
    {
        var supervisor = await app.As("supervisor");
        await Api.Problem(await supervisor.GetAsync("/api/v1/cases?page=2147483647"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.GetAsync("/api/v1/cases?page=99999999999"), HttpStatusCode.UnprocessableEntity);
        await AssertRefused(await (await app.As("auditor")).GetAsync("/api/v1/admin/audit?page=2147483647"), "audit page");
        await AssertRefused(await supervisor.GetAsync("/api/v1/components?page=2147483647"), "components page");
        Assert.Equal(HttpStatusCode.OK, (await supervisor.GetAsync("/api/v1/cases?page=100000")).StatusCode);
    }

    [Fact]
    public async Task OversizedTexts_AreRefused_IndexedOrNot()
    {
        var agent = await app.As("agent");
        var huge = new string('9', 2 * 1024 * 1024);
        foreach (var field in new[] { "categoryCode", "externalId", "title" })
        {
            var body = new Dictionary<string, object> { ["source"] = "hotline", ["requestType"] = "complaint", ["description"] = "井盖缺失", ["address"] = "金城江区", [field] = huge };
            await AssertRefused(await agent.PostAsJsonAsync("/api/v1/cases", body), field);
        }
        await AssertRefused(await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "complaint", description = "井盖", address = "金城江区", reporter = new { phone = huge } }), "phone");
        await AssertRefused(await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "complaint", description = "井盖", address = "金城江区", title = new string('标', 201) }), "title 201");
        await AssertRefused(await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "complaint", description = "井盖", address = "金城江区", reporter = new { name = new string('张', 101) } }), "name 101");
        Assert.Equal(HttpStatusCode.Created, (await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "complaint", description = "井盖", address = "金城江区", title = new string('标', 200) })).StatusCode);
        await AllCasesReadBack();
    }

    [Fact]
    public async Task ParallelUnmaskAndAttachments_OnOneCase_AreConflictsNotErrors()
    {
        var c = await Api.CreateCase(await app.As("agent"));
        var leader = await app.As("leader");
        var unmasks = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => leader.PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null)));
        Assert.All(unmasks, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"unmask {(int)r.StatusCode}"));
        Assert.Contains(unmasks, r => r.StatusCode == HttpStatusCode.OK);
        var png = TestImages.Png();
        var uploads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
        {
            var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "site.png" } };
            return leader.PostAsync($"/api/v1/cases/{c.Id()}/attachments", form);
        }));
        Assert.All(uploads, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"upload {(int)r.StatusCode}"));
        var events = await Api.Get(leader, $"/api/v1/cases/{c.Id()}/events");
        Assert.Equal(uploads.Count(r => r.StatusCode == HttpStatusCode.Created), events.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "attach"));
    }

    [Fact]
    public async Task ParallelFirstContactPuts_AllSucceed()
    {
        var admin = await app.As("admin");
        var name = "ct" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/users", new { userName = name, password = "Str0ng!Pass" })).StatusCode);
        var user = app.Anonymous();
        var token = await (await user.PostAsJsonAsync("/api/v1/auth/token", new { userName = name, password = "Str0ng!Pass" })).Content.ReadFromJsonAsync<JsonElement>();
        user.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await user.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "Str0ng!Pass", newPassword = "N3w!Passw0rd" })).StatusCode);
        var puts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => user.PutAsJsonAsync("/api/v1/notifications/contact", new { phone = $"1380000{i:0000}" })));
        Assert.All(puts, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
    }
}

[Collection("sqlite")]
public sealed class HostileInputTests_Sqlite(SqliteApp app) : HostileInputTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class HostileInputTests_Postgres(PostgresApp app) : HostileInputTests<PostgresApp>(app), IClassFixture<PostgresApp>;
