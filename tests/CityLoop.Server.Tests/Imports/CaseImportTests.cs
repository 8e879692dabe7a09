using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Imports;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;

namespace CityLoop.Server.Tests.Imports;

/// <summary>
/// Historical imports on both databases: the committed 附件4 extract through its committed mapping, CSV, xlsx and JSON
/// lines, a re-run that adds nothing, broken rows reported one by one, histories checked by the transition table, and
/// the figures counting imports only where they carry the inputs (and rebuilding the same from the events).
/// </summary>
public abstract class CaseImportTests<TApp>(TApp app) where TApp : AppFixture
{
    static string Here(string path) => Path.Combine(AppContext.BaseDirectory, path);
    static readonly string Extract = Here("Imports/Data/tipdm2020-c-fj4-extract.csv");
    static ImportMapping Tipdm(string origin) =>
        ImportMapping.Parse(File.ReadAllText(Here("Imports/Mappings/tipdm2020-c-attachment4.json"))) with { Origin = origin };
    static string Origin() => "t-" + Guid.NewGuid().ToString("N")[..10];

    async Task<CaseImportReport> ImportAsync(ImportMapping mapping, string fileName, byte[] content, int batch = 500)
    {
        using var scope = app.Factory.Services.CreateScope();
        using var stream = new MemoryStream(content);
        return await scope.ServiceProvider.GetRequiredService<CaseImporter>().ImportAsync(stream, fileName, mapping, batchSize: batch);
    }

    async Task<T> Db<T>(Func<CityLoopDb, Task<T>> read)
    {
        using var scope = app.Factory.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
    }

    Task<List<CaseImportRow>> Rows(string origin) => Db(db => db.Set<CaseImportRow>().AsNoTracking().Where(r => r.Origin == origin).ToListAsync());

    static ImportMapping Simple(string origin, string extra = "") => ImportMapping.Parse($$"""
        {
          "origin": "{{origin}}",
          "key": ["id"],
          "dateFormats": ["yyyy-MM-dd HH:mm", "excel-serial"],
          "fields": { "sourceId": "id", "createdAt": "created", "description": "text", "category": "type", "department": "agency",
                      "closedAt": "closed", "repliedAt": "closed", "reply": "answer", "latitude": "lat", "longitude": "lon", "address": "address" },
          "values": { "category": { "Manhole": "C0101" }, "department": { "DSNY": "SZGLC", "NOPE": "NO-SUCH-DEPT" } },
          "defaults": { "requestType": "complaint" }{{extra}}
        }
        """);

