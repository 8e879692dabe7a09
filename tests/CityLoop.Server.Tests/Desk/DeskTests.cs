using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Desk;

/// <summary>
/// The hotline desk over HTTP on both databases: CTI call records (idempotent per call id, encrypted caller), 接通率
/// and its drill-down, the missed-call call-back list, the knowledge base (Chinese search, suggestions, answering a
/// case from an article) and the desk's duplicate hints.
/// </summary>
public abstract class DeskTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset Day(int day, int hour, int minute = 0, int second = 0) => new(2026, 2, day, hour, minute, second, TimeSpan.FromHours(8));

    async Task<HttpClient> Telephony(params string[] scopes)
    {
        var security = await app.As("security");
        var response = await security.PostAsJsonAsync("/api/v1/admin/api-keys",
            new { name = "cti-" + Guid.NewGuid().ToString("N")[..6], role = "telephony", scopes = scopes.Length == 0 ? ["calls:write"] : scopes });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        return client;
    }

    static Task<HttpResponseMessage> Call(HttpClient cti, object body) => cti.PostAsJsonAsync("/api/v1/calls", body);

    [Fact]
    public async Task CtiEvents_AreIdempotentPerCallId_AndTheConnectionRateCountsThem()
    {
        var cti = await Telephony();
        var id = "cti-" + Guid.NewGuid().ToString("N")[..10];
        var queued = new { callId = id, caller = "+86 138-0000-7788", calledLine = "12345", queuedAt = Day(10, 9) };
        var first = await Call(cti, queued);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", created.Str("outcome"));

        // The same event again changes nothing; the answer and the end add to the record.
        var again = await Call(cti, queued);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(created.Id(), (await again.Content.ReadFromJsonAsync<JsonElement>()).Id());
        var answered = await Call(cti, new { callId = id, caller = "13800007788", calledLine = "12345", queuedAt = Day(10, 9), answeredAt = Day(10, 9, 0, 20),
            endedAt = Day(10, 9, 5, 20), agent = "agent", recording = "rec://2026/02/10/" + id });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var call = await answered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("answered", 20, 300), (call.Str("outcome"), call.GetProperty("waitSeconds").GetInt32(), call.GetProperty("talkSeconds").GetInt32()));
        Assert.Equal("话务员（演示）", call.Str("agent"));

        // A report contradicting the record is refused.
        var contradiction = await Call(cti, new { callId = id, caller = "13900001111", calledLine = "12345", queuedAt = Day(10, 9) });
        Assert.Contains("caller", (await Api.Problem(contradiction, HttpStatusCode.Conflict)).Str("detail"));
        await Api.Problem(await Call(cti, new { callId = "bad id!", calledLine = "12345", queuedAt = Day(10, 9) }), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await Call(cti, new { callId = id + "x", calledLine = "12345", queuedAt = Day(10, 9), answeredAt = Day(10, 8) }), HttpStatusCode.UnprocessableEntity);

        // A missed call (hung up in the queue) and one still queued; the next day's call is outside the figure.
        Assert.Equal(HttpStatusCode.Created, (await Call(cti, new { callId = id + "-m", caller = "13800007799", calledLine = "12345", queuedAt = Day(10, 10), endedAt = Day(10, 10, 1) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Call(cti, new { callId = id + "-q", caller = "13800007700", calledLine = "12345", queuedAt = Day(10, 11) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Call(cti, new { callId = id + "-n", calledLine = "12345", queuedAt = Day(11, 9), answeredAt = Day(11, 9, 0, 5) })).StatusCode);

        var supervisor = await app.As("supervisor");
        const string day = "from=2026-02-10&to=2026-02-10&platform=451202";
        var rate = await Api.Get(supervisor, $"/api/v1/indicators/call-connection-rate?{day}");
        Assert.Equal(("33.33", 1L, 3L), (rate.Str("value"), rate.GetProperty("numerator").GetInt64(), rate.GetProperty("denominator").GetInt64()));
        var missed = await Api.Get(supervisor, $"/api/v1/indicators/calls-missed?{day}");
        Assert.Equal(1L, missed.GetProperty("numerator").GetInt64());
        // The drill-down lists the calls behind the figure, and adds up to it.
        var behind = await Api.Get(supervisor, $"/api/v1/indicators/call-connection-rate/cases?{day}");
        Assert.Equal([id], behind.GetProperty("items").EnumerateArray().Select(i => i.Str("number")).ToArray());
        var offered = await Api.Get(supervisor, $"/api/v1/indicators/call-connection-rate/cases?{day}&part=denominator");
        Assert.Equal(3L, offered.GetProperty("total").GetInt64());
        Assert.Equal(3, offered.GetProperty("items").GetArrayLength());
        var month = await Api.Get(supervisor, "/api/v1/indicators/calls-offered?from=2026-02-01&to=2026-02-28&platform=451202&groupBy=month");
        Assert.Equal(4L, month.GetProperty("groups")[0].GetProperty("numerator").GetInt64());
        await Api.Problem(await supervisor.GetAsync($"/api/v1/indicators/call-connection-rate?{day}&department=HWC"), HttpStatusCode.UnprocessableEntity);

        // The caller's number is stored encrypted, with the keyed hash that finds it.
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT caller_phone FROM call_records WHERE call_id = '{id}'";
        var stored = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.StartsWith("enc:", stored);
        Assert.DoesNotContain("7788", stored);
        Assert.Equal("13800007788", (await db.Set<Features.Calls.CallRecord>().SingleAsync(c => c.CallId == id)).CallerPhone);
    }

    [Fact]
    public async Task OnlyTheTelephoneSystemOrAnAgent_ReportCalls()
    {
        var reader = await Telephony("cases:read");
        await Api.Problem(await Call(reader, new { callId = "x-1", calledLine = "12345", queuedAt = Day(12, 9) }), HttpStatusCode.Forbidden);
        await Api.Problem(await Call(await app.As("dispatcher"), new { callId = "x-2", calledLine = "12345", queuedAt = Day(12, 9) }), HttpStatusCode.Forbidden);
        // An agent reporting a call they answered is its agent.
        var own = await Call(await app.As("agent"), new { callId = "x-3", caller = "13800001212", calledLine = "12345", queuedAt = Day(12, 9), answeredAt = Day(12, 9, 0, 4) });
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal("话务员（演示）", (await own.Content.ReadFromJsonAsync<JsonElement>()).Str("agent"));
        await Api.Problem(await Call(await Telephony(), new { callId = "x-4", calledLine = "12345", queuedAt = Day(12, 9), answeredAt = Day(12, 9, 0, 4), agent = "dispatcher" }),
            HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task MissedCalls_AreCalledBack_AndTheListRecordsWhoAndWhen()
    {
        var cti = await Telephony();
        var id = "miss-" + Guid.NewGuid().ToString("N")[..8];
        await Call(cti, new { callId = id, caller = "13800006060", calledLine = "12345", queuedAt = Day(14, 20), endedAt = Day(14, 20, 0, 45) });
        await Call(cti, new { callId = id + "-w", calledLine = "12345", queuedAt = Day(14, 20, 5), endedAt = Day(14, 20, 6) });
        // The same caller got through later: the list says so.
        await Call(cti, new { callId = id + "-a", caller = "13800006060", calledLine = "12345", queuedAt = Day(14, 21), answeredAt = Day(14, 21, 0, 10) });

        var agent = await app.As("agent");
        var open = (await Api.Get(agent, "/api/v1/calls/callbacks")).EnumerateArray().ToList();
        var missed = open.Single(c => c.Str("callId") == id);
        Assert.True(missed.GetProperty("calledAgain").GetBoolean());
        Assert.Equal(45, missed.GetProperty("waitSeconds").GetInt32());
        Assert.DoesNotContain(open, c => c.Str("callId") == id + "-w"); // a withheld number cannot be called back
        Assert.DoesNotContain(open, c => c.Str("callId") == id + "-a");

        app.Clock.Advance(TimeSpan.FromMinutes(3));
        var done = await agent.PostAsJsonAsync($"/api/v1/calls/{missed.Id()}/callback", new { reached = true, note = "已联系，市民诉求已另行登记" });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var callback = (await done.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("callback");
        Assert.Equal("话务员（演示）", callback.Str("by"));
        Assert.Equal(app.Clock.GetUtcNow(), callback.GetProperty("at").GetDateTimeOffset());
        await Api.Problem(await agent.PostAsJsonAsync($"/api/v1/calls/{missed.Id()}/callback", new { reached = true }), HttpStatusCode.Conflict);
        Assert.DoesNotContain((await Api.Get(agent, "/api/v1/calls/callbacks")).EnumerateArray(), c => c.Str("callId") == id);
        Assert.Contains((await Api.Get(agent, "/api/v1/calls/callbacks?status=done")).EnumerateArray(), c => c.Str("callId") == id);

        // Supervisors read the list with the numbers masked; intake and departments do not read it.
        var masked = (await Api.Get(await app.As("supervisor"), "/api/v1/calls/callbacks?status=done")).EnumerateArray().Single(c => c.Str("callId") == id);
        Assert.Equal("138****6060", masked.Str("caller"));
        await Api.Problem(await (await app.As("handler")).GetAsync("/api/v1/calls/callbacks"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CallersNumbers_AreErasedOnRequest_AndAfterTheRetentionPeriod_TheCallsStay()
    {
        var cti = await Telephony();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var phone = "1380000" + Random.Shared.Next(1000, 9999);
        await Call(cti, new { callId = "pipl-" + tag, caller = phone, calledLine = "12345", queuedAt = Day(16, 9), endedAt = Day(16, 9, 1) });
        await Call(cti, new { callId = "old-" + tag, caller = "13800009191", calledLine = "12345", queuedAt = new DateTimeOffset(2023, 5, 1, 9, 0, 0, TimeSpan.FromHours(8)),
            answeredAt = new DateTimeOffset(2023, 5, 1, 9, 0, 9, TimeSpan.FromHours(8)) });

        var erased = await (await app.As("security")).PostAsJsonAsync("/api/v1/privacy/citizens/erase", new { phone });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        using (var scope = app.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<Features.Privacy.CitizenData>().AnonymiseExpiredAsync();

        using var check = app.Factory.Services.CreateScope();
        var db = check.ServiceProvider.GetRequiredService<CityLoopDb>();
        var calls = await db.Set<Features.Calls.CallRecord>().AsNoTracking().Where(c => c.CallId.EndsWith(tag)).ToDictionaryAsync(c => c.CallId[..c.CallId.IndexOf('-')]);
        Assert.Equal((null, null, 1), (calls["pipl"].CallerPhone, calls["pipl"].CallerPhoneHash, calls["pipl"].Missed));
        Assert.Equal((null, 1), (calls["old"].CallerPhone, calls["old"].Answered));
        Assert.Contains(await db.AuditLog.AsNoTracking().Where(a => a.Action == "citizen-erase").Select(a => a.Detail).ToListAsync(), d => d!.EndsWith("1 calls"));
        // The erased missed call leaves the call-back list: there is no number to call.
        Assert.DoesNotContain((await Api.Get(await app.As("agent"), "/api/v1/calls/callbacks")).EnumerateArray(), c => c.Str("callId") == "pipl-" + tag);
    }

    static object Article(string title, string answer, string? keywords = null, string? category = null, string from = "2026-01-01", string? to = null) =>
        new { title, answer, keywords, categoryCode = category, ownerDepartment = "HWC", validFrom = from, validTo = to };

    [Fact]
    public async Task DuplicateHints_FindTheSameAddressTypedOtherwise_LookingItUpWithoutTheDistrictsTermsOrAPrefixOfItsLastCharacter()
    {
        var agent = await app.As("agent");
        // A house number nobody else has, so that the address is this test's own.
        var number = Random.Shared.Next(100_000, 999_999);
        var stored = await Api.CreateCase(agent, new
        {
            source = "hotline", requestType = "complaint", description = "路面坑洼积水", categoryCode = "C0101",
            address = $"金城江区 新建路，{number} 号",
        });
        using var scope = app.Factory.Services.CreateScope();
        var desk = scope.ServiceProvider.GetRequiredService<Features.Desk.DeskQueries>();
        var actor = new Domain.Identity.Actor("agent", "agent", new HashSet<Domain.Identity.Role> { Domain.Identity.Role.HotlineAgent }, null);

        // The terms it is looked up by: not the district's (its name is in nearly every address), not 号 as a prefix.
        var terms = desk.AddressTerms($"金城江区新建路{number}号").Select(t => t.Text).ToList();
        Assert.DoesNotContain("金城", terms);
        Assert.DoesNotContain("江区", terms);
        Assert.DoesNotContain("号", terms);
        Assert.Contains("新建", terms);
        Assert.Contains(number.ToString(), terms);
        // An address that is nothing but a division's name is looked up by all of it.
        Assert.Contains("金城", desk.AddressTerms("金城江区").Select(t => t.Text));

        // Typed without the spaces and the comma: the same address, found and compared whole.
        var hints = await desk.DuplicatesAsync(actor, new Features.Desk.DuplicateQuery(null, "C0101", $"金城江区新建路{number}号", null, null, null));
        var hint = Assert.Single(hints, h => h.Number == stored.Str("number"));
        Assert.Contains(Features.Desk.DuplicateReason.SameAddress, hint.Reasons);
        // Another house number on the same road is another address; another category is another problem.
        Assert.DoesNotContain(await desk.DuplicatesAsync(actor, new Features.Desk.DuplicateQuery(null, "C0101", $"金城江区新建路{number + 1}号", null, null, null)),
            h => h.Number == stored.Str("number"));
        Assert.DoesNotContain(await desk.DuplicatesAsync(actor, new Features.Desk.DuplicateQuery(null, "A0101", $"金城江区新建路{number}号", null, null, null)),
            h => h.Number == stored.Str("number"));

        // The category's newest cases are compared first (decision 046); past the walk's bound — here one case, a newer
        // report of the category elsewhere — the older ones are looked up by the address's terms, and it is still found.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await Api.CreateCase(agent, new { source = "hotline", requestType = "complaint", description = "井盖缺失", categoryCode = "C0101", address = $"金城江区 南新路 {number} 号" });
        desk.AddressWalkRows = 1;
        hint = Assert.Single(await desk.DuplicatesAsync(actor, new Features.Desk.DuplicateQuery(null, "C0101", $"金城江区新建路{number}号", null, null, null)),
            h => h.Number == stored.Str("number"));
        Assert.Contains(Features.Desk.DuplicateReason.SameAddress, hint.Reasons);
    }

    [Fact]
    public async Task KnowledgeEditors_WriteArticles_EveryoneSearchesThemInChinese()
    {
        var editor = await app.As("knowledge");
        var tag = Guid.NewGuid().ToString("N")[..6];
        var created = await editor.PostAsJsonAsync("/api/v1/knowledge", Article($"犬只扰民投诉{tag}", "夜间犬吠扰民可先与饲养人协商，协商不成的登记工单转公安分局处理。", "养狗 犬吠 噪音"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var article = await created.Content.ReadFromJsonAsync<JsonElement>();
        await Api.Problem(await (await app.As("agent")).PostAsJsonAsync("/api/v1/knowledge", Article("x", "y")), HttpStatusCode.Forbidden);
        await Api.Problem(await editor.PostAsJsonAsync("/api/v1/knowledge", new { title = "无答复", ownerDepartment = "NOPE", validFrom = "2026-01-01" }), HttpStatusCode.UnprocessableEntity);
        var expired = await (await editor.PostAsJsonAsync("/api/v1/knowledge", Article($"犬只登记旧规定{tag}", "已废止", to: "2026-01-31"))).Content.ReadFromJsonAsync<JsonElement>();

        var agent = await app.As("agent");
        // Two characters, no spaces between words: 犬吠 is found inside 夜间犬吠扰民.
        var hits = (await Api.Get(agent, "/api/v1/knowledge?q=" + Uri.EscapeDataString("犬吠"))).EnumerateArray().Select(a => a.Id()).ToList();
        Assert.Contains(article.Id(), hits);
        Assert.Empty((await Api.Get(agent, "/api/v1/knowledge?q=" + Uri.EscapeDataString("犬吠 停水"))).EnumerateArray());
        // Expired articles only when asked for.
        Assert.DoesNotContain(expired.Id(), (await Api.Get(agent, "/api/v1/knowledge?q=" + Uri.EscapeDataString("犬只" + tag))).EnumerateArray().Select(a => a.Id()));
        Assert.Contains(expired.Id(), (await Api.Get(agent, "/api/v1/knowledge?all=true&q=" + Uri.EscapeDataString("犬只登记"))).EnumerateArray().Select(a => a.Id()));

        // Suggestions rank by the typed text's terms: a whole sentence finds the article.
        var suggestions = (await Api.Get(agent, "/api/v1/knowledge/suggest?text=" + Uri.EscapeDataString("市民反映楼下邻居家的狗晚上一直犬吠扰民，睡不着"))).EnumerateArray().ToList();
        Assert.Equal(article.Id(), suggestions.First().Id());

        // A stale edit is refused; a current one is kept and searchable by its new words.
        await Api.Problem(await editor.PutAsJsonAsync($"/api/v1/knowledge/{article.Id()}", new
        {
            title = "犬只扰民投诉", answer = "改", ownerDepartment = "HWC", validFrom = "2026-01-01", version = 7,
        }), HttpStatusCode.Conflict);
        var updated = await editor.PutAsJsonAsync($"/api/v1/knowledge/{article.Id()}", new
        {
            title = $"犬只扰民投诉{tag}", answer = "夜间犬吠扰民的，登记工单转公安分局；白天的先由社区调解。", keywords = "养狗 犬吠 噪音 遛狗", ownerDepartment = "GAFJ",
            validFrom = "2026-01-01", version = article.GetProperty("version").GetInt32(),
        });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Contains(article.Id(), (await Api.Get(agent, "/api/v1/knowledge?q=" + Uri.EscapeDataString("遛狗"))).EnumerateArray().Select(a => a.Id()));
    }

    [Fact]
    public async Task AnEnquiry_NeedsNoPlace_AndIsAnsweredDirectlyFromAnArticle_WhichTheCaseRecords()
    {
        var editor = await app.As("knowledge");
        var article = await (await editor.PostAsJsonAsync("/api/v1/knowledge", Article("大件垃圾预约", "大件垃圾请提前一天预约，次日上门收运。", "大件垃圾 预约 沙发", "E0102")))
            .Content.ReadFromJsonAsync<JsonElement>();
        var agent = await app.As("agent");
        var enquiry = await Api.CreateCase(agent, new { source = "hotline", requestType = "enquiry", description = "想问旧沙发怎么扔", reporter = new { phone = "13800005151" } });
        // A complaint still needs a place.
        await Api.Problem(await agent.PostAsJsonAsync("/api/v1/cases", new { source = "hotline", requestType = "complaint", description = "有人乱扔沙发" }), HttpStatusCode.UnprocessableEntity);

        var answered = await agent.PostAsJsonAsync($"/api/v1/knowledge/{article.Id()}/answer", new { caseId = enquiry.Id() });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var c = await answered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("closed", c.State());
        var events = await Api.Get(agent, $"/api/v1/cases/{enquiry.Id()}/events");
        Assert.Equal(["create", "knowledge-used", "answer-directly"], events.EnumerateArray().Select(e => e.Str("action")).Take(3).ToArray());
        Assert.Equal(article.Id().ToString(), events[1].GetProperty("payload").Str("articleId"));
        Assert.Equal(1, (await Api.Get(agent, $"/api/v1/knowledge/{article.Id()}")).GetProperty("uses").GetInt32());
        // Once answered, the case cannot be answered again.
        await Api.Problem(await agent.PostAsJsonAsync($"/api/v1/knowledge/{article.Id()}/answer", new { caseId = enquiry.Id() }), HttpStatusCode.Conflict);
        // A dispatcher may read the article but not answer a case at intake.
        var other = await Api.CreateCase(agent, new { source = "hotline", requestType = "enquiry", description = "沙发预约", reporter = new { phone = "13800005152" } });
        await Api.Problem(await (await app.As("dispatcher")).PostAsJsonAsync($"/api/v1/knowledge/{article.Id()}/answer", new { caseId = other.Id() }), HttpStatusCode.Forbidden);
    }
}

[Collection("sqlite")]
public sealed class DeskTests_Sqlite(SqliteApp app) : DeskTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class DeskTests_Postgres(PostgresApp app) : DeskTests<PostgresApp>(app), IClassFixture<PostgresApp>;
