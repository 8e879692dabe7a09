using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>Intake idempotency, optimistic concurrency, scoping, privacy, restarts and the schema.</summary>
public abstract class PlatformTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task Intake_RetriedWithTheSameIdempotencyKey_ReturnsTheSameCase()
    {
        var agent = await app.As("agent");
        var key = Guid.NewGuid().ToString();
        var first = await Api.CreateCase(agent, Api.Report("幸福路路灯不亮"), key);
        var again = await Api.CreateCase(agent, Api.Report("幸福路路灯不亮"), key);
        Assert.Equal(first.Id(), again.Id());
        Assert.Equal(first.Str("number"), again.Str("number"));

        using var different = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cases") { Content = JsonContent.Create(Api.Report("另一件事")) };
        different.Headers.Add("Idempotency-Key", key);
        await Api.Problem(await agent.SendAsync(different), HttpStatusCode.Conflict);

        // The key is scoped to the client: another client's identical key is its own.
        var other = await Api.CreateCase(await app.As("intake"), Api.Report("幸福路路灯不亮"), key);
        Assert.NotEqual(first.Id(), other.Id());
    }

    [Fact]
    public async Task IdempotencyKeys_AreKeptForTheRetentionPeriodAndThenForgotten()
    {
        var agent = await app.As("agent");
        var key = Guid.NewGuid().ToString();
        var first = await Api.CreateCase(agent, Api.Report("过期键"), key);
        app.Clock.Advance(TimeSpan.FromHours(47));
        Assert.Equal(first.Id(), (await Api.CreateCase(await app.As("agent"), Api.Report("过期键"), key)).Id());
        app.Clock.Advance(TimeSpan.FromHours(2));
        using (var scope = app.Factory.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<CityLoop.Server.Features.Cases.CaseCommands>().PurgeIdempotencyKeysAsync() >= 1);
        Assert.NotEqual(first.Id(), (await Api.CreateCase(await app.As("agent"), Api.Report("过期键"), key)).Id());
    }

    [Fact]
    public async Task Intake_ConcurrentRetriesWithOneKey_CreateOneCase()
    {
        var agent = await app.As("agent");
        var key = Guid.NewGuid().ToString();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Api.CreateCase(agent, Api.Report("并发重试"), key)));
        Assert.Single(results.Select(r => r.Id()).Distinct());
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.Equal(1, await db.IdempotencyRecords.CountAsync(r => r.Key == key));
    }

    [Fact]
    public async Task TwoDispatchers_ActingOnTheSameVersion_OneWinsTheOtherGets409WithTheCurrentState()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        var filed = await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        var version = filed.GetProperty("version").GetInt32();
        var d1 = await app.As("dispatcher");
        var d2 = await app.As("dispatcher");
        var responses = await Task.WhenAll(
            Api.Act(d1, c.Id(), "dispatch", new { leadDepartment = "SZGLC", expectedVersion = version }),
            Api.Act(d2, c.Id(), "dispatch", new { leadDepartment = "HWC", expectedVersion = version }));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        var loser = responses.Single(r => r.StatusCode != HttpStatusCode.OK);
        var problem = await Api.Problem(loser, HttpStatusCode.Conflict);
        Assert.Equal("pending-sign-for", problem.GetProperty("currentState").GetString());
        Assert.Equal(["create", "file", "dispatch"], await Api.Actions(agent, c.Id()));
    }

    [Fact]
    public async Task AStaleExpectedVersion_IsRefusedWith409()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        var response = await Api.Act(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01", expectedVersion = 7 });
        var problem = await Api.Problem(response, HttpStatusCode.Conflict);
        Assert.Equal(1, problem.GetProperty("currentVersion").GetInt32());
    }

    [Fact]
    public async Task DepartmentStaff_SeeAndActOnlyOnTheirDepartmentsCases()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), c.Id(), "dispatch", new { leadDepartment = "HWC", assistingDepartments = new[] { "YLLHS" } });

        var handler = await app.As("handler");
        await Api.Problem(await handler.GetAsync($"/api/v1/cases/{c.Id()}"), HttpStatusCode.NotFound);
        await Api.Problem(await handler.GetAsync($"/api/v1/cases/{c.Id()}/events"), HttpStatusCode.NotFound);
        await Api.Problem(await Api.Act(handler, c.Id(), "sign-for"), HttpStatusCode.NotFound);
        var list = await Api.Get(handler, "/api/v1/cases?pageSize=200");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), i => i.Id() == c.Id());

        var hwc = await app.As("dept-hwc");
        Assert.Equal(c.Id(), (await Api.Get(hwc, $"/api/v1/cases/{c.Id()}")).Id());
        var assisting = await app.As("dept-yllhs");
        Assert.Equal(c.Id(), (await Api.Get(assisting, $"/api/v1/cases/{c.Id()}")).Id());
        // The assisting department's inbox by deadline lists it, and a filter by that department finds it (the scope's
        // "assisting" arm, answered by its own partial index on PostgreSQL).
        var inbox = await Api.Get(assisting, "/api/v1/cases?state=pending-sign-for,handling&sort=due&pageSize=200");
        Assert.Contains(inbox.GetProperty("items").EnumerateArray(), i => i.Id() == c.Id());
        var byDepartment = await Api.Get(await app.As("supervisor"), "/api/v1/cases?department=YLLHS&pageSize=200");
        Assert.Contains(byDepartment.GetProperty("items").EnumerateArray(), i => i.Id() == c.Id());
        await Api.Problem(await Api.Act(assisting, c.Id(), "sign-for"), HttpStatusCode.Forbidden);
        await Api.ActOk(hwc, c.Id(), "sign-for");
    }

    [Fact]
    public async Task ReporterPhone_IsMaskedForDepartments_AndUnmaskingIsAudited()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, Api.Report(phone: "13812341234"));
        Assert.Equal("13812341234", c.GetProperty("reporter").GetProperty("phone").GetString());
        var dispatcher = await app.As("dispatcher");
        var seen = await Api.Get(dispatcher, $"/api/v1/cases/{c.Id()}");
        Assert.Equal("138****1234", seen.GetProperty("reporter").GetProperty("phone").GetString());
        Assert.Equal("张**", seen.GetProperty("reporter").GetProperty("name").GetString());
        var list = await dispatcher.GetStringAsync($"/api/v1/cases/export?q={c.Str("number")}");
        Assert.DoesNotContain("13812341234", list);
        Assert.Contains("138****1234", list);

        var unmasked = await dispatcher.PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null);
        Assert.Equal("13812341234", (await unmasked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("phone").GetString());
        Assert.Contains("unmask", await Api.Actions(agent, c.Id()));
        var audit = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=unmask&pageSize=500");
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), a => a.GetProperty("target").GetString() == c.Str("number") && a.GetProperty("result").GetString() == "success");
        var exports = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=export&pageSize=500");
        Assert.NotEmpty(exports.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ConfidentialReporter_IsHiddenFromAllButHotlineAndIntake()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent, Api.Report(phone: "13900001111", confidential: true));
        Assert.Equal("13900001111", (await Api.Get(await app.As("intake"), $"/api/v1/cases/{c.Id()}")).GetProperty("reporter").GetProperty("phone").GetString());
        foreach (var user in new[] { "dispatcher", "leader", "supervisor" })
        {
            var r = (await Api.Get(await app.As(user), $"/api/v1/cases/{c.Id()}")).GetProperty("reporter");
            Assert.Equal(JsonValueKind.Null, r.GetProperty("phone").ValueKind);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("name").ValueKind);
            Assert.True(r.GetProperty("confidential").GetBoolean());
        }
        await Api.Problem(await (await app.As("dispatcher")).PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Data_SurvivesARestart_AndASecondNodeServesTheSameTokens()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });

        // A second node on the same database reads the first node's bearer token (shared key ring) and data.
        await using (var second = app.NewFactory())
        {
            var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = agent.DefaultRequestHeaders.Authorization;
            var seen = await Api.Get(client, $"/api/v1/cases/{c.Id()}");
            Assert.Equal("pending-dispatch", seen.State());
            Assert.Equal(["create", "file"], await Api.Actions(client, c.Id()));
        }
    }

    [Fact]
    public async Task Intake_IsAllOrNothing_WhenARowSavedAfterTheCaseFails()
    {
        // On PostgreSQL a new case is saved as one batch with no BEGIN/COMMIT of its own (decision 037): the batch is
        // one implicit transaction. A trigger refuses the idempotency record (saved after the case row: EF orders the
        // inserts by table) only once the case row of the same save is visible, so the intake fails after its case row
        // was written, and nothing of it may remain.
        const string Marker = "原子性探针";
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        string[] install = db.IsPostgres
            ? ["""
               CREATE FUNCTION test_refuse_probe_key() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF EXISTS (SELECT 1 FROM cases WHERE id = NEW.case_id AND description LIKE '%原子性探针%') THEN
                   RAISE EXCEPTION 'refused after the case row';
                 END IF;
                 RETURN NEW;
               END $$
               """,
               "CREATE TRIGGER test_refuse_probe_key AFTER INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION test_refuse_probe_key()"]
            : ["""
               CREATE TRIGGER test_refuse_probe_key AFTER INSERT ON idempotency_keys
               WHEN EXISTS (SELECT 1 FROM cases WHERE id = NEW.case_id AND description LIKE '%原子性探针%')
               BEGIN SELECT RAISE(ABORT, 'refused after the case row'); END
               """];
        foreach (var sql in install) await db.Database.ExecuteSqlRawAsync(sql);
        try
        {
            var agent = await app.As("agent");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cases") { Content = JsonContent.Create(Api.Report($"{Marker}：金城中路井盖缺失")) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await agent.SendAsync(request);
            Assert.False(response.IsSuccessStatusCode, "the refused idempotency record must fail the intake");
            Assert.False(await db.Cases.AnyAsync(c => c.Description.Contains(Marker)));
            // No event or fact row of a case that is not there.
            Assert.False(await db.CaseEvents.AnyAsync(e => !db.Cases.Any(c => c.Id == e.CaseId)));
            Assert.False(await db.Set<CityLoop.Domain.Indicators.CaseFact>().AnyAsync(f => !db.Cases.Any(c => c.Id == f.CaseId)));
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync(db.IsPostgres ? "DROP TRIGGER test_refuse_probe_key ON idempotency_keys" : "DROP TRIGGER test_refuse_probe_key");
            if (db.IsPostgres) await db.Database.ExecuteSqlRawAsync("DROP FUNCTION test_refuse_probe_key()");
        }
        // And the next intake goes through.
        await Api.CreateCase(await app.As("agent"), Api.Report("原子性之后的下一件"));
    }

    [Fact]
    public async Task ThePhoneLookUp_IsAnEqualityPerKey_WithNoBranchForCasesWithoutAPhone()
    {
        // The repeat check of every intake and the caller pop-up look cases up by the phone's keyed hash. Written as
        // hashes.Contains(column), EF added "OR column IS NULL AND …", which PostgreSQL's generic plan keeps: each
        // look-up then read every case without a phone (decision 037).
        var agent = await app.As("agent");
        var created = await Api.CreateCase(agent, Api.Report("来电查找", phone: "13955550123"));
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var lookUp = db.Cases.WithReporterPhone(db.PersonalData, "13955550123");
        var sql = lookUp.ToQueryString();
        Assert.DoesNotContain("IS NULL", sql, StringComparison.OrdinalIgnoreCase);
        // The hashes are parameters, not literals in the statement: one cached query and one plan for every caller.
        var statement = string.Join("\n", sql.Split('\n').Where(l => !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith(".param", StringComparison.Ordinal)));
        foreach (var hash in db.PersonalData.PhoneHashes("13955550123")) Assert.DoesNotContain(hash, statement, StringComparison.Ordinal);
        Assert.Equal(created.Id(), (await lookUp.SingleAsync()).Id);
        Assert.False(await db.Cases.WithReporterPhone(db.PersonalData, "13955550124").AnyAsync());
    }

    [Fact]
    public async Task TheMigratedSchema_HasEveryTableAndColumnOfTheModel()
    {
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        var columns = new HashSet<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = db.IsPostgres
                ? "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'"
                : "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) columns.Add(r.GetString(0));
        }
        foreach (var entity in db.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                Assert.Contains($"{entity.GetTableName()}.{property.GetColumnName()}", columns);
    }

    [Fact]
    public async Task TheMigratedSchema_HasEveryPartialIndexOfTheModel_AsAPartialIndex()
    {
        // A filtered index in the model (migration 0024: the fact row's indexes skip the rows without a value) must be
        // filtered in the database too, or every intake pays for entries that no query reads.
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        var indexes = new Dictionary<string, string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = db.IsPostgres
                ? "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) indexes[r.GetString(0)] = r.GetString(1);
        }
        var filtered = db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()).Where(i => i.GetFilter() is not null).ToList();
        Assert.Contains(filtered, i => i.GetDatabaseName() == "ix_case_facts_closed_at_platform_code");
        foreach (var index in filtered)
        {
            Assert.True(indexes.TryGetValue(index.GetDatabaseName()!, out var definition), $"{index.GetDatabaseName()} is missing");
            Assert.Contains("WHERE", definition, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task TheAuditLogAndEventLog_AreAppendOnlyEvenForSql()
    {
        var agent = await app.As("agent");
        await Api.CreateCase(agent);
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("UPDATE audit_log SET result = 'x'"));
        await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM audit_log"));
        await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM case_events"));
        Assert.True(await db.AuditLog.AnyAsync());
    }

    [Fact]
    public async Task Health_AndOpenApi_AreServed()
    {
        var client = app.Anonymous();
        var health = await Api.Get(client, "/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        var openapi = await Api.Get(client, "/openapi/v1.json");
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/api/v1/cases/{id}/actions/{action}", out _));
        await Api.Problem(await client.GetAsync("/api/v1/cases"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Citizens_TrackTheirCaseWithNumberAndQueryCode()
    {
        var c = await Api.CreateCase(await app.As("agent"));
        var client = app.Anonymous();
        var status = await Api.Get(client, $"/api/v1/public/cases/{c.Str("number")}?queryCode={c.Str("queryCode")}");
        Assert.Equal("reported", status.State());
        Assert.False(status.TryGetProperty("reporter", out _));
        await Api.Problem(await client.GetAsync($"/api/v1/public/cases/{c.Str("number")}?queryCode=000000x"), HttpStatusCode.NotFound);
    }
}

[Collection("sqlite")]
public sealed class PlatformTests_Sqlite(SqliteApp app) : PlatformTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class PlatformTests_Postgres(PostgresApp app) : PlatformTests<PostgresApp>(app), IClassFixture<PostgresApp>;

/// <summary>Limits and uploads: behaviour that does not depend on the database kind.</summary>
public sealed class GuardTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task SignIn_BeyondTheRateLimit_Gets429()
    {
        await using var node = app.NewFactory(new Dictionary<string, string> { ["RateLimits:SignInPerMinute"] = "3" });
        var client = node.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add((await client.PostAsJsonAsync("/api/v1/auth/token", new { userName = "nobody", password = "x" })).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Health_IsDegraded_WhenTheYearsHolidaysAreMissing()
    {
        var before = app.Clock.GetUtcNow();
        try
        {
            app.Clock.Set(new DateTimeOffset(2027, 6, 1, 9, 0, 0, TimeSpan.FromHours(8)));
            var health = await Api.Get(app.Anonymous(), "/health");
            Assert.Equal("degraded", health.GetProperty("status").GetString());
            Assert.Contains("2027", health.GetProperty("checks").GetProperty("calendar").GetProperty("description").GetString());
        }
        finally
        {
            app.Clock.Set(before);
        }
    }

    [Fact]
    public async Task Attachments_AreCheckedByContent_AndCanBeCitedByAnAction()
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        var png = TestImages.Png();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "file", "现场.png" } };
        var uploaded = await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", form);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var attachment = await uploaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("image/png", attachment.GetProperty("contentType").GetString());
        Assert.Equal(png, await agent.GetByteArrayAsync($"/api/v1/attachments/{attachment.Id()}"));

        using var exe = new MultipartFormDataContent { { new ByteArrayContent("MZ\x90\0"u8.ToArray()), "file", "photo.png" } };
        await Api.Problem(await agent.PostAsync($"/api/v1/cases/{c.Id()}/attachments", exe), HttpStatusCode.UnprocessableEntity);

        var verified = await Api.Act(await app.As("intake"), c.Id(), "request-verification");
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        await Api.ActOk(await app.As("inspector"), c.Id(), "verify", new { confirmed = true, attachmentIds = new[] { attachment.Id() } });
        await Api.Problem(await Api.Act(await app.As("leader"), c.Id(), "reject", new { reason = "x", attachmentIds = new[] { Guid.NewGuid() } }), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["create", "attach", "request-verification", "verify"], await Api.Actions(agent, c.Id()));
    }
}