    [Fact]
    public async Task TipdmExtract_ThroughTheCommittedMapping_BecomesClosedCasesWithOneImportEvent_AndFlagsWhatIsMissing()
    {
        var origin = Origin();
        var report = await ImportAsync(Tipdm(origin), "tipdm2020-c-fj4-extract.csv", await File.ReadAllBytesAsync(Extract));

        Assert.Equal(12, report.Rows);
        Assert.Equal(12, report.Created);
        Assert.Equal(0, report.Rejected);
        // The board gives no category and no place; its years (2012–2018) have no calendar loaded, so no verdicts.
        Assert.Equal(12, report.Flags["category-missing"]);
        Assert.Equal(12, report.Flags["place-missing"]);
        Assert.Equal(12, report.Flags["reply-verdict-unknown"]);

        var row = (await Rows(origin)).Single(r => r.SourceKey == "6597");
        var (c, events) = await Db(async db => (await db.Cases.AsNoTracking().SingleAsync(x => x.Id == row.CaseId),
            await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == row.CaseId).OrderBy(e => e.Seq).ToListAsync()));
        Assert.Equal(CaseState.Closed, c.State);
        Assert.Equal(CaseSource.Import, c.Source);
        Assert.Equal("6597", c.ExternalId);
        Assert.Equal("A市房产转让资格咨询", c.Title);
        Assert.Equal(new DateTimeOffset(2018, 3, 15, 18, 13, 9, TimeSpan.FromHours(8)), c.CreatedAt);
        Assert.Equal(new DateTimeOffset(2018, 4, 8, 16, 19, 32, TimeSpan.FromHours(8)), c.ClosedAt);
        Assert.StartsWith("您好！您的留言已收悉。", c.Answer);
        // Only what the source recorded: the creation and one event with its facts, no invented steps.
        Assert.Equal(["create", "import-facts"], events.Select(e => e.Action));
        Assert.Contains($"\"origin\":\"{origin}\"", events[0].Payload);
        Assert.Contains("\"placeMissing\":true", events[0].Payload);
        Assert.Equal(c.ClosedAt, events[1].At);
        Assert.DoesNotContain("onTime", events[1].Payload);
    }

    [Fact]
    public async Task ReRun_OfTheSameFile_AddsNothing()
    {
        var origin = Origin();
        var bytes = await File.ReadAllBytesAsync(Extract);
        var first = await ImportAsync(Tipdm(origin), "extract.csv", bytes, batch: 5);
        var cases = await Db(db => db.Cases.CountAsync());
        var events = await Db(db => db.CaseEvents.CountAsync());

        var second = await ImportAsync(Tipdm(origin), "extract.csv", bytes, batch: 5);

        Assert.Equal(12, first.Created);
        Assert.Equal(0, second.Created);
        Assert.Equal(12, second.AlreadyImported);
        Assert.Equal(cases, await Db(db => db.Cases.CountAsync()));
        Assert.Equal(events, await Db(db => db.CaseEvents.CountAsync()));
        Assert.Equal(12, (await Rows(origin)).Count);
    }

    [Fact]
    public async Task BrokenRows_AreReportedWithRowAndColumn_AndTheValidRowsAreKept()
    {
        var origin = Origin();
        var csv = """
            id,created,text,type,agency,closed,answer,lat,lon,address
            1,2026-05-04 09:00,井盖缺失,Manhole,DSNY,2026-05-05 10:00,已补装,24.69,108.06,
            2,yesterday,路灯不亮,,,,,,,
            3,,垃圾满溢,,,,,,,
            4,2026-05-04 09:00,噪音扰民,,NOPE,,,,,
            5,2026-05-04 09:00,积水,,,2026-05-03 09:00,,,,
            6,2026-05-04 09:00,道路破损,,,,,north,108.06,
            8,2026-05-04 09:00,井盖松动,Pothole,,,,,,中山路 3 号
            7,2026-05-04 09:00,"未闭合的引号,,,,,,,,
            """;
        var report = await ImportAsync(Simple(origin), "broken.csv", Encoding.UTF8.GetBytes(csv.Replace("\r\n", "\n")));

        Assert.Equal(2, report.Created);
        var errors = report.Errors.ToDictionary(e => e.Row);
        Assert.Equal("created", errors[3].Column);
        Assert.Contains("'yesterday' is not a date", errors[3].Message);
        // Told in both languages: the admin page shows the reader's.
        Assert.Contains("“yesterday”不符合映射中的日期格式", errors[3].MessageZh);
        Assert.All(report.Errors, e => Assert.Matches(@"[\u3400-\u9FFF]", e.MessageZh ?? e.Message));
        Assert.Equal("created", errors[4].Column);
        Assert.Equal("agency", errors[5].Column);
        Assert.Contains("not a department", errors[5].Message);
        Assert.Equal("closed", errors[6].Column);
        Assert.Equal("lat", errors[7].Column);
        Assert.True(report.Errors.Single(e => e.Column == "*").Row >= 9);
        Assert.Equal(6, report.Rejected);
        var kept = await Rows(origin);
        Assert.Equal(["1", "8"], kept.Select(r => r.SourceKey).Order());
        // An unmapped complaint type leaves the category empty and flags the row.
        Assert.Equal("category-unmapped", kept.Single(r => r.SourceKey == "8").Flags);
    }

    [Fact]
    public async Task Xlsx_WithTextDatesAndExcelSerials_IsImported()
    {
        var origin = Origin();
        var sheet = new[]
        {
            new Dictionary<string, object?> { ["id"] = "x1", ["created"] = "2026-05-04 09:00", ["text"] = "井盖缺失", ["type"] = "Manhole", ["agency"] = "DSNY", ["closed"] = "2026-05-04 15:00", ["answer"] = "已处理", ["lat"] = 24.69, ["lon"] = 108.06, ["address"] = null },
            // 46146.5 is 2026-05-04 12:00 as an Excel day number.
            new Dictionary<string, object?> { ["id"] = "x2", ["created"] = 46146.5, ["text"] = "路灯不亮", ["type"] = null, ["agency"] = null, ["closed"] = null, ["answer"] = null, ["lat"] = null, ["lon"] = null, ["address"] = "中山路 3 号" },
        };
        using var ms = new MemoryStream();
        await ms.SaveAsAsync(sheet);

        var report = await ImportAsync(Simple(origin), "cases.xlsx", ms.ToArray());

        Assert.Equal(2, report.Created);
        var x2 = (await Rows(origin)).Single(r => r.SourceKey == "x2");
        var created = await Db(db => db.Cases.AsNoTracking().Where(c => c.Id == x2.CaseId).Select(c => c.CreatedAt).SingleAsync());
        Assert.Equal(new DateTimeOffset(2026, 5, 4, 12, 0, 0, TimeSpan.FromHours(8)), created);
    }

    static string HistoryMapping(string origin) => $$"""
        {
          "origin": "{{origin}}",
          "key": ["id"],
          "fields": { "sourceId": "id", "createdAt": "created", "description": "text", "category": "category",
                      "latitude": "lat", "longitude": "lon", "address": "address" },
          "values": { "department": { "Sanitation": "SZGLC" } },
          "defaults": { "requestType": "complaint" },
          "historyColumn": "history"
        }
        """;

    static string Line(string id, params object[] steps) => JsonSerializer.Serialize(new
    {
        id, created = "2026-05-04T09:00:00+08:00", text = "金城中路井盖缺失", category = "C0101", lat = 24.69, lon = 108.06, address = "金城中路 12 号",
        history = steps,
    });

    [Fact]
    public async Task JsonLines_WithTheirHistory_ArePerformedThroughTheTransitionTable()
    {
        var origin = Origin();
        var lines = string.Join("\n",
            Line("h1",
                new { action = "file", at = "2026-05-04T09:20:00+08:00", standardItem = "C0101-01" },
                new { action = "dispatch", at = "2026-05-04T09:40:00+08:00", leadDepartment = "Sanitation" },
                new { action = "sign-for", at = "2026-05-04T10:00:00+08:00" },
                new { action = "finish", at = "2026-05-05T10:00:00+08:00", result = "已补装井盖" },
                new { action = "check-pass", at = "2026-05-05T11:00:00+08:00", opinion = "回访市民确认已补装" },
                new { action = "close", at = "2026-05-05T12:00:00+08:00", standardItem = "C0101-01" },
                new { action = "follow-up", at = "2026-05-06T09:00:00+08:00", contacted = true, satisfaction = "满意", resolved = true }),
            Line("h2"));

        var report = await ImportAsync(ImportMapping.Parse(HistoryMapping(origin)), "history.jsonl", Encoding.UTF8.GetBytes(lines));

        Assert.Equal(2, report.Created);
        var h1 = (await Rows(origin)).Single(r => r.SourceKey == "h1");
        var (c, events, fact) = await Db(async db => (await db.Cases.AsNoTracking().SingleAsync(x => x.Id == h1.CaseId),
            await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == h1.CaseId).OrderBy(e => e.Seq).ToListAsync(),
            await db.Set<CaseFact>().AsNoTracking().SingleAsync(f => f.CaseId == h1.CaseId)));
        Assert.Equal(CaseState.Closed, c.State);
        Assert.Equal("SZGLC", c.LeadDepartmentCode);
        Assert.Equal(Satisfaction.Satisfied, c.FollowUpSatisfaction);
        Assert.Equal(["create", "file", "dispatch", "sign-for", "finish", "check-pass", "close", "follow-up"], events.Select(e => e.Action));
        Assert.Equal(new DateTimeOffset(2026, 5, 5, 10, 0, 0, TimeSpan.FromHours(8)), events[4].At);
        // Each step in the role the table allows, in the case's department where the role is a department's.
        Assert.Equal("SZGLC", events[3].DepartmentCode);
        Assert.All(events, e => Assert.Equal("import:" + origin, e.ActorId));
        Assert.Equal((1, 1, 1, 1, 1), (fact.Imported, fact.StepsKnown, fact.Archived, fact.ClosedFollowedUp, fact.Satisfied));
        Assert.Equal(origin, fact.ImportOrigin);
        // A source that records only the creation stores only the creation.
        var h2 = (await Rows(origin)).Single(r => r.SourceKey == "h2");
        Assert.Equal(["create"], await Db(db => db.CaseEvents.Where(e => e.CaseId == h2.CaseId).Select(e => e.Action).ToListAsync()));
    }

    [Fact]
    public async Task AnIllegalHistory_RejectsItsRow_AndStoresNothingOfIt()
    {
        var origin = Origin();
        var lines = string.Join("\n",
            // Dispatched before it was filed: the table does not allow it.
            Line("bad1", new { action = "dispatch", at = "2026-05-04T09:40:00+08:00", leadDepartment = "Sanitation" }),
            // Steps out of order in time.
            Line("bad2", new { action = "file", at = "2026-05-04T09:20:00+08:00", standardItem = "C0101-01" },
                new { action = "dispatch", at = "2026-05-04T09:10:00+08:00", leadDepartment = "Sanitation" }),
            // Closed without the standard item the close needs.
            Line("bad3", new { action = "file", at = "2026-05-04T09:20:00+08:00", standardItem = "C0101-01" },
                new { action = "dispatch", at = "2026-05-04T09:40:00+08:00", leadDepartment = "Sanitation" },
                new { action = "close", at = "2026-05-04T10:00:00+08:00" }),
            Line("bad4", new { action = "teleport", at = "2026-05-04T09:20:00+08:00" }),
            Line("good", new { action = "file", at = "2026-05-04T09:20:00+08:00", standardItem = "C0101-01" }));

        var report = await ImportAsync(ImportMapping.Parse(HistoryMapping(origin)), "history.jsonl", Encoding.UTF8.GetBytes(lines));

        Assert.Equal(1, report.Created);
        var errors = report.Errors.ToDictionary(e => e.Row);
        Assert.Equal("step 1 (dispatch)", errors[1].Column);
        Assert.Contains("not allowed while the case is reported", errors[1].Message);
        Assert.Equal("step 2 (dispatch)", errors[2].Column);
        Assert.Equal("step 3 (close)", errors[3].Column);
        Assert.Equal("history[1]", errors[4].Column);
        Assert.Equal(["good"], (await Rows(origin)).Select(r => r.SourceKey));
        Assert.False(await Db(db => db.Cases.AnyAsync(c => c.ExternalId == "bad1" || c.ExternalId == "bad2" || c.ExternalId == "bad3")));
    }

    [Fact]
    public async Task Figures_CountImportsOnlyWhereTheyCarryTheInputs_AndTheRebuildAgrees()
    {
        var origin = Origin();
        // 2026 has its holidays loaded (a verdict is possible); 2019 has not.
        var csv = """
            id,created,text,type,agency,closed,answer,lat,lon,address
            in-time,2026-05-06 09:00,井盖缺失,Manhole,DSNY,2026-05-06 09:30,已补装,24.69,108.06,
            late,2026-05-06 09:00,井盖缺失,Manhole,DSNY,2026-07-30 15:00,已补装,24.69,108.06,
            old,2019-05-06 09:00,井盖缺失,Manhole,DSNY,2019-05-06 15:00,已补装,24.69,108.06,
            open,2026-05-06 09:00,井盖缺失,Manhole,,,,24.69,108.06,
            """;
        var report = await ImportAsync(Simple(origin), "facts.csv", Encoding.UTF8.GetBytes(csv.Replace("\r\n", "\n")));
        Assert.Equal(4, report.Created);
        Assert.Equal(1, report.Flags["reply-verdict-unknown"]);

        var ids = (await Rows(origin)).ToDictionary(r => r.SourceKey, r => r.CaseId);
        async Task<Dictionary<string, CaseFact>> Facts() => await Db(async db =>
            (await db.Set<CaseFact>().AsNoTracking().Where(f => ids.Values.Contains(f.CaseId)).ToListAsync())
            .ToDictionary(f => ids.Single(i => i.Value == f.CaseId).Key));
        var facts = await Facts();

        Assert.All(facts.Values, f => Assert.Equal((1, 1, origin), (f.Imported, f.Reported, f.ImportOrigin)));
        Assert.Equal((1, 1, 1), (facts["in-time"].Closed, facts["in-time"].RepliedOnTime, facts["in-time"].ReplyKnown));
        Assert.Equal((1, 0, 1), (facts["late"].Closed, facts["late"].RepliedOnTime, facts["late"].ReplyKnown));
        Assert.Equal((1, 0, 0), (facts["old"].Closed, facts["old"].RepliedOnTime, facts["old"].ReplyKnown));
        Assert.Equal((0, 1, 0), (facts["open"].Closed, facts["open"].Unclosed, facts["open"].ReplyKnown));
        // Facts carry no filing, dispatch, rework or follow-up: those rates leave them out, numerator and denominator.
        Assert.All(facts.Values, f => Assert.Equal((0, 0, 0, 0, 0, 0), (f.StepsKnown, f.ClosedStepsKnown, f.Filed, f.Dispatched, f.NeedDispose, f.ClosedFirstTime)));

        var rate = (string id) => IndicatorCatalogue.All.Single(d => d.Id == id).Evaluate(facts.Values);
        Assert.Equal(new IndicatorResult(75.00m, 3, 4), rate("completion-rate"));
        Assert.Equal(new IndicatorResult(50.00m, 1, 2), rate("timely-feedback-rate"));
        Assert.Null(rate("follow-up-rate").Value);
        Assert.Null(rate("valid-report-rate").Value);

        // The projection is rebuilt from the events alone, to the same rows.
        using (var scope = app.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<ProjectionRebuilder>().RebuildAsync(3, restart: true);
        var rebuilt = await Facts();
        Assert.Equal(Snapshot(facts), Snapshot(rebuilt));
    }

    static List<string> Snapshot(Dictionary<string, CaseFact> facts) => facts.OrderBy(f => f.Key).Select(f => f.Key + ":" + string.Join("|",
        typeof(CaseFact).GetProperties().Where(p => p.CanWrite).Select(p => p.GetValue(f.Value) switch
        {
            DateTimeOffset d => d.ToUniversalTime().ToUnixTimeMilliseconds().ToString(),
            var v => v?.ToString() ?? "∅",
        }))).ToList();

    [Fact]
    public async Task AdminUpload_AnswersWithThePerRowReport_AndOnlyTheSystemAdministratorMayUpload()
    {
        var origin = Origin();
        MultipartFormDataContent Form()
        {
            var form = new MultipartFormDataContent();
            var data = new ByteArrayContent(File.ReadAllBytes(Extract));
            data.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(data, "file", "tipdm-extract.csv");
            var mapping = File.ReadAllText(Here("Imports/Mappings/tipdm2020-c-attachment4.json")).Replace("\"tipdm2020-c-fj4\"", $"\"{origin}\"");
            form.Add(new StringContent(mapping, Encoding.UTF8, "application/json"), "mapping", "mapping.json");
            return form;
        }

        var refused = await (await app.As("dispatcher")).PostAsync("/api/v1/admin/case-imports", Form());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var admin = await app.As("admin");
        var response = await admin.PostAsync("/api/v1/admin/case-imports", Form());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(12, report.GetProperty("created").GetInt32());
        Assert.Equal(origin, report.GetProperty("origin").GetString());

        var badMapping = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(Extract)), "file", "x.csv" },
            { new StringContent("{\"origin\":\"x\",\"fields\":{\"when\":\"a\"}}"), "mapping", "m.json" },
        };
        var problem = await Api.Problem(await admin.PostAsync("/api/v1/admin/case-imports", badMapping), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("'when' is not a field", problem.GetRawText());
    }

    [Fact]
    public async Task ImportCases_FromTheCommandLine_ReportsAndExitsOneOnRejectedRows()
    {
        string[] db = [$"--Database:Provider={app.Provider}", $"--Database:ConnectionString={app.ConnectionString}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"];
        var origin = Origin();
        var mapping = Path.GetTempFileName();
        await File.WriteAllTextAsync(mapping, File.ReadAllText(Here("Imports/Mappings/tipdm2020-c-attachment4.json")).Replace("\"tipdm2020-c-fj4\"", $"\"{origin}\""));
        Assert.Equal(0, await Verbs.RunAsync(["import-cases", "--file", Extract, "--mapping", mapping, .. db]));
        Assert.Equal(12, (await Rows(origin)).Count);

        var broken = Path.ChangeExtension(Path.GetTempFileName(), ".csv");
        await File.WriteAllTextAsync(broken, "留言编号,留言主题,留言时间,留言详情,答复意见,答复时间\n1,主题,not-a-date,详情,答复,2020/1/2 10:00:00\n");
        Assert.Equal(1, await Verbs.RunAsync(["import-cases", "--file", broken, "--mapping", mapping, .. db]));
        Assert.Equal(2, await Verbs.RunAsync(["import-cases", "--file", broken, .. db]));
    }
}

[Collection("sqlite")]
public sealed class CaseImportTests_Sqlite(SqliteApp app) : CaseImportTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CaseImportTests_Postgres(PostgresApp app) : CaseImportTests<PostgresApp>(app), IClassFixture<PostgresApp>;
