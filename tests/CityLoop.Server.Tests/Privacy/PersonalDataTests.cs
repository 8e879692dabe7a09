using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Privacy;

/// <summary>Callers' data encrypted at rest, found by a keyed phone hash, rotated, exported and erased on request.</summary>
public abstract class PersonalDataTests<TApp>(TApp app) where TApp : AppFixture
{
    static object Report(string name, string phone, string? address = "金城江区南新西路 8 号 3 单元", string description = "小区门口路灯不亮") => new
    {
        source = "hotline", requestType = "complaint", description, categoryCode = "C0101",
        location = new { lat = 24.69, lon = 108.06 }, address = "金城江区金城中路 12 号",
        reporter = new { name, phone, address },
    };

    static string NewPhone() => "139" + Random.Shared.Next(10_000_000, 99_999_999);

    async Task<List<string?[]>> Rows(string sql, CityLoopFactory? node = null)
    {
        using var scope = (node ?? app.Factory).Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        try
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            await using var r = await cmd.ExecuteReaderAsync();
            var rows = new List<string?[]>();
            while (await r.ReadAsync())
                rows.Add(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            return rows;
        }
        finally
        {
            await conn.CloseAsync();
        }
    }

    [Fact]
    public async Task ReporterData_IsEncryptedAtRest_YetMaskingAndUnmaskingWorkAsBefore()
    {
        var phone = NewPhone();
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, Report("欧阳娜娜", phone));
        var reporter = c.GetProperty("reporter");
        Assert.Equal("欧阳娜娜", reporter.Str("name"));
        Assert.Equal(phone, reporter.Str("phone"));
        Assert.Equal("金城江区南新西路 8 号 3 单元", reporter.Str("address"));

        var row = Assert.Single(await Rows($"SELECT reporter_name, reporter_phone, reporter_address, reporter_phone_hash FROM cases WHERE number = '{c.Str("number")}'"));
        foreach (var stored in row[..3])
        {
            Assert.StartsWith("enc:", stored);
            Assert.DoesNotContain(phone, stored!);
            Assert.DoesNotContain("欧阳", stored!);
        }
        Assert.DoesNotContain(phone, row[3]!);
        Assert.Matches("^k[0-9a-f]+:[0-9a-f]{64}$", row[3]!);

