using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Camera;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Inspector;

/// <summary>
/// The inspector's phone over HTTP — duty, the patrol track, 漏报, a patrol report sent twice, tasks completed in one
/// step — and the camera alerts API: a case awaiting verification, folding of repeats, its scope and its refusals.
/// </summary>
public abstract class InspectorTests<TApp>(TApp app) where TApp : AppFixture
{
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
    static readonly byte[] Exe = [(byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00];

    /// <summary>Two points inside one demo grid, and the grid's code.</summary>
    (string Grid, double Lat, double Lon) InsideAGrid(int index = 3)
    {
        var grid = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids[index];
        var p = grid.Polygon.InteriorPoint;
        return (grid.Code, Math.Round(p.Y, 6), Math.Round(p.X, 6));
    }

    async Task<HttpClient> CameraAsync(params string[] scopes)
    {
        var security = await app.As("security");
        var response = await security.PostAsJsonAsync("/api/v1/admin/api-keys", new
        {
            name = "camera-" + Guid.NewGuid().ToString("N")[..8], role = "camera-channel", scopes = scopes.Length == 0 ? ["camera:alerts"] : scopes,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        return client;
    }

    object Alert(string camera, string category = "E0505", double? lat = null, double? lon = null, DateTimeOffset? at = null, byte[]? snapshot = null,
        double confidence = 0.91)
    {
        var (_, la, lo) = InsideAGrid();
        return new
        {
            cameraId = camera, detectedAt = at ?? app.Clock.GetUtcNow(), categoryCode = category, confidence,
            lat = lat ?? la, lon = lon ?? lo, snapshot = Convert.ToBase64String(snapshot ?? Png),
        };
    }

    async Task<JsonElement> Send(HttpClient camera, object alert, HttpStatusCode expected)
    {
        var response = await camera.PostAsJsonAsync("/api/v1/camera-alerts", alert);
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<string> InspectorIdAsync()
    {
        using var scope = app.Factory.Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Users.AsNoTracking().SingleAsync(u => u.UserName == "inspector")).Id.ToString();
    }

    [Fact]
    public async Task CameraAlert_BecomesAVideoCaseAwaitingTheGridInspectorsVerification_WithItsSnapshot()
    {
        var camera = await CameraAsync();
        var result = await Send(camera, Alert("cam-" + Guid.NewGuid().ToString("N")[..6]), HttpStatusCode.Created);
        Assert.False(result.GetProperty("folded").GetBoolean());
        Assert.Equal("verifying", result.GetProperty("state").GetString());

        var caseId = result.GetProperty("caseId").GetGuid();
        var c = await Api.Get(await app.As("intake"), $"/api/v1/cases/{caseId}");
        Assert.Equal("video", c.GetProperty("source").GetString());
        Assert.Equal("E0505", c.GetProperty("categoryCode").GetString());
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var stored = await db.Cases.AsNoTracking().SingleAsync(x => x.Id == caseId);
        Assert.Equal(await InspectorIdAsync(), stored.AssignedInspector);
        var photo = await db.Attachments.AsNoTracking().SingleAsync(a => a.CaseId == caseId);
        Assert.Equal("image/png", photo.ContentType);
        Assert.Equal(Png, photo.Content);
        Assert.Equal(["create", "attach"], (await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId).OrderBy(e => e.Seq).Select(e => e.Action).ToListAsync())
            .Where(a => a is "create" or "attach"));
        Assert.Contains("request-verification", await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId).Select(e => e.Action).ToListAsync());

        // The inspector sees it on the phone's task list and verifies it with a photo in one step.
        var inspector = await app.As("inspector");
        var tasks = await Api.Get(inspector, "/api/v1/patrol/tasks");
        Assert.Contains(tasks.EnumerateArray(), t => t.GetProperty("id").GetGuid() == caseId && t.GetProperty("kind").GetString() == "verify");
        using var form = new MultipartFormDataContent { { new StringContent("pass"), "verdict" }, { new StringContent("现场确有车辆占道") , "opinion" } };
        form.Add(new ByteArrayContent(Png), "photos", "site.png");
        var done = await inspector.PostAsync($"/api/v1/patrol/tasks/{caseId}", form);
        Assert.True(done.StatusCode == HttpStatusCode.OK, await done.Content.ReadAsStringAsync());
        Assert.Equal("pending-filing", (await done.Content.ReadFromJsonAsync<JsonElement>()).State());
        Assert.Equal(2, await db.Attachments.CountAsync(a => a.CaseId == caseId));
    }

    [Fact]
    public async Task CameraAlert_RepeatedBySameCameraAndCategory_FoldsIntoTheOpenCase_UntilTheWindowPassesOrTheCaseEnds()
    {
        var camera = await CameraAsync();
        var cam = "cam-" + Guid.NewGuid().ToString("N")[..6];
        var first = await Send(camera, Alert(cam), HttpStatusCode.Created);
        var caseId = first.GetProperty("caseId").GetGuid();
        int Cases() { using var s = app.Factory.Services.CreateScope(); return s.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.Count(); }
        var before = Cases();

        app.Clock.Advance(TimeSpan.FromMinutes(10));
        var repeat = await Send(camera, Alert(cam), HttpStatusCode.OK);
        Assert.True(repeat.GetProperty("folded").GetBoolean());
        Assert.Equal(caseId, repeat.GetProperty("caseId").GetGuid());
        Assert.Equal(before, Cases());
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            Assert.Equal(2, await db.Attachments.CountAsync(a => a.CaseId == caseId));
            Assert.Equal(1, await db.CaseEvents.CountAsync(e => e.CaseId == caseId && e.Action == "camera-alert"));
        }

        // Another category from the same camera, or the same category from another camera, is another problem.
        var other = await Send(camera, Alert(cam, category: "E0104"), HttpStatusCode.Created);
        Assert.NotEqual(caseId, other.GetProperty("caseId").GetGuid());
        var otherCamera = await Send(camera, Alert(cam + "-b"), HttpStatusCode.Created);
        Assert.NotEqual(caseId, otherCamera.GetProperty("caseId").GetGuid());

        // The window runs from the last alert: 50 minutes on it still folds, 61 minutes after that it does not.
        app.Clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(caseId, (await Send(camera, Alert(cam), HttpStatusCode.OK)).GetProperty("caseId").GetGuid());
        app.Clock.Advance(TimeSpan.FromMinutes(61));
        var late = await Send(camera, Alert(cam), HttpStatusCode.Created);
        Assert.NotEqual(caseId, late.GetProperty("caseId").GetGuid());

        // A case that has ended (not real, rejected at filing) takes no more repeats.
        var lateId = late.GetProperty("caseId").GetGuid();
        var inspector = await app.As("inspector");
        using (var form = new MultipartFormDataContent { { new StringContent("fail"), "verdict" }, { new StringContent("现场无此情况"), "opinion" } })
            Assert.Equal(HttpStatusCode.OK, (await inspector.PostAsync($"/api/v1/patrol/tasks/{lateId}", form)).StatusCode);
        await Api.ActOk(await app.As("leader"), lateId, "reject", new { reason = "核实不属实" });
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.NotEqual(lateId, (await Send(camera, Alert(cam), HttpStatusCode.Created)).GetProperty("caseId").GetGuid());
    }

