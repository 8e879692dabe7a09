using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Exchange;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Exchange;

/// <summary>
/// Platform to platform (三级联网) on one kind of database: a city and its county in this process, the outbox written
/// with the change, delivery with retries, receipt through the one write path, signing, replay and order.
/// </summary>
public abstract class ExchangeTests<TApp>(TApp app) where TApp : AppFixture
{
    static readonly byte[] Png = TestImages.Png();

    /// <summary>A case filed on the city platform and dispatched to the county's stand-in department.</summary>
    static async Task<JsonElement> DispatchDownAsync(TwoPlatforms p, string description = "河池市派：金城中路井盖缺失")
    {
        var c = await Api.CreateCase(await p.As(p.Upper, "agent"), Api.Report(description));
        await Api.ActOk(await p.As(p.Upper, "leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        return await Api.ActOk(await p.As(p.Upper, "dispatcher"), c.Id(), "dispatch", new { leadDepartment = TwoPlatforms.LowerDepartment });
    }

    static async Task<JsonElement> LowerCaseOf(TwoPlatforms p, string upperNumber)
    {
        var id = TwoPlatforms.Db(p.Lower, db => db.Cases.AsNoTracking().Where(c => c.ExternalId == upperNumber).Select(c => c.Id).Single());
        return await Api.Get(await p.As(p.Lower, "leader"), $"/api/v1/cases/{id}");
    }

    static async Task<string[]> Timeline(HttpClient client, Guid id) =>
        (await Api.Get(client, $"/api/v1/cases/{id}/events")).EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToArray();

    [Fact]
    public async Task DispatchedDown_TheCountyFilesIt_AndEveryStepTheResultWithPhotosAndTheFollowUpComeBackUp_InOrder()
    {
        await using var p = await TwoPlatforms.StartAsync(app.Provider);
        var upper = await DispatchDownAsync(p);
        var upperNumber = upper.Str("number");
        Assert.StartsWith(TwoPlatforms.UpperCode, upperNumber);
        var handlingDue = upper.GetProperty("deadlines").GetProperty("handling").GetDateTimeOffset();
        await p.SettleAsync();

        // 市派: filed on the county with the city's number and deadline, and the city sees it signed for.
        var lower = await LowerCaseOf(p, upperNumber);
        Assert.Equal("upper-platform", lower.Str("source"));
        Assert.StartsWith(TwoPlatforms.LowerCode, lower.Str("number"));
        Assert.Equal(handlingDue, lower.GetProperty("deadlines").GetProperty("feedback").GetDateTimeOffset());
        var cityDispatcher = await p.As(p.Upper, "dispatcher");
        Assert.Equal("handling", (await Api.Get(cityDispatcher, $"/api/v1/cases/{upper.Id()}")).State());
        Assert.Equal(upperNumber, lower.Str("externalId"));

        // Each case page names the other side's number: the county's the city's number and feedback deadline, the city's
        // the county's number.
        var lowerPage = await (await TwoPlatforms.BrowserAs(p.Lower, "leader")).GetStringAsync($"/Cases/{lower.Id()}");
        Assert.Matches($"id=\"upper-number\"[^>]*>{upperNumber}<", lowerPage);
        Assert.Contains("feedback-due", lowerPage);
        var upperPage = await (await TwoPlatforms.BrowserAs(p.Upper, "dispatcher")).GetStringAsync($"/Cases/{upper.Id()}");
        Assert.Contains("金城江区平台", upperPage);
        Assert.Contains(lower.Str("number"), upperPage);

        // The county works the case through its own workflow, with a photo of the result.
        var id = lower.Id();
        await Api.ActOk(await p.As(p.Lower, "leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await p.As(p.Lower, "dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        var handler = await p.As(p.Lower, "handler");
        await Api.ActOk(handler, id, "sign-for");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Png), "file", "完工.png" } };
        var photo = await (await handler.PostAsync($"/api/v1/cases/{id}/attachments", form)).Content.ReadFromJsonAsync<JsonElement>();
        await Api.ActOk(handler, id, "finish", new { result = "已补装井盖", attachmentIds = new[] { photo.Id() } });
        await Api.ActOk(await p.As(p.Lower, "intake"), id, "check-pass");
        await Api.ActOk(await p.As(p.Lower, "leader"), id, "close", new { standardItem = "C0101-01" });
        await Api.ActOk(await p.As(p.Lower, "agent"), id, "follow-up", new { contacted = true, resolved = true, satisfaction = "satisfied" });
        await p.SettleAsync();

        var events = (await Api.Get(cityDispatcher, $"/api/v1/cases/{upper.Id()}/events")).EnumerateArray().ToList();
        Assert.Equal(["create", "file", "dispatch", "sign-for", "peer-status", "peer-status", "peer-status", "peer-status", "peer-status", "finish", "peer-follow-up"],
            events.Select(e => e.GetProperty("action").GetString()!).Where(a => a is not ("follow-up-scheduled" or "notify" or "remind")).ToArray());
        Assert.Equal(["file", "dispatch", "sign-for", "finish", "check-pass"],
            events.Where(e => e.GetProperty("action").GetString() == "peer-status").Select(e => e.GetProperty("payload").GetProperty("action").GetString()!).ToArray());
        var finish = events.Single(e => e.GetProperty("action").GetString() == "finish");
        Assert.Equal("已补装井盖", finish.GetProperty("payload").GetProperty("result").GetString());
        var photoIds = finish.GetProperty("payload").GetProperty("attachmentIds").EnumerateArray().Select(x => x.GetGuid()).ToList();
        Assert.Single(photoIds);
        Assert.Equal(Png, await cityDispatcher.GetByteArrayAsync($"/api/v1/attachments/{photoIds[0]}"));
        var afterFinish = await Api.Get(cityDispatcher, $"/api/v1/cases/{upper.Id()}");
        Assert.Equal("pending-check", afterFinish.State());
        Assert.Equal("已补装井盖", afterFinish.Str("result"));

        // 及时反馈率 counts it on both sides from the facts: the county closed by the city's deadline, the city got the result in time.
        var lowerFact = TwoPlatforms.Db(p.Lower, db => db.Set<CaseFact>().AsNoTracking().Single(f => f.CaseId == id));
        Assert.Equal(handlingDue, lowerFact.FeedbackDueAt);
        Assert.Equal(1, lowerFact.RepliedOnTime);
        var upperFact = TwoPlatforms.Db(p.Upper, db => db.Set<CaseFact>().AsNoTracking().Single(f => f.CaseId == upper.Id()));
        Assert.Equal(1, upperFact.RepliedOnTime);

        // Everything was delivered exactly once: each side applied as many messages as the other sent.
        foreach (var (from, to) in new[] { (p.Upper, p.Lower), (p.Lower, p.Upper) })
        {
            var sent = TwoPlatforms.Db(from, db => db.Set<ExchangeOutboxRow>().AsNoTracking().OrderBy(o => o.Id).Select(o => o.MessageId).ToList());
            Assert.True(TwoPlatforms.Db(from, db => db.Set<ExchangeOutboxRow>().All(o => o.DeliveredAt != null)));
            var received = TwoPlatforms.Db(to, db => db.Set<ExchangeInboxRow>().AsNoTracking().Select(i => i.MessageId).ToList());
            Assert.Equal(sent.Order(), received.Order());
        }
    }

    [Fact]
    public async Task TheCounty_ReportsACaseUp_AndReturnsOneItCannotHandle()
    {
        await using var p = await TwoPlatforms.StartAsync(app.Provider);
        // 上报: the county's intake transfers its own case to the city platform.
        var own = await Api.CreateCase(await p.As(p.Lower, "agent"), Api.Report("跨区域河道污染，需市级协调"));
        await Api.ActOk(await p.As(p.Lower, "intake"), own.Id(), "transfer", new { target = TwoPlatforms.UpperCode, reason = "跨区域，需市级处理" });
        // 退回: a 市派 the county cannot handle goes back to the city's dispatcher.
        var upper = await DispatchDownAsync(p, "河池市派：不属本区的问题");
        await p.SettleAsync();
        var lower = await LowerCaseOf(p, upper.Str("number"));
        await Api.ActOk(await p.As(p.Lower, "intake"), lower.Id(), "transfer", new { target = TwoPlatforms.UpperCode, reason = "不属本区管辖" });
        await p.SettleAsync();

        var reported = TwoPlatforms.Db(p.Upper, db => db.Cases.AsNoTracking().Single(c => c.ExternalId == own.Str("number")));
        Assert.Equal(Domain.Cases.CaseSource.LowerPlatform, reported.Source);
        Assert.Equal(Domain.Cases.CaseState.Reported, reported.State);
        var returned = await Api.Get(await p.As(p.Upper, "dispatcher"), $"/api/v1/cases/{upper.Id()}");
        Assert.Equal("return-requested", returned.State());
        Assert.Contains("return", await Timeline(await p.As(p.Upper, "dispatcher"), upper.Id()));

        // The city's steps on the reported case go down to the county, where the transferred case shows them.
        await Api.ActOk(await p.As(p.Upper, "leader"), reported.Id, "file", new { standardItem = "C0101-01" });
        await p.SettleAsync();
        var countyTimeline = (await Api.Get(await p.As(p.Lower, "leader"), $"/api/v1/cases/{own.Id()}/events")).EnumerateArray()
            .Where(e => e.GetProperty("action").GetString() == "peer-status").Select(e => e.GetProperty("payload").GetProperty("action").GetString()!).ToArray();
        Assert.Equal(["create", "file"], countyTimeline);
    }

    [Fact]
    public async Task TheOutbox_IsWrittenWithTheChange_AndAPeerDownKeepsEveryMessageWithItsErrorAndBackoff()
    {
        await using var p = await TwoPlatforms.StartAsync(app.Provider);
        var c = await Api.CreateCase(await p.As(p.Upper, "agent"), Api.Report());
        await Api.ActOk(await p.As(p.Upper, "leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        var dispatcher = await p.As(p.Upper, "dispatcher");
        // A dispatch refused for a stale version writes nothing to send.
        var stale = await Api.Act(dispatcher, c.Id(), "dispatch", new { leadDepartment = TwoPlatforms.LowerDepartment, expectedVersion = 0 });
        await Api.Problem(stale, HttpStatusCode.Conflict);
        Assert.Equal(0, TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().Count()));
        // A dispatch to an ordinary department sends nothing either.
        var other = await Api.CreateCase(await p.As(p.Upper, "agent"), Api.Report());
        await Api.ActOk(await p.As(p.Upper, "leader"), other.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(dispatcher, other.Id(), "dispatch", new { leadDepartment = "SZGLC" });
        Assert.Equal(0, TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().Count()));

        await Api.ActOk(dispatcher, c.Id(), "dispatch", new { leadDepartment = TwoPlatforms.LowerDepartment });
        var row = TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().AsNoTracking().Single());
        Assert.Equal((TwoPlatforms.LowerCode, c.Id(), 1, "dispatch"), (row.PeerCode, row.CaseId, row.Seq, row.Kind));

        p.Routes.Down.Add("lower.test");
        Assert.Equal(0, await TwoPlatforms.DeliverAsync(p.Upper));
        var failed = TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().AsNoTracking().Single());
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("Connection refused", failed.LastError);
        Assert.Equal(p.Clock.GetUtcNow().AddSeconds(5), failed.NextAttemptAt);
        // Not due again before the backoff has passed; then it doubles.
        Assert.Equal(0, await TwoPlatforms.DeliverAsync(p.Upper));
        Assert.Equal(1, TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().AsNoTracking().Single().Attempts));
        p.Clock.Advance(TimeSpan.FromSeconds(5));
        await TwoPlatforms.DeliverAsync(p.Upper);
        Assert.Equal(p.Clock.GetUtcNow().AddSeconds(10), TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().AsNoTracking().Single().NextAttemptAt));

        // The administrator sees the queue and the error, never the secret.
        var admin = await p.As(p.Upper, "admin");
        var response = await admin.GetAsync("/api/v1/admin/exchange");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.DoesNotContain(TwoPlatforms.Secret, text);
        var link = JsonDocument.Parse(text).RootElement.EnumerateArray().Single();
        Assert.Equal(1, link.GetProperty("queueLength").GetInt32());
        Assert.Equal(row.CreatedAt, link.GetProperty("oldestPendingAt").GetDateTimeOffset());
        Assert.Contains("Connection refused", link.GetProperty("lastError").GetString());
        Assert.Equal(JsonValueKind.Null, link.GetProperty("lastSuccessAt").ValueKind);
        await Api.Problem(await (await p.As(p.Upper, "dispatcher")).GetAsync("/api/v1/admin/exchange"), HttpStatusCode.Forbidden);

        // Back up: the backlog drains and the link is healthy.
        p.Routes.Down.Clear();
        p.Clock.Advance(TimeSpan.FromSeconds(10));
        await p.SettleAsync();
        link = (await Api.Get(admin, "/api/v1/admin/exchange")).EnumerateArray().Single();
        Assert.Equal(0, link.GetProperty("queueLength").GetInt32());
        Assert.Equal(JsonValueKind.Null, link.GetProperty("lastError").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, link.GetProperty("lastSuccessAt").ValueKind);
        Assert.Single(TwoPlatforms.Db(p.Lower, db => db.Cases.AsNoTracking().Where(x => x.ExternalId == c.Str("number")).ToList()));
    }

    [Fact]
    public async Task ThePeerEndpoint_BelievesOnlyTheSignedFreshUnrepeatedMessage_InOrder()
    {
        // A second node on the fixture's database, configured with the city platform as its upper peer.
        await using var county = app.NewFactory(TwoPlatforms.LowerSettings());
        var client = county.CreateClient();
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        var upperNumber = $"{TwoPlatforms.UpperCode}-20260302-{Random.Shared.Next(100000, 999999)}";
        var messageId = Guid.NewGuid();
        string Dispatch(Guid id, int seq = 1) => JsonSerializer.Serialize(new
        {
            messageId = id, kind = "dispatch", from = TwoPlatforms.UpperCode, caseNumber = upperNumber, seq, occurredAt = app.Clock.GetUtcNow(),
            @case = new { requestType = "complaint", description = "市派：路灯不亮", address = "金城江区金城中路 1 号", urgency = "normal", dueAt = app.Clock.GetUtcNow().AddDays(3) },
        });
        int Cases() => TwoPlatforms.Db(county, db => db.Cases.AsNoTracking().Count(c => c.ExternalId == upperNumber));

        // Wrong secret, unknown peer, a body changed after signing, a stale or future timestamp: refused, nothing filed.
        async Task Refused(HttpRequestMessage request, string code)
        {
            var problem = await Api.Problem(await client.SendAsync(request), HttpStatusCode.Unauthorized);
            Assert.Equal(ExchangeEndpoints.ProblemType(code), problem.GetProperty("type").GetString());
        }
        await Refused(TwoPlatforms.Signed(TwoPlatforms.UpperCode, "another-secret-0123456789", Dispatch(messageId), now), "bad-signature");
        await Refused(TwoPlatforms.Signed("999999", TwoPlatforms.Secret, Dispatch(messageId), now), "unknown-peer");
        var tampered = TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(messageId), now);
        tampered.Content = new StringContent(Dispatch(messageId).Replace("complaint", "suggestion"), System.Text.Encoding.UTF8, "application/json");
        await Refused(tampered, "bad-signature");
        await Refused(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(messageId), now - 301), "stale-timestamp");
        await Refused(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(messageId), now + 301), "stale-timestamp");
        Assert.Equal(0, Cases());

        // Within ±5 minutes and signed: filed once. The same message again (a retry, or a replay) is refused and changes nothing.
        var accepted = await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(messageId), now - 299));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("created", (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("effect").GetString());
        var replay = await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(messageId), now)), HttpStatusCode.Conflict);
        Assert.Equal(ExchangeEndpoints.ProblemType("duplicate-message"), replay.GetProperty("type").GetString());
        // The same case under a new message id with the same seq is a repeat too.
        var again = await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Dispatch(Guid.NewGuid()), now)), HttpStatusCode.Conflict);
        Assert.Equal(ExchangeEndpoints.ProblemType("duplicate-message"), again.GetProperty("type").GetString());
        Assert.Equal(1, Cases());

        // Order per case: message 3 before message 2 waits; 2 then 3 apply.
        string Status(int seq, string action) => JsonSerializer.Serialize(new
        {
            messageId = Guid.NewGuid(), kind = "status", from = TwoPlatforms.UpperCode, caseNumber = upperNumber, seq, occurredAt = app.Clock.GetUtcNow(), action, state = "handling",
        });
        var early = await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Status(3, "urge"), now)), HttpStatusCode.Conflict);
        Assert.Equal(ExchangeEndpoints.ProblemType("out-of-order"), early.GetProperty("type").GetString());
        Assert.Equal(2, early.GetProperty("expectedSeq").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Status(2, "supervise"), now))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Status(3, "urge"), now))).StatusCode);
        var caseId = TwoPlatforms.Db(county, db => db.Cases.AsNoTracking().Single(c => c.ExternalId == upperNumber).Id);
        var notes = TwoPlatforms.Db(county, db => db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId && e.Action == "peer-status").OrderBy(e => e.Seq).Select(e => e.Payload!).ToList());
        Assert.Equal(["supervise", "urge"], notes.Select(n => JsonDocument.Parse(n).RootElement.GetProperty("action").GetString()!).ToArray());
        // A message whose "from" is not the peer that signed it is refused.
        var forged = JsonSerializer.Serialize(new { messageId = Guid.NewGuid(), kind = "status", from = "451299", caseNumber = upperNumber, seq = 4, action = "urge" });
        await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, forged, now)), HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task TheCitysFailedCheck_SendsTheCaseBackDownForRework_AndARedispatchRecallsIt()
    {
        await using var p = await TwoPlatforms.StartAsync(app.Provider);
        // Rework (返工): the county closes a 市派, the city's check fails, the county's case is reopened to its department.
        var upper = await DispatchDownAsync(p, "河池市派：人行道破损");
        await p.SettleAsync();
        var lower = await LowerCaseOf(p, upper.Str("number"));
        var id = lower.Id();
        async Task WorkAndClose(string result)
        {
            var handler = await p.As(p.Lower, "handler");
            await Api.ActOk(handler, id, "sign-for");
            await Api.ActOk(handler, id, "finish", new { result });
            await Api.ActOk(await p.As(p.Lower, "intake"), id, "check-pass");
            await Api.ActOk(await p.As(p.Lower, "leader"), id, "close", new { standardItem = "C0101-01" });
        }
        await Api.ActOk(await p.As(p.Lower, "leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await p.As(p.Lower, "dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        await WorkAndClose("已修补");
        await p.SettleAsync();
        var cityIntake = await p.As(p.Upper, "intake");
        Assert.Equal("pending-check", (await Api.Get(cityIntake, $"/api/v1/cases/{upper.Id()}")).State());
        await Api.ActOk(cityIntake, upper.Id(), "check-fail", new { reason = "修补不平整，仍有坑洼" });
        await p.SettleAsync();

        var reopened = await Api.Get(await p.As(p.Lower, "leader"), $"/api/v1/cases/{id}");
        Assert.Equal("handling", reopened.State());
        Assert.Equal("SZGLC", reopened.Str("leadDepartment"));
        var reopen = (await Api.Get(await p.As(p.Lower, "leader"), $"/api/v1/cases/{id}/events")).EnumerateArray().Last(e => e.GetProperty("action").GetString() == "reopen");
        Assert.Contains("修补不平整", reopen.GetProperty("payload").GetProperty("reason").GetString());
        // The county works it again; its new result is the city's new handling report.
        await Api.ActOk(await p.As(p.Lower, "handler"), id, "finish", new { result = "已重新铺平" });
        await Api.ActOk(await p.As(p.Lower, "intake"), id, "check-pass");
        await Api.ActOk(await p.As(p.Lower, "leader"), id, "close", new { standardItem = "C0101-01" });
        await p.SettleAsync();
        var again = await Api.Get(cityIntake, $"/api/v1/cases/{upper.Id()}");
        Assert.Equal("pending-check", again.State());
        Assert.Equal("已重新铺平", again.Str("result"));

        // Recall (撤回) before the county dispatched it: cancelled there.
        var early = await DispatchDownAsync(p, "河池市派：广告牌松动");
        await p.SettleAsync();
        await Api.ActOk(await p.As(p.Upper, "dispatcher"), early.Id(), "redispatch", new { leadDepartment = "SZGLC", reason = "改由市政直接处置" });
        await p.SettleAsync();
        var cancelled = await LowerCaseOf(p, early.Str("number"));
        Assert.Equal("cancelled", cancelled.State());
        // After the county dispatched it: a note for its dispatcher, the county's department keeps it until they act.
        var late = await DispatchDownAsync(p, "河池市派：井盖松动");
        await p.SettleAsync();
        var lateLower = await LowerCaseOf(p, late.Str("number"));
        await Api.ActOk(await p.As(p.Lower, "leader"), lateLower.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await p.As(p.Lower, "dispatcher"), lateLower.Id(), "dispatch", new { leadDepartment = "SZGLC" });
        await Api.ActOk(await p.As(p.Upper, "dispatcher"), late.Id(), "redispatch", new { leadDepartment = "SZGLC", reason = "改派" });
        // A second redispatch between the city's own departments recalls nothing more.
        await Api.ActOk(await p.As(p.Upper, "dispatcher"), late.Id(), "redispatch", new { leadDepartment = "HWC", reason = "再改派" });
        await p.SettleAsync();
        var lateNow = await Api.Get(await p.As(p.Lower, "leader"), $"/api/v1/cases/{lateLower.Id()}");
        Assert.Equal("pending-sign-for", lateNow.State());
        Assert.Single(await Timeline(await p.As(p.Lower, "leader"), lateLower.Id()), a => a == "peer-recalled");
        Assert.Equal(1, TwoPlatforms.Db(p.Upper, db => db.Set<ExchangeOutboxRow>().Count(o => o.CaseId == late.Id() && o.Kind == "recall")));
    }

    [Fact]
    public async Task ASecretRotates_WithBothBelievedMeanwhile_AndOldMessageIdsAreForgotten_WithoutLettingAReplayIn()
    {
        var settings = TwoPlatforms.LowerSettings();
        const string next = "the-next-secret-0123456789";
        settings["Exchange:Peers:0:Secret"] = next;
        settings["Exchange:Peers:0:PreviousSecret"] = TwoPlatforms.Secret;
        await using var county = app.NewFactory(settings);
        var client = county.CreateClient();
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        var upperNumber = $"{TwoPlatforms.UpperCode}-20260303-{Random.Shared.Next(100000, 999999)}";
        var first = Guid.NewGuid();
        string Message(Guid id, int seq) => seq == 1
            ? JsonSerializer.Serialize(new
            {
                messageId = id, kind = "dispatch", from = TwoPlatforms.UpperCode, caseNumber = upperNumber, seq, occurredAt = app.Clock.GetUtcNow(),
                @case = new { requestType = "complaint", description = "市派：护栏倒伏", address = "金城江区南新西路 3 号", urgency = "normal", dueAt = app.Clock.GetUtcNow().AddDays(3) },
            })
            : JsonSerializer.Serialize(new { messageId = id, kind = "status", from = TwoPlatforms.UpperCode, caseNumber = upperNumber, seq, occurredAt = app.Clock.GetUtcNow(), action = "urge", state = "handling" });

        // The sender still on the old secret, then on the new one: both believed; any other secret is not.
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, TwoPlatforms.Secret, Message(first, 1), now))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, next, Message(Guid.NewGuid(), 2), now))).StatusCode);
        await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, "some-other-secret-0123456789", Message(Guid.NewGuid(), 3), now)), HttpStatusCode.Unauthorized);

        // A month on, the ids are forgotten; the same message signed afresh is still refused by the case's sequence.
        TwoPlatforms.Db(county, db => db.Set<ExchangeInboxRow>().Where(r => r.PeerCode == TwoPlatforms.UpperCode && r.MessageId == first)
            .ExecuteUpdate(u => u.SetProperty(r => r.ReceivedAt, app.Clock.GetUtcNow().AddDays(-31))));
        using (var scope = county.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<ExchangeDelivery>().PurgeInboxAsync() >= 1);
        Assert.False(TwoPlatforms.Db(county, db => db.Set<ExchangeInboxRow>().Any(r => r.MessageId == first)));
        var replay = await Api.Problem(await client.SendAsync(TwoPlatforms.Signed(TwoPlatforms.UpperCode, next, Message(first, 1), now)), HttpStatusCode.Conflict);
        Assert.Equal(ExchangeEndpoints.ProblemType("duplicate-message"), replay.GetProperty("type").GetString());
        Assert.Equal(1, TwoPlatforms.Db(county, db => db.Cases.AsNoTracking().Count(c => c.ExternalId == upperNumber)));
    }

    [Fact]
    public void Signatures_CoverMethodPathTimestampAndBody()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var signature = ExchangeSigning.Sign("s3cret-s3cret-s3cret", "POST", ExchangeSigning.Path, 1700000000, body);
        // HMAC-SHA256("s3cret-s3cret-s3cret", "POST\n/api/v1/exchange/messages\n1700000000\n" + hex(SHA-256(body))), computed independently.
        using var hmac = new System.Security.Cryptography.HMACSHA256("s3cret-s3cret-s3cret"u8.ToArray());
        var canonical = "POST\n/api/v1/exchange/messages\n1700000000\n" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        Assert.Equal("sha256=" + Convert.ToHexStringLower(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes(canonical))), signature);
        Assert.True(ExchangeSigning.Verify("s3cret-s3cret-s3cret", "POST", ExchangeSigning.Path, 1700000000, body, signature));
        Assert.False(ExchangeSigning.Verify("s3cret-s3cret-s3cret", "PUT", ExchangeSigning.Path, 1700000000, body, signature));
        Assert.False(ExchangeSigning.Verify("s3cret-s3cret-s3cret", "POST", "/api/v1/other", 1700000000, body, signature));
        Assert.False(ExchangeSigning.Verify("s3cret-s3cret-s3cret", "POST", ExchangeSigning.Path, 1700000001, body, signature));
        Assert.False(ExchangeSigning.Verify("s3cret-s3cret-s3cret", "POST", ExchangeSigning.Path, 1700000000, "{\"a\":2}"u8, signature));
    }
}

[Collection("sqlite")]
public sealed class ExchangeTests_Sqlite(SqliteApp app) : ExchangeTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ExchangeTests_Postgres(PostgresApp app) : ExchangeTests<PostgresApp>(app), IClassFixture<PostgresApp>;