        var seen = (await Api.Get(await app.As("dispatcher"), $"/api/v1/cases/{c.Id()}")).GetProperty("reporter");
        Assert.Equal(phone[..3] + "****" + phone[^4..], seen.Str("phone"));
        Assert.Equal("欧***", seen.Str("name"));
        Assert.Equal(JsonValueKind.Null, seen.GetProperty("address").ValueKind);
        var unmasked = await (await app.As("dispatcher")).PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null);
        var revealed = await unmasked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(phone, revealed.Str("phone"));
        Assert.Equal("金城江区南新西路 8 号 3 单元", revealed.Str("address"));
    }

    [Fact]
    public async Task CallerLookup_FindsEverySpellingOfTheNumber_ByTheKeyedHash_AndOnlyForHotlineStaff()
    {
        var phone = NewPhone();
        var agent = await app.As("agent");
        var first = await Api.CreateCase(agent, Report("李建国", $"{phone[..3]} {phone[3..7]} {phone[7..]}", description: "井盖松动"));
        var second = await Api.CreateCase(agent, Report("李建国", "+86" + phone, address: null, description: "路面积水"));
        await Api.CreateCase(agent, Report("别人", NewPhone()));

        var response = await agent.PostAsJsonAsync("/api/v1/callers/lookup", new { phone = "0086-" + phone });
        var caller = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("李建国", caller.Str("name"));
        Assert.Equal("金城江区南新西路 8 号 3 单元", caller.Str("address"));
        Assert.Equal([second.Str("number"), first.Str("number")], caller.GetProperty("cases").EnumerateArray().Select(x => x.Str("number")).ToArray());

        // The desk's search box takes a number too, for the same staff.
        var listed = await Api.Get(agent, $"/api/v1/cases?q={Uri.EscapeDataString("+86 " + phone)}");
        Assert.Equal(2, listed.GetProperty("total").GetInt32());
        Assert.Equal(0, (await Api.Get(await app.As("dispatcher"), $"/api/v1/cases?q={phone}")).GetProperty("total").GetInt32());

        // Anyone else searching by phone would unmask reporters that are masked or confidential for them.
        await Api.Problem(await (await app.As("dispatcher")).PostAsJsonAsync("/api/v1/callers/lookup", new { phone }), HttpStatusCode.Forbidden);
        await Api.Problem(await agent.PostAsJsonAsync("/api/v1/callers/lookup", new { phone = "" }), HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task KeyRotation_NewDataUsesTheNewKey_OldDataStaysReadable_AndRekeyMovesEverythingOver()
    {
        // A database of its own: after the rotation only nodes holding the new key file can read it.
        var keyFile = FreshDatabase.NewKeyFile();
        var cs = FreshDatabase.ConnectionString(app);
        var phone = NewPhone();
        string oldKey;
        Guid oldId;
        await using (var before = await FreshDatabase.StartAsync(app, cs, keyFile))
        {
            oldKey = before.Services.GetRequiredService<PersonalDataKeys>().CurrentKeyId;
            oldId = (await Api.CreateCase(await FreshDatabase.As(before, "agent"), Report("周晓梅", phone))).Id();
            // A call record's caller number is moved over by the rekey too (decision 017).
            Assert.Equal(HttpStatusCode.Created, (await (await FreshDatabase.As(before, "agent")).PostAsJsonAsync("/api/v1/calls",
                new { callId = "rekey-1", caller = phone, calledLine = "12345", queuedAt = app.Clock.GetUtcNow().AddHours(-1) })).StatusCode);
        }
        var newKey = PersonalDataKeys.AddKey(keyFile);
        Assert.NotEqual(oldKey, newKey);
        await using var rotated = await FreshDatabase.StartAsync(app, cs, keyFile, seed: false);

        var agent = await FreshDatabase.As(rotated, "agent");
        // The old case closed yesterday, far from the new report's place (a shortcut past its steps, so that only the
        // caller's phone can link the two): the new report is its repeat, found by the phone's hash under the old key.
        var oldNumber = (await Api.Get(agent, $"/api/v1/cases/{oldId}")).Str("number");
        using (var scope = rotated.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.Where(c => c.Id == oldId).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.State, Domain.Cases.CaseState.Closed).SetProperty(c => c.ClosedAt, app.Clock.GetUtcNow().AddDays(-1)).SetProperty(c => c.Latitude, 24.75));
        var fresh = await Api.CreateCase(agent, Report("周晓梅", phone));
        Assert.Equal(oldNumber, fresh.GetProperty("flags").Str("repeatOf"));
        Assert.Equal("周晓梅", (await Api.Get(agent, $"/api/v1/cases/{oldId}")).GetProperty("reporter").Str("name"));
        var stored = await Rows("SELECT number, reporter_name, reporter_phone_hash FROM cases", rotated);
        Assert.StartsWith($"enc:{newKey}:", stored.Single(r => r[0] == fresh.Str("number"))[1]);
        Assert.StartsWith($"enc:{oldKey}:", stored.Single(r => r[0] != fresh.Str("number"))[1]);
        var found = await (await agent.PostAsJsonAsync("/api/v1/callers/lookup", new { phone })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, found.GetProperty("cases").GetArrayLength());

        using (var scope = rotated.Services.CreateScope())
            Assert.Equal(1, (await scope.ServiceProvider.GetRequiredService<DataRekey>().RunAsync()).Cases);
        Assert.All(await Rows("SELECT reporter_name, reporter_phone, reporter_address, reporter_phone_hash FROM cases", rotated), r =>
        {
            Assert.StartsWith($"enc:{newKey}:", r[0]);
            Assert.StartsWith($"enc:{newKey}:", r[1]);
            Assert.StartsWith($"enc:{newKey}:", r[2]);
            Assert.StartsWith($"{newKey}:", r[3]);
        });
        Assert.All(await Rows("SELECT caller_phone, caller_phone_hash FROM call_records", rotated), r =>
        {
            Assert.StartsWith($"enc:{newKey}:", r[0]);
            Assert.StartsWith($"{newKey}:", r[1]);
        });
        Assert.Equal("周晓梅", (await Api.Get(agent, $"/api/v1/cases/{oldId}")).GetProperty("reporter").Str("name"));
        using (var scope = rotated.Services.CreateScope())
            Assert.Equal(0, (await scope.ServiceProvider.GetRequiredService<DataRekey>().RunAsync()).Cases);

        // Without its key the data is unreadable: a node given another key file cannot decrypt what is stored.
        await using var stranger = await FreshDatabase.StartAsync(app, cs, FreshDatabase.NewKeyFile(), seed: false);
        using (var scope = stranger.Services.CreateScope())
            await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() =>
                scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.Where(c => c.ReporterName != null).ToListAsync());
    }

    [Fact]
    public async Task WithoutAKeyFile_OutsideDevelopment_TheServerRefusesToStart()
    {
        await using var node = app.NewFactory(new Dictionary<string, string> { ["Privacy:KeyFile"] = "" });
        var ex = Assert.ThrowsAny<InvalidOperationException>(() => node.CreateClient());
        Assert.Contains("Privacy:KeyFile", ex.Message);
        await using var missing = app.NewFactory(new Dictionary<string, string> { ["Privacy:KeyFile"] = "/nonexistent/privacy.keys" });
        Assert.Contains("does not exist", Assert.ThrowsAny<InvalidOperationException>(() => missing.CreateClient()).Message);
    }

    [Fact]
    public async Task DataProtectionKeyRing_IsStoredEncrypted()
    {
        await app.As("agent");
        var rows = await Rows("SELECT xml FROM data_protection_keys");
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.Contains("encryptedSecret", r[0]);
            Assert.DoesNotContain("<masterKey", r[0]);
        });
    }

    [Fact]
    public async Task CitizenRequest_SecurityAdministratorExportsAndErases_AuditedWithoutThePhone()
    {
        var phone = NewPhone();
        var agent = await app.As("agent");
        var a = await Api.CreateCase(agent, Report("赵丽华", phone, description: "噪音扰民"));
        var b = await Api.CreateCase(agent, Report("赵丽华", phone, description: "垃圾未清运"));

        foreach (var user in new[] { "auditor", "admin", "agent", "supervisor" })
            await Api.Problem(await (await app.As(user)).PostAsJsonAsync("/api/v1/privacy/citizens/export", new { phone }), HttpStatusCode.Forbidden);

        var security = await app.As("security");
        var lookup = await (await security.PostAsJsonAsync("/api/v1/privacy/citizens/lookup", new { phone })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, lookup.GetProperty("cases").GetArrayLength());
        var exportResponse = await security.PostAsJsonAsync("/api/v1/privacy/citizens/export", new { phone });
        Assert.Equal(HttpStatusCode.OK, exportResponse.StatusCode);
        Assert.StartsWith("attachment;", exportResponse.Content.Headers.ContentDisposition?.ToString() ?? exportResponse.Headers.GetValues("Content-Disposition").First());
        var export = await exportResponse.Content.ReadFromJsonAsync<JsonElement>();
        var cases = export.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal([a.Str("number"), b.Str("number")], cases.Select(c => c.Str("number")).ToArray());
        Assert.All(cases, c => Assert.Equal("赵丽华", c.Str("reporterName")));
        Assert.Equal("噪音扰民", cases[0].Str("description"));
        Assert.Contains(cases[0].GetProperty("events").EnumerateArray(), e => e.Str("action") == "create");

        var erased = await (await security.PostAsJsonAsync("/api/v1/privacy/citizens/erase", new { phone })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, erased.GetProperty("casesErased").GetInt32());
        var after = await Api.Get(agent, $"/api/v1/cases/{a.Id()}");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("reporter").GetProperty("name").ValueKind);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("reporter").GetProperty("phone").ValueKind);
        Assert.Equal("噪音扰民", after.Str("description"));
        Assert.Contains("reporter-erased", await Api.Actions(agent, a.Id()));
        var stored = Assert.Single(await Rows($"SELECT reporter_name, reporter_phone, reporter_address, reporter_phone_hash FROM cases WHERE id = '{(app.Provider == "sqlite" ? a.Id().ToString().ToUpperInvariant() : a.Id().ToString())}'"));
        Assert.All(stored, Assert.Null);
        var again = await (await security.PostAsJsonAsync("/api/v1/privacy/citizens/lookup", new { phone })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, again.GetProperty("cases").GetArrayLength());

        var audit = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?pageSize=500")).GetProperty("items").EnumerateArray()
            .Where(x => x.Str("action").StartsWith("citizen-")).ToList();
        Assert.Contains(audit, x => x.Str("action") == "citizen-export" && x.Str("target") == lookup.Str("reference"));
        Assert.Contains(audit, x => x.Str("action") == "citizen-erase" && x.Str("detail").Contains(a.Str("number")));
        Assert.All(audit, x => Assert.DoesNotContain(phone, x.GetRawText()));
    }

    [Fact]
    public async Task Retention_AnonymisesCasesEndedLongerAgo_KeepsTheCaseAndItsFigures_AndIsAudited()
    {
        var phone = NewPhone();
        app.Clock.Set(AppFixture.Start.AddDays(1));
        var ended = await FollowThroughSteps.DispatchedAt(app, AppFixture.Start.AddDays(1), Report("孙志强", phone));
        await FollowThroughSteps.Closed(app, ended);
        var open = await Api.CreateCase(await app.As("agent"), Report("孙志强", phone, description: "仍在办理"));
        await using var node = app.NewFactory(new Dictionary<string, string> { ["Privacy:RetentionDays"] = "30" });

        app.Clock.Advance(TimeSpan.FromDays(29));
        using (var scope = node.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<CitizenData>().AnonymiseExpiredAsync();
        Assert.Equal("孙志强", (await Api.Get(await app.As("agent"), $"/api/v1/cases/{ended}")).GetProperty("reporter").Str("name"));

        app.Clock.Advance(TimeSpan.FromDays(2));
        using (var scope = node.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<CitizenData>().AnonymiseExpiredAsync() >= 1);
        var agent = await app.As("agent");
        var c = await Api.Get(agent, $"/api/v1/cases/{ended}");
        Assert.Equal(JsonValueKind.Null, c.GetProperty("reporter").GetProperty("name").ValueKind);
        Assert.Equal("closed", c.State());
        Assert.NotEqual(JsonValueKind.Null, c.GetProperty("closedAt").ValueKind);
        var events = await Api.Get(agent, $"/api/v1/cases/{ended}/events");
        var erasure = events.EnumerateArray().Last();
        Assert.Equal("reporter-erased", erasure.Str("action"));
        Assert.Equal("retention", erasure.GetProperty("payload").Str("reason"));
        Assert.Equal("孙志强", (await Api.Get(agent, $"/api/v1/cases/{open.Id()}")).GetProperty("reporter").Str("name"));
        var audit = (await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=privacy-retention&pageSize=500")).GetProperty("items");
        Assert.Contains(audit.EnumerateArray(), x => x.Str("detail").Contains(c.Str("number")));
    }

    [Fact]
    public async Task NoEventPayloadOrAuditDetail_EverHoldsTheCallersData()
    {
        var phone = NewPhone();
        const string name = "慕容秋雪";
        const string address = "金城江区东江路 77 号 5 栋";
        var report = Report(name, phone, address);
        var id = await FollowThroughSteps.DispatchedAt(app, AppFixture.Start.AddDays(3), report);
        var dispatcher = await app.As("dispatcher");
        await dispatcher.PostAsync($"/api/v1/cases/{id}/reporter/unmask", null);
        var handler = await app.As("handler");
        await Api.ActOk(handler, id, "sign-for");
        await Api.ActOk(handler, id, "request-extension", new { reason = "需采购配件", dueAt = AppFixture.Start.AddDays(10) });
        await Api.ActOk(await app.As("dispatcher"), id, "approve-extension");
        await Api.ActOk(handler, id, "finish", new { result = "已修复" });
        await Api.ActOk(await app.As("inspector"), id, "check-pass");
        await Api.ActOk(await app.As("leader"), id, "close", new { standardItem = "C0101-01" });
        await FollowThroughSteps.Sweep(app);
        await Api.ActOk(await app.As("agent"), id, "follow-up", new { contacted = true, resolved = true, satisfaction = "satisfied" });
        await (await app.As("dispatcher")).GetStringAsync($"/api/v1/cases/export?q={phone}");
        var security = await app.As("security");
        await security.PostAsJsonAsync("/api/v1/privacy/citizens/lookup", new { phone });
        await security.PostAsJsonAsync("/api/v1/privacy/citizens/export", new { phone });
        var repeat = await Api.CreateCase(await app.As("agent"), report);
        await security.PostAsJsonAsync("/api/v1/privacy/citizens/erase", new { phone });
        using (var scope = app.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<AuditChain>().ChainPendingAsync();

        var texts = (await Rows("SELECT payload, opinion FROM case_events"))
            .Concat(await Rows("SELECT target, detail FROM audit_log"))
            .Concat(await Rows("SELECT prev, mac FROM audit_chain"))
            .SelectMany(r => r).OfType<string>().ToList();
        Assert.True(texts.Count > 20);
        Assert.Contains(texts, t => t.Contains(repeat.Str("number")));
        var digits = phone;
        Assert.DoesNotContain(texts, t => t.Contains(digits) || t.Contains(digits[3..]) || t.Contains(name) || t.Contains(address));
    }
}

[Collection("sqlite")]
public sealed class PersonalDataTests_Sqlite(SqliteApp app) : PersonalDataTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class PersonalDataTests_Postgres(PostgresApp app) : PersonalDataTests<PostgresApp>(app), IClassFixture<PostgresApp>;