    [Fact]
    public async Task CameraAlerts_SentAtOnce_BySameCameraAndCategory_MakeOneCase_TheOthersFoldIntoIt()
    {
        var camera = await CameraAsync();
        var cam = "cam-" + Guid.NewGuid().ToString("N")[..6];
        var alert = Alert(cam);
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => camera.PostAsJsonAsync("/api/v1/camera-alerts", alert)));
        foreach (var r in responses) Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Single(bodies.Select(b => b.GetProperty("caseId").GetGuid()).Distinct());
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(5, bodies.Count(b => b.GetProperty("folded").GetBoolean()));
    }

    [Fact]
    public async Task CameraAlerts_NeedTheirOwnScope_AndTheCameraKeyReachesNothingElse()
    {
        var intakeKey = await CameraAsync("cases:create");
        await Api.Problem(await intakeKey.PostAsJsonAsync("/api/v1/camera-alerts", Alert("cam-x")), HttpStatusCode.Forbidden);
        var camera = await CameraAsync();
        await Api.Problem(await camera.PostAsJsonAsync("/api/v1/cases", Api.Report()), HttpStatusCode.Forbidden);
        await Api.Problem(await camera.GetAsync("/api/v1/patrol/tasks"), HttpStatusCode.Forbidden);
        // People do not post camera alerts; nobody unsigned does.
        await Api.Problem(await (await app.As("intake")).PostAsJsonAsync("/api/v1/camera-alerts", Alert("cam-x")), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PostAsJsonAsync("/api/v1/camera-alerts", Alert("cam-x"))).StatusCode);
        var wrong = app.Anonymous();
        wrong.DefaultRequestHeaders.Add("X-Api-Key", "nope.nothing");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsJsonAsync("/api/v1/camera-alerts", Alert("cam-x"))).StatusCode);
    }

    [Fact]
    public async Task CameraAlert_WithBadInput_IsA400ProblemNamingTheField_AndStoresNothing()
    {
        var camera = await CameraAsync();
        int Alerts() { using var s = app.Factory.Services.CreateScope(); return s.ServiceProvider.GetRequiredService<CityLoopDb>().Set<CameraAlert>().Count(); }
        var before = Alerts();
        async Task Bad(object body, string field)
        {
            var problem = await Api.Problem(await camera.PostAsJsonAsync("/api/v1/camera-alerts", body), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field} not named in {problem}");
        }
        var (_, lat, lon) = InsideAGrid();
        var now = app.Clock.GetUtcNow();
        var png = Convert.ToBase64String(Png);
        await Bad(new { detectedAt = now, categoryCode = "E0505", confidence = 0.9, lat, lon, snapshot = png }, "cameraId");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 1.5, lat, lon, snapshot = png }, "confidence");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.2, lat, lon, snapshot = png }, "confidence");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "Z9999", confidence = 0.9, lat, lon, snapshot = png }, "categoryCode");
        await Bad(new { cameraId = "c1", categoryCode = "E0505", confidence = 0.9, lat, lon, snapshot = png }, "detectedAt");
        await Bad(new { cameraId = "c1", detectedAt = now.AddHours(2), categoryCode = "E0505", confidence = 0.9, lat, lon, snapshot = png }, "detectedAt");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.9, lat = 95.0, lon, snapshot = png }, "location");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.9, snapshot = png }, "location");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.9, lat, lon }, "snapshot");
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.9, lat, lon, snapshot = "%%%not base64" }, "snapshot");
        // The snapshot's bytes decide: an executable called a photo is refused.
        await Bad(new { cameraId = "c1", detectedAt = now, categoryCode = "E0505", confidence = 0.9, lat, lon, snapshot = Convert.ToBase64String(Exe) }, "snapshot");
        using (var broken = new StringContent("{\"cameraId\": ", System.Text.Encoding.UTF8, "application/json"))
            await Api.Problem(await camera.PostAsync("/api/v1/camera-alerts", broken), HttpStatusCode.BadRequest);
        Assert.Equal(before, Alerts());

        // The same alert as multipart/form-data, with the snapshot as a file, is accepted.
        using var form = new MultipartFormDataContent
        {
            { new StringContent("cam-form-" + Guid.NewGuid().ToString("N")[..4]), "cameraId" }, { new StringContent(now.ToString("O")), "detectedAt" },
            { new StringContent("E0505"), "categoryCode" }, { new StringContent("0.8"), "confidence" },
            { new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat" }, { new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon" },
        };
        form.Add(new ByteArrayContent(Png), "snapshot", "snap.png");
        var created = await camera.PostAsync("/api/v1/camera-alerts", form);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        Assert.Equal(before + 1, Alerts());
    }

    async Task Duty(HttpClient inspector, bool on) =>
        Assert.Equal(on, (await (await inspector.PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = on })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("onDuty").GetBoolean());

    [Fact]
    public async Task PatrolTrack_IsRecordedOnlyOnDuty_AndReadByTheInspectorAndTheCommandCentre()
    {
        var inspector = await app.As("inspector");
        var (grid, lat, lon) = InsideAGrid();
        await Duty(inspector, false);
        await Api.Problem(await inspector.PostAsJsonAsync("/api/v1/patrol/positions", new { lat, lon }), HttpStatusCode.Conflict);

        var from = app.Clock.GetUtcNow();
        await Duty(inspector, true);
        Assert.Equal(HttpStatusCode.OK, (await inspector.PostAsJsonAsync("/api/v1/patrol/positions", new { lat, lon, accuracy = 8.5 })).StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await inspector.PostAsJsonAsync("/api/v1/patrol/positions", new { lat = lat + 0.001, lon })).StatusCode);
        await Api.Problem(await inspector.PostAsJsonAsync("/api/v1/patrol/positions", new { lat = 91.0, lon }), HttpStatusCode.UnprocessableEntity);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await Duty(inspector, false);
        var to = app.Clock.GetUtcNow().AddSeconds(1);

        var url = $"/api/v1/inspectors/inspector/track?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";
        var track = await Api.Get(inspector, url);
        Assert.Equal(2, track.GetProperty("points").GetInt32());
        Assert.InRange(track.GetProperty("metres").GetDouble(), 100, 120);
        var shift = Assert.Single(track.GetProperty("shifts").EnumerateArray());
        Assert.Equal(JsonValueKind.String, shift.GetProperty("endedAt").ValueKind);
        // Each position is placed in its grid (111 m north may already be the next one).
        Assert.Equal(grid, shift.GetProperty("points")[0].GetProperty("gridCode").GetString());
        Assert.All(shift.GetProperty("points").EnumerateArray(), p => Assert.StartsWith("451202", p.GetProperty("gridCode").GetString()));
        Assert.Equal(2, (await Api.Get(await app.As("supervisor"), url)).GetProperty("points").GetInt32());
        await Api.Problem(await (await app.As("handler")).GetAsync(url), HttpStatusCode.Forbidden);
        await Api.Problem(await (await app.As("agent")).PostAsJsonAsync("/api/v1/patrol/duty", new { onDuty = true }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Missed_CountsValidCasesOthersReportedInTheInspectorsGridsWhileOnDuty()
    {
        var inspector = await app.As("inspector");
        var agent = await app.As("agent");
        var (_, lat, lon) = InsideAGrid(5);
        object Hotline(string text) => new { source = "hotline", requestType = "complaint", description = text, categoryCode = "C0101", location = new { lat, lon } };
        await Duty(inspector, false);
        var from = app.Clock.GetUtcNow();

        await Api.CreateCase(agent, Hotline("不在岗时市民反映井盖缺失"));      // off duty: not a miss
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await Duty(inspector, true);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var missed = await Api.CreateCase(agent, Hotline("在岗时市民反映井盖缺失"));   // on duty, reported by someone else: a miss
        var rejected = await Api.CreateCase(agent, Hotline("在岗时市民反映井盖缺失（重复）"));
        await Api.ActOk(await app.As("leader"), rejected.Id(), "reject", new { reason = "重复上报" }); // not valid: not a miss
        await Api.CreateCase(agent, new { source = "hotline", requestType = "complaint", description = "网格外的井盖问题", categoryCode = "C0101", location = new { lat = 30.0, lon = 120.0 } });

        // The inspector's own report in the grid counts as found, not missed.
        using (var form = new MultipartFormDataContent
        {
            { new StringContent("C0101"), "categoryCode" }, { new StringContent("巡查发现井盖缺失"), "description" },
            { new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat" }, { new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon" },
        })
        {
            form.Add(new ByteArrayContent(Png), "photos", "p.png");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrol/reports") { Content = form };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            Assert.Equal(HttpStatusCode.Created, (await inspector.SendAsync(request)).StatusCode);
        }
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await Duty(inspector, false);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await Api.CreateCase(agent, Hotline("下班后市民反映井盖缺失"));          // off duty again: not a miss
        var to = app.Clock.GetUtcNow().AddSeconds(1);

        var url = $"/api/v1/inspectors/inspector/missed?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&groupBy=day";
        var result = await Api.Get(await app.As("supervisor"), url);
        Assert.Equal(1, result.GetProperty("missed").GetInt32());
        Assert.Equal(1, result.GetProperty("ownReports").GetInt32());
        Assert.Equal(missed.GetProperty("number").GetString(), Assert.Single(result.GetProperty("cases").EnumerateArray()).GetProperty("number").GetString());
        var period = Assert.Single(result.GetProperty("periods").EnumerateArray());
        Assert.Equal(1, period.GetProperty("missed").GetInt32());
        Assert.Equal(TimeZoneInfo.ConvertTime(from, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).ToString("yyyy-MM-dd"), period.GetProperty("period").GetString());
        Assert.InRange(result.GetProperty("dutyHours").GetDouble(), 0.16, 0.17);
        Assert.Equal(1, (await Api.Get(inspector, url)).GetProperty("missed").GetInt32());
        await Api.Problem(await agent.GetAsync(url), HttpStatusCode.Forbidden);
        await Api.Problem(await inspector.GetAsync(url.Replace("groupBy=day", "groupBy=week")), HttpStatusCode.UnprocessableEntity);
    }

    /// <summary>
    /// The assessment's 漏报 counts (<see cref="Features.Inspector.PatrolService.MissedCountsAsync"/>, for the
    /// assessment) and the per-inspector list (<see cref="Features.Inspector.PatrolService.FindMissedAsync"/>, the API's
    /// missed cases) agree, case by case, over the edges of the rule: overlapping shifts (a case counted once), a case at
    /// a window's start (in) and at its end (out), an open shift ended at its last position after going quiet, a rejected
    /// case, another platform's case, the inspector's own report, another inspector's grid, and a period's edge.
    /// </summary>
    [Fact]
    public async Task MissedCounts_OfTheAssessment_AgreeWithThePerInspectorList_AtTheEdgesOfTheRule()
    {
        var grids = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids;
        var (gridA, gridB) = (grids[20], grids[21]);
        var (m, n) = (await InspectorAccountAsync("inspector-edges-m"), await InspectorAccountAsync("inspector-edges-n"));
        await AssignAsync(gridA.Code, "inspector-edges-m");
        await AssignAsync(gridB.Code, "inspector-edges-n");
        // A whole minute a day ahead of the shared clock (which only moves forward here).
        var t0 = new DateTimeOffset((app.Clock.GetUtcNow().AddDays(1).UtcTicks / TimeSpan.TicksPerMinute) * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        DateTimeOffset T(int minutes) => t0.AddMinutes(minutes);
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            Features.Inspector.PatrolShift Shift(Guid user, string name, int from, int? to, int? lastSeen = null) => new()
            {
                UserId = user, UserName = name, StartedAt = T(from), EndedAt = to is { } e ? T(e) : null, LastPositionAt = lastSeen is { } l ? T(l) : null,
            };
            db.AddRange(
                Shift(m, "inspector-edges-m", 10, 70), Shift(m, "inspector-edges-m", 40, 100),   // overlapping: on duty 10–100
                Shift(m, "inspector-edges-m", 45, 48),                                          // and a short one inside them
                Shift(m, "inspector-edges-m", 200, null, lastSeen: 210),                         // left open, quiet since 210
                Shift(n, "inspector-edges-n", 10, 100));
            await db.SaveChangesAsync();
        }
        async Task<JsonElement> At(int minutes, CityLoop.Domain.Geo.UnitGrid grid, string text)
        {
            app.Clock.Set(T(minutes));
            var p = grid.Polygon.InteriorPoint;
            return await Api.CreateCase(await app.As("agent"), new
            {
                source = "hotline", requestType = "complaint", description = text, categoryCode = "C0101",
                location = new { lat = Math.Round(p.Y, 6), lon = Math.Round(p.X, 6) },
            });
        }
        await At(5, gridA, "上岗前市民反映井盖缺失");                                   // before duty: out
        var atStart = await At(10, gridA, "上岗那一刻市民反映井盖缺失");                 // the window's first instant: in
        var inOverlap = await At(50, gridA, "两个班次重叠时市民反映井盖缺失");            // both shifts: in, once
        var rejected = await At(50, gridA, "两个班次重叠时市民反映井盖缺失（重复）");      // rejected: out
        await Api.ActOk(await app.As("leader"), rejected.Id(), "reject", new { reason = "重复上报" });
        var inB = await At(50, gridB, "另一监督员网格内的井盖缺失");                     // N's grid: N's, not M's
        var otherPlatform = await At(55, gridA, "另一平台的井盖缺失");                  // another platform's case: out
        var own = await At(60, gridA, "监督员自己上报的井盖缺失");                      // the inspector's own: counted apart
        var atEnd = await At(100, gridA, "下岗那一刻市民反映井盖缺失");                  // the window's end: out
        var quietButOn = await At(205, gridA, "手机安静前市民反映井盖缺失");             // the open shift, before its last position: in
        await At(215, gridA, "手机安静后市民反映井盖缺失");                              // after it went quiet: out
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            await db.Cases.Where(c => c.Id == otherPlatform.Id()).ExecuteUpdateAsync(u => u.SetProperty(c => c.PlatformCode, "451203"));
            await db.Cases.Where(c => c.Id == own.Id()).ExecuteUpdateAsync(u => u.SetProperty(c => c.CreatedBy, m.ToString()));
        }
        app.Clock.Set(T(300));   // the open shift has been quiet for longer than the idle minutes

        var periods = new List<(DateTimeOffset From, DateTimeOffset To)> { (T(0), T(400)), (T(0), T(55)), (T(55), T(400)), (T(50).AddTicks(1), T(206)) };
        using (var scope = app.Factory.Services.CreateScope())
        {
            var patrol = scope.ServiceProvider.GetRequiredService<Features.Inspector.PatrolService>();
            var counts = await patrol.MissedCountsAsync([m, n], periods, default);
            for (var k = 0; k < periods.Count; k++)
                foreach (var (id, name) in new[] { (m, "inspector-edges-m"), (n, "inspector-edges-n") })
                {
                    var (_, _, found, ownReports) = await patrol.FindMissedAsync(id, name, periods[k].From, periods[k].To, default);
                    Assert.Equal((found.Count, ownReports), counts[k][id]);
                }
            var numbers = (await patrol.FindMissedAsync(m, "inspector-edges-m", T(0), T(400), default)).Found.Select(c => c.Number).Order().ToList();
            Assert.Equal(new[] { atStart, inOverlap, quietButOn }.Select(c => c.GetProperty("number").GetString()!).Order().ToList(), numbers);
            Assert.Equal((3, 1), counts[0][m]);
            Assert.Equal((2, 0), counts[1][m]);      // 10 and 50; the own report at 60 is after the period
            Assert.Equal((1, 1), counts[2][m]);      // 205; the own report
            Assert.Equal((1, 1), counts[3][m]);      // from just after 50 to 206: the own report and 205
            Assert.Equal((1, 0), counts[0][n]);
            Assert.Equal((0, 0), counts[2][n]);
        }
        var url = $"/api/v1/inspectors/inspector-edges-m/missed?from={Uri.EscapeDataString(T(0).ToString("O"))}&to={Uri.EscapeDataString(T(400).ToString("O"))}";
        var list = await Api.Get(await app.As("supervisor"), url);
        Assert.Equal((3, 1), (list.GetProperty("missed").GetInt32(), list.GetProperty("ownReports").GetInt32()));
        Assert.Equal(100.0 / 60, list.GetProperty("dutyHours").GetDouble(), 2);   // 10–100 once, and 200–210
        Assert.DoesNotContain(list.GetProperty("cases").EnumerateArray(), c => c.GetProperty("number").GetString() == inB.GetProperty("number").GetString());
        Assert.DoesNotContain(list.GetProperty("cases").EnumerateArray(), c => c.GetProperty("number").GetString() == atEnd.GetProperty("number").GetString());
    }

    /// <summary>Gives grids to an inspector (or none) as the administrator does, through the API; the clock's now is the change's instant.</summary>
    async Task<JsonElement> AssignAsync(string grid, string? inspector)
    {
        var response = await (await app.As("admin")).PutAsJsonAsync("/api/v1/admin/grids/inspector", new { grids = new[] { grid }, inspector });
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<Guid> InspectorAccountAsync(string name)
    {
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == name) is { } existing) return existing.Id;
        var user = new User
        {
            UserName = name, DisplayName = name + "（测试）", Roles = "inspector", PasswordHash = "x",
            CreatedAt = app.Clock.GetUtcNow(), PasswordChangedAt = app.Clock.GetUtcNow(),
        };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user.Id;
    }

    /// <summary>
    /// A grid that changes hands keeps its past (decision 054): a case reported while it was P's counts as P's 漏报 after
    /// it has become Q's, and one reported after the change is Q's — in the per-inspector list and in the assessment's
    /// counts alike. Before the tenures, both were counted against whoever had the grid at the time of asking.
    /// </summary>
    [Fact]
    public async Task Missed_IsCountedAgainstWhoHadTheGridWhenTheCaseCameIn_AfterTheGridChangesHands()
    {
        var grid = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids[22];
        var (p, q) = (await InspectorAccountAsync("inspector-tenure-p"), await InspectorAccountAsync("inspector-tenure-q"));
        var t0 = new DateTimeOffset((app.Clock.GetUtcNow().AddDays(2).UtcTicks / TimeSpan.TicksPerMinute) * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        DateTimeOffset T(int minutes) => t0.AddMinutes(minutes);
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            db.AddRange(
                new Features.Inspector.PatrolShift { UserId = p, UserName = "inspector-tenure-p", StartedAt = T(10), EndedAt = T(100) },
                new Features.Inspector.PatrolShift { UserId = q, UserName = "inspector-tenure-q", StartedAt = T(10), EndedAt = T(100) });
            await db.SaveChangesAsync();
        }
        async Task<string> ReportAt(int minutes, string text)
        {
            app.Clock.Set(T(minutes));
            var point = grid.Polygon.InteriorPoint;
            var c = await Api.CreateCase(await app.As("agent"), new
            {
                source = "hotline", requestType = "complaint", description = text, categoryCode = "C0101",
                location = new { lat = Math.Round(point.Y, 6), lon = Math.Round(point.X, 6) },
            });
            return c.GetProperty("number").GetString()!;
        }
        app.Clock.Set(T(0));
        Assert.Equal(1, (await AssignAsync(grid.Code, "inspector-tenure-p")).GetProperty("changed").GetInt32());
        var whileP = await ReportAt(20, "P 负责网格时市民反映井盖缺失");
        app.Clock.Set(T(40));
        await AssignAsync(grid.Code, "inspector-tenure-q");
        var whileQ = await ReportAt(60, "Q 接手网格后市民反映井盖缺失");
        app.Clock.Set(T(200));

        var supervisor = await app.As("supervisor");
        string Url(string who) => $"/api/v1/inspectors/{who}/missed?from={Uri.EscapeDataString(T(0).ToString("O"))}&to={Uri.EscapeDataString(T(200).ToString("O"))}";
        var ofP = await Api.Get(supervisor, Url("inspector-tenure-p"));
        var ofQ = await Api.Get(supervisor, Url("inspector-tenure-q"));
        Assert.Equal([whileP], ofP.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("number").GetString()!).ToArray());
        Assert.Equal([whileQ], ofQ.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("number").GetString()!).ToArray());
        Assert.Contains(grid.Code, ofP.GetProperty("grids").EnumerateArray().Select(g => g.GetString()));
        using (var scope = app.Factory.Services.CreateScope())
        {
            var patrol = scope.ServiceProvider.GetRequiredService<Features.Inspector.PatrolService>();
            var counts = await patrol.MissedCountsAsync([p, q], [(T(0), T(200)), (T(0), T(40)), (T(40), T(200))], default);
            Assert.Equal([(1, 0), (1, 0), (0, 0)], counts.Select(c => c[p]).ToArray());
            Assert.Equal([(1, 0), (0, 0), (1, 0)], counts.Select(c => c[q]).ToArray());
        }

        // The grid's tenures, newest first: Q's open, P's from 0 to 40, and the demo inspector's before.
        var tenures = (await Api.Get(await app.As("admin"), $"/api/v1/admin/grids/{grid.Code}/tenures")).EnumerateArray().ToList();
        Assert.Equal(["inspector-tenure-q", "inspector-tenure-p", "inspector"], tenures.Take(3).Select(t => t.GetProperty("inspector").GetString()!).ToArray());
        Assert.Equal(JsonValueKind.Null, tenures[0].GetProperty("to").ValueKind);
        Assert.Equal(T(0), tenures[1].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(T(40), tenures[1].GetProperty("to").GetDateTimeOffset());
        await AssignAsync(grid.Code, "inspector");
    }

    /// <summary>
    /// The assignment refuses what is not a grid or not an active inspector, with the field named; only an administrator
    /// assigns; an assignment that changes nothing leaves the tenures alone; and assignments of one grid at once leave it
    /// exactly one open tenure, the one its current inspector holds.
    /// </summary>
    [Fact]
    public async Task GridAssignment_RefusesWhatIsNotAGridOrAnInspector_AndAGridHasOneCurrentTenure_AfterARace()
    {
        var admin = await app.As("admin");
        var grid = app.Service<Features.Reference.ReferenceCache>().Geo.Grids.Grids[23].Code;
        await InspectorAccountAsync("inspector-race-r");
        async Task Refused(object body, string field, HttpStatusCode status = HttpStatusCode.UnprocessableEntity)
        {
            var problem = await Api.Problem(await admin.PutAsJsonAsync("/api/v1/admin/grids/inspector", body), status);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }
        await Refused(new { grids = Array.Empty<string>(), inspector = "inspector" }, "grids");
        await Refused(new { grids = new[] { "12ab" }, inspector = "inspector" }, "grids");
        await Refused(new { grids = new[] { grid, "999999999999999999" }, inspector = "inspector" }, "grids");
        await Refused(new { grids = new[] { grid }, inspector = "agent" }, "inspector");
        await Refused(new { grids = new[] { grid }, inspector = "no-such-account" }, "inspector");
        await Refused(new { grids = new[] { grid }, inspector = new string('x', 5_000) }, "inspector");
        await Api.Problem(await (await app.As("leader")).PutAsJsonAsync("/api/v1/admin/grids/inspector", new { grids = new[] { grid }, inspector = "inspector" }), HttpStatusCode.Forbidden);
        await Api.Problem(await admin.GetAsync("/api/v1/admin/grids?prefix=45abc"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await admin.GetAsync("/api/v1/admin/grids/999999999999999999/tenures"), HttpStatusCode.NotFound);

        async Task<(int Open, string? Current, int All)> StateAsync()
        {
            using var scope = app.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var rows = await db.Set<Features.Reference.GridAssignmentRow>().AsNoTracking().Where(a => a.GridCode == grid).ToListAsync();
            var current = await db.Set<Features.Reference.GridRow>().AsNoTracking().Where(g => g.Code == grid).Select(g => g.Inspector).SingleAsync();
            Assert.All(rows.Where(r => r.ValidTo is null), r => Assert.Equal(current, r.Inspector));
            return (rows.Count(r => r.ValidTo is null), current, rows.Count);
        }
        var before = await StateAsync();
        var same = await AssignAsync(grid, before.Current);
        Assert.Equal((0, 1), (same.GetProperty("changed").GetInt32(), same.GetProperty("unchanged").GetInt32()));
        Assert.Equal(before, await StateAsync());

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            admin.PutAsJsonAsync("/api/v1/admin/grids/inspector", new { grids = new[] { grid }, inspector = i % 2 == 0 ? "inspector-race-r" : "inspector" })));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var after = await StateAsync();
        Assert.Equal(1, after.Open);
        var listed = await Api.Get(admin, $"/api/v1/admin/grids?prefix={grid}");
        Assert.Equal(1, listed.GetProperty("total").GetInt32());
        Assert.Equal(after.Current, listed.GetProperty("items")[0].GetProperty("inspector").GetString());
        await AssignAsync(grid, "inspector");
    }

    [Fact]
    public async Task PatrolReport_SentTwiceWithTheSameKey_FilesOneCaseWithItsPhotos_AndAnotherBodyIsRefused()
    {
        var inspector = await app.As("inspector");
        var (grid, lat, lon) = InsideAGrid();
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> Post(string description, string? withKey)
        {
            var form = new MultipartFormDataContent
            {
                { new StringContent("C0101"), "categoryCode" }, { new StringContent(description), "description" },
                { new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat" }, { new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon" },
            };
            form.Add(new ByteArrayContent(Png), "photos", "p.png");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrol/reports") { Content = form };
            if (withKey is not null) request.Headers.Add("Idempotency-Key", withKey);
            return await inspector.SendAsync(request);
        }
        var first = await Post("巡查发现人行道井盖缺失", key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var receipt = await first.Content.ReadFromJsonAsync<JsonElement>();
        var again = await Post("巡查发现人行道井盖缺失", key);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var replay = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(receipt.GetProperty("number").GetString(), replay.GetProperty("number").GetString());
        Assert.True(replay.GetProperty("replayed").GetBoolean());
        var problem = await Api.Problem(await Post("另一个问题：路灯不亮", key), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("form", out _));
        await Api.Problem(await Post("没有提交编号的上报", null), HttpStatusCode.BadRequest);

        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var id = receipt.GetProperty("id").GetGuid();
        var c = await db.Cases.AsNoTracking().SingleAsync(x => x.Id == id);
        Assert.Equal(Domain.Cases.CaseSource.InspectorPatrol, c.Source);
        Assert.Equal(grid, c.GridCode);
        Assert.Equal(await InspectorIdAsync(), c.CreatedBy);
        Assert.Equal(1, await db.Attachments.CountAsync(a => a.CaseId == id));
        Assert.Equal(1, await db.Cases.CountAsync(x => x.Description == "巡查发现人行道井盖缺失"));
    }

    [Fact]
    public async Task TheInspectorsCheck_OfTheirOwnReport_IsCompletedOnThePhoneWithAPhoto_AndTheCaseMovesToClose()
    {
        var inspector = await app.As("inspector");
        var (_, lat, lon) = InsideAGrid();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("C0101"), "categoryCode" }, { new StringContent("巡查发现井盖破损"), "description" },
            { new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat" }, { new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon" },
        };
        form.Add(new ByteArrayContent(Png), "photos", "p.png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrol/reports") { Content = form };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var id = (await (await inspector.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        var handler = await app.As("handler");
        await Api.ActOk(handler, id, "sign-for");
        await Api.ActOk(handler, id, "finish", new { result = "已更换井盖" });

        var tasks = await Api.Get(inspector, FormattableString.Invariant($"/api/v1/patrol/tasks?lat={lat}&lon={lon}"));
        var task = Assert.Single(tasks.EnumerateArray(), t => t.GetProperty("id").GetGuid() == id);
        Assert.Equal("check", task.GetProperty("kind").GetString());
        Assert.Equal(0, task.GetProperty("distanceMetres").GetDouble());

        // Not passed needs a reason; passed needs a photo on site.
        using (var noReason = new MultipartFormDataContent { { new StringContent("fail"), "verdict" } })
        {
            noReason.Add(new ByteArrayContent(Png), "photos", "p.png");
            await Api.Problem(await inspector.PostAsync($"/api/v1/patrol/tasks/{id}", noReason), HttpStatusCode.BadRequest);
        }
        using (var noPhoto = new MultipartFormDataContent { { new StringContent("pass"), "verdict" } })
            await Api.Problem(await inspector.PostAsync($"/api/v1/patrol/tasks/{id}", noPhoto), HttpStatusCode.BadRequest);
        using var pass = new MultipartFormDataContent { { new StringContent("pass"), "verdict" }, { new StringContent("已修复") , "opinion" } };
        pass.Add(new ByteArrayContent(Png), "photos", "after.png");
        var done = await inspector.PostAsync($"/api/v1/patrol/tasks/{id}", pass);
        Assert.True(done.StatusCode == HttpStatusCode.OK, await done.Content.ReadAsStringAsync());
        Assert.Equal("pending-close", (await done.Content.ReadFromJsonAsync<JsonElement>()).State());
        // Done is done: the task has left the list and cannot be completed twice.
        Assert.DoesNotContain((await Api.Get(inspector, "/api/v1/patrol/tasks")).EnumerateArray(), t => t.GetProperty("id").GetGuid() == id);
        using var twice = new MultipartFormDataContent { { new StringContent("pass"), "verdict" } };
        twice.Add(new ByteArrayContent(Png), "photos", "after.png");
        await Api.Problem(await inspector.PostAsync($"/api/v1/patrol/tasks/{id}", twice), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task TheInspectorsNormalPath_AnswersNo403Or404_FromSignInToTheCasePage()
    {
        var browser = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await browser.GetStringAsync("/Account/Login");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var login = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = "inspector", ["Password"] = Features.Demo.DemoSeeder.DemoPassword, ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        // Sign-in and the start page give the same answer: the phone pages.
        Assert.Equal("/inspector", login.Headers.Location!.OriginalString);
        Assert.Equal("/inspector", (await browser.GetAsync("/")).Headers.Location!.OriginalString);

        var camera = await CameraAsync();
        var caseId = (await Send(camera, Alert("cam-" + Guid.NewGuid().ToString("N")[..6]), HttpStatusCode.Created)).GetProperty("caseId").GetGuid();
        foreach (var url in new[] { "/inspector", "/inspector/report", $"/inspector/tasks/{caseId}", $"/Cases/{caseId}", "/Cases", "/Notifications", "/Knowledge",
                     "/api/v1/patrol/duty", "/api/v1/patrol/tasks", "/api/v1/pickers/category?q=井盖&field=categoryCode" })
        {
            var response = await browser.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode}");
        }
        Assert.Contains(caseId.ToString(), await browser.GetStringAsync("/inspector"));
        // A desk user is told the phone pages are not theirs, in words.
        var agent = app.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        agent.DefaultRequestHeaders.Authorization = (await app.As("agent")).DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/patrol/tasks")).StatusCode);
    }
}

[Collection("sqlite")]
public sealed class InspectorTests_Sqlite(SqliteApp app) : InspectorTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class InspectorTests_Postgres(PostgresApp app) : InspectorTests<PostgresApp>(app), IClassFixture<PostgresApp>;
