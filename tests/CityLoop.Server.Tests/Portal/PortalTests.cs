using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Portal;

/// <summary>The citizen portal over HTTP, as a browser posts its forms: report, track, rate, and the abuse limits.</summary>
public abstract partial class PortalTests<TApp>(TApp app) where TApp : AppFixture
{
    /// <summary>A 1×1 PNG: what counts is its content, whatever it is called.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
    static readonly byte[] Jpeg = TestImages.Jpeg();
    static readonly byte[] Exe = [(byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00];
    static readonly byte[] Pdf = "%PDF-1.4\n%âãÏÓ\n"u8.ToArray();

    static readonly Dictionary<string, string> Generous = new() { ["Portal:ReportsPerHour"] = "1000", ["Portal:RatingsPerHour"] = "1000", ["Portal:LookupsPerMinute"] = "1000" };

    static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var s = new Dictionary<string, string>(Generous);
        foreach (var (k, v) in extra) s[k] = v;
        return s;
    }

    [Fact]
    public async Task Report_WithPhotoAndPoint_BecomesAWebsiteCaseThroughTheIntake_AndTheCitizenGetsNumberAndQueryCode()
    {
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var before = await CaseCount();

        var (grid, lat, lon) = InsideAGrid();
        var (number, code) = await citizen.ReportOk(new() { ["Description"] = "人行道井盖缺失，晚上容易绊倒行人", ["Category"] = "manhole",
            ["Latitude"] = lat, ["Longitude"] = lon, ["Address"] = "新建路 88 号门口", ["Name"] = "陈先生", ["Phone"] = "13911112222" },
            ("IMG_0001.HEIC", Png), ("holiday.txt", Jpeg));

        Assert.Matches(@"^\d{6}-\d{8}-\d{6}$", number);
        Assert.Matches(@"^\d{6}$", code);
        Assert.Equal(before + 1, await CaseCount());
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var c = await db.Cases.AsNoTracking().SingleAsync(x => x.Number == number);
        Assert.Equal(Domain.Cases.CaseSource.Website, c.Source);
        Assert.Equal("system:portal", c.CreatedBy);
        Assert.Equal("C0101", c.CategoryCode);
        Assert.Equal(double.Parse(lat, System.Globalization.CultureInfo.InvariantCulture), c.Latitude);
        Assert.Equal(grid, c.GridCode);
        Assert.False(c.Anonymous);
        // The photos are stored as the desks' attachments, named and typed by their content, each logged on the case.
        var photos = await db.Attachments.AsNoTracking().Where(a => a.CaseId == c.Id).OrderBy(a => a.FileName).ToListAsync();
        Assert.Equal(["image/png", "image/jpeg"], photos.Select(p => p.ContentType));
        Assert.Equal(["photo-1.png", "photo-2.jpg"], photos.Select(p => p.FileName));
        Assert.Equal(Png, photos[0].Content);
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == c.Id).OrderBy(e => e.Seq).Select(e => e.Action).ToListAsync();
        Assert.Equal(["create", "attach", "attach"], events.Where(e => e is "create" or "attach"));
        // Staff see it on their desks like any other case.
        var listed = await Api.Get(await app.As("supervisor"), $"/api/v1/cases?q={number}");
        Assert.Equal("website", Assert.Single(listed.GetProperty("items").EnumerateArray()).Str("source"));
    }

    [Fact]
    public async Task Photos_AreCheckedByContentAndSize_AndARefusalFilesNothing()
    {
        await using var node = app.NewFactory(Settings(("Portal:MaxPhotoBytes", "2000"), ("Portal:MaxPhotos", "2")));
        var citizen = new Citizen(node.CreateClient());
        var before = await CaseCount();
        var fields = new Dictionary<string, string> { ["Description"] = "路灯整晚不亮", ["Category"] = "street-light", ["Latitude"] = "24.69", ["Longitude"] = "108.06" };

        var exe = await citizen.Report(fields, ("photo.jpg", Exe));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, exe.StatusCode);
        Assert.Contains("“photo.jpg”不是照片：只能上传 JPEG、PNG 或 WebP 格式的图片。", await Html(exe));
        // A PDF is a valid attachment at the desks, but not a photo.
        var pdf = await citizen.Report(fields, ("scan.png", Pdf));
        Assert.Contains("“scan.png”不是照片", await pdf.Content.ReadAsStringAsync());
        var big = await citizen.Report(fields, ("big.png", [.. Png, .. new byte[3000]]));
        Assert.Contains("照片“big.png”超过 0 MB", await big.Content.ReadAsStringAsync());
        var many = await citizen.Report(fields, ("a.png", Png), ("b.png", Png), ("c.png", Png));
        Assert.Contains("最多上传 2 张照片。", await many.Content.ReadAsStringAsync());
        // What was typed is kept for the next try.
        Assert.Contains("路灯整晚不亮", await many.Content.ReadAsStringAsync());
        Assert.Equal(before, await CaseCount());

        var english = await citizen.ReportIn("en", fields, ("photo.jpg", Exe));
        Assert.Contains("'photo.jpg' is not a photo: only JPEG, PNG and WebP images can be uploaded.", await Html(english));
        Assert.Equal(before, await CaseCount());
    }

    [Fact]
    public async Task Report_WithoutWhatItNeeds_SaysWhatIsMissing_InChineseAndEnglish()
    {
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var before = await CaseCount();
        var noPlace = await citizen.Report(new() { ["Description"] = "垃圾堆积发臭", ["Category"] = "rubbish" });
        Assert.Contains("请在地图上点选问题位置、使用手机定位，或填写位置描述。", await noPlace.Content.ReadAsStringAsync());
        var noCategory = await citizen.Report(new() { ["Description"] = "垃圾堆积发臭", ["Address"] = "新建路" });
        Assert.Contains("请选择问题类型。", await noCategory.Content.ReadAsStringAsync());
        var badPhone = await citizen.Report(new() { ["Description"] = "垃圾堆积发臭", ["Category"] = "rubbish", ["Address"] = "新建路", ["Phone"] = "call me" });
        Assert.Contains("手机号码格式不正确。", await badPhone.Content.ReadAsStringAsync());
        var badPoint = await citizen.Report(new() { ["Description"] = "垃圾堆积发臭", ["Category"] = "rubbish", ["Latitude"] = "95", ["Longitude"] = "108" });
        Assert.Contains("位置无效", await badPoint.Content.ReadAsStringAsync());
        var english = await citizen.ReportIn("en", new() { ["Description"] = "x", ["Category"] = "rubbish", ["Address"] = "新建路" });
        Assert.Contains("Describe the problem (at least 5 characters).", await Html(english));
        Assert.Equal(before, await CaseCount());
    }

    [Fact]
    public async Task TheSameFormSentTwice_FilesOneCase()
    {
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var before = await CaseCount();
        var fields = new Dictionary<string, string> { ["Description"] = "店外经营占用人行道", ["Category"] = "street-trading", ["Address"] = "金城中路 3 号" };
        var page = await citizen.Page("/portal");
        var key = Regex.Match(page, "name=\"Key\" value=\"([^\"]+)\"").Groups[1].Value;
        fields["Key"] = key;
        var first = await citizen.ReportOn(page, fields);
        var second = await citizen.ReportOn(page, fields);
        Assert.Equal(before + 1, await CaseCount());
        var number = Regex.Match(await first.Content.ReadAsStringAsync(), "id=\"receipt-number\">([^<]+)<").Groups[1].Value;
        var again = await second.Content.ReadAsStringAsync();
        Assert.Contains("这份反映已经收到", again);
        Assert.Contains(number, again);
        Assert.DoesNotContain("receipt-code", again);
    }

    [Fact]
    public async Task Reports_AreLimitedPerAddress_WithAReadableMessage()
    {
        await using var node = app.NewFactory(Settings(("Portal:ReportsPerHour", "2")));
        var citizen = new Citizen(node.CreateClient());
        var before = await CaseCount();
        var fields = new Dictionary<string, string> { ["Description"] = "非机动车乱停放", ["Category"] = "parking", ["Address"] = "南新路口" };
        await citizen.ReportOk(fields);
        await citizen.ReportOk(fields);
        var third = await citizen.Report(fields);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, third.StatusCode);
        Assert.Contains("您提交得太频繁了，请一小时后再试。", await third.Content.ReadAsStringAsync());
        Assert.Equal(before + 2, await CaseCount());
    }

    [Fact]
    public async Task Tracking_NeedsNumberAndQueryCode_AndShowsThePublicTimelineWithoutStaffNotesOrReporter()
    {
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var (number, code) = await citizen.ReportOk(new() { ["Description"] = "井盖松动，车辆经过响声很大", ["Category"] = "manhole",
            ["Latitude"] = "24.695", ["Longitude"] = "108.065", ["Name"] = "周女士", ["Phone"] = "13922223333" });
        var id = await IdOf(number);
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01", opinion = "内部意见：周边曾多次反映" });
        await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC", opinion = "请尽快处置，注意安全" });
        await Api.ActOk(await app.As("supervisor"), id, "urge", new { opinion = "督促：今天内完成" });

        var wrong = await citizen.Track(number, code == "000000" ? "111111" : "000000");
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        Assert.Contains("案件编号或查询码不正确，请核对后重试。", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await citizen.Track("451202-20260302-999999", code)).StatusCode);

        var found = await citizen.Track(number, code);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        var html = await found.Content.ReadAsStringAsync();
        Assert.Contains("已收到您的反映", html);
        Assert.Contains("已立案，进入办理", html);
        Assert.Contains("已交市政管理处办理", html);
        Assert.Contains("正在交办", html);
        Assert.Contains("井盖松动，车辆经过响声很大", html);
        // Nothing internal: no staff names, opinions, reminders, or the reporter's identity.
        using var scope = app.Factory.Services.CreateScope();
        var staff = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Users.AsNoTracking().Select(u => u.DisplayName).ToListAsync();
        Assert.All(staff.Where(s => s.Length >= 2), s => Assert.DoesNotContain(s, html));
        foreach (var hidden in new[] { "内部意见", "请尽快处置", "督促", "周女士", "13922223333", "system:portal", "市民门户" })
            Assert.DoesNotContain(hidden, html);

        var english = await citizen.Track(number, code, "en");
        Assert.Contains("Passed to 市政管理处 for handling", await Html(english));
    }

    [Fact]
    public async Task Lookups_AreLimitedPerAddress()
    {
        await using var node = app.NewFactory(Settings(("Portal:LookupsPerMinute", "3")));
        var citizen = new Citizen(node.CreateClient());
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await citizen.Track("451202-20260302-000001", $"12345{i}")).StatusCode);
        var limited = await citizen.Track("451202-20260302-000001", "123459");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("查询过于频繁，请一分钟后再试。", await limited.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rating_WhereNoCallIsPlanned_IsTheFollowUp_SeesTheReply_AndWorksOnce()
    {
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var (number, code) = await citizen.ReportOk(new() { ["Description"] = "井盖被撞碎，车辆绕行", ["Category"] = "manhole",
            ["Latitude"] = "24.695", ["Longitude"] = "108.065", ["Phone"] = "13933334444" });
        var id = await IdOf(number);

        var early = await citizen.Rate(number, code, true, "Satisfied");
        Assert.Contains("案件办结后才能评价。", await early.Content.ReadAsStringAsync());

        await CloseAsync(id, "C0101-01", result: "已更换新井盖并加固");
        var page = await (await citizen.Track(number, code)).Content.ReadAsStringAsync();
        Assert.Contains("已更换新井盖并加固", page);
        Assert.Contains("请评价以上办理答复", page);

        var rated = await citizen.Rate(number, code, true, "VerySatisfied", "处理很快");
        var ratedPage = await rated.Content.ReadAsStringAsync();
        Assert.Contains("感谢您的评价", ratedPage);
        Assert.Contains("非常满意", ratedPage);
        var c = await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}");
        Assert.Equal("very-satisfied", c.GetProperty("followUp").GetProperty("satisfaction").GetString());
        // The self-rating task the closure opened is done: nobody is asked twice.
        var done = await Api.Get(await app.As("agent"), "/api/v1/follow-ups?status=done");
        Assert.Contains(done.EnumerateArray(), t => t.GetProperty("caseId").GetGuid() == id && t.Str("method") == "link");
        var fact = await Fact(id);
        Assert.Equal((1, 1, "follow-up"), (fact.Rated, fact.SatisfiedOrBasically, fact.RatingSource));

        var again = await citizen.Rate(number, code, false, "Dissatisfied");
        Assert.Contains("您已经评价过本次办理结果，谢谢。", await again.Content.ReadAsStringAsync());
        Assert.Equal("very-satisfied", (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).GetProperty("followUp").GetProperty("satisfaction").GetString());
    }

    [Fact]
    public async Task Rating_BesideAFollowUpCall_CountsTheCallByDefault_OrTheCitizenWhereConfigured()
    {
        // A hotline caller tracks with the query code the agent read out; the hotline calls back as well.
        var (id, number, code) = await HotlineCaseAsync("13944445555");
        await CloseAsync(id, "C0101-01", result: "已更换井盖");
        await using var node = app.NewFactory(Generous);
        var citizen = new Citizen(node.CreateClient());
        var rated = await citizen.Rate(number, code, false, "Dissatisfied", "井盖还是晃");
        Assert.Contains("感谢您的评价", await rated.Content.ReadAsStringAsync());
        var fact = await Fact(id);
        // Until the call, the citizen's own rating is the only one and counts.
        Assert.Equal((1, 1, 0, "citizen"), (fact.Rated, fact.Dissatisfied, fact.FollowedUp, fact.RatingSource));
        Assert.Contains("citizen-rating", await Api.Actions(await app.As("supervisor"), id));
        await Api.ActOk(await app.As("agent"), id, "follow-up", new { contacted = true, resolved = true, satisfaction = "satisfied", comment = "电话回访满意" });
        fact = await Fact(id);
        Assert.Equal((1, 1, 0, 1, "follow-up"), (fact.Rated, fact.Satisfied, fact.Dissatisfied, fact.FollowedUp, fact.RatingSource));
        var figure = await Api.Get(await app.As("supervisor"), "/api/v1/indicators/satisfaction-rate?from=2026-01-01&to=2026-12-31");
        Assert.True(figure.GetProperty("denominator").GetInt32() >= 1);

        // Configured the other way, the citizen's rating stays the one counted when the call comes after it.
        var (id2, number2, code2) = await HotlineCaseAsync("13955556666");
        await CloseAsync(id2, "C0101-01", result: "已更换井盖");
        await using var citizenFirst = app.NewFactory(Settings(("FollowUp:CountedRating", "citizen")));
        var other = new Citizen(citizenFirst.CreateClient());
        await other.Rate(number2, code2, false, "Dissatisfied");
        var agent = citizenFirst.CreateClient();
        agent.DefaultRequestHeaders.Authorization = (await app.As("agent")).DefaultRequestHeaders.Authorization;
        await Api.ActOk(agent, id2, "follow-up", new { contacted = true, resolved = true, satisfaction = "very-satisfied" });
        var fact2 = await Fact(id2);
        Assert.Equal((1, 1, 0, 1, "citizen"), (fact2.Rated, fact2.Dissatisfied, fact2.Satisfied, fact2.FollowedUp, fact2.RatingSource));
        // The case's follow-up record is the call's, whichever rating the figure counts.
        Assert.Equal("very-satisfied", (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id2}")).GetProperty("followUp").GetProperty("satisfaction").GetString());
    }

    [Fact]
    public async Task Outlines_ArePublicStreetShapes_ForAMapWithoutTiles()
    {
        var response = await app.Anonymous().GetAsync("/portal/map/outlines");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        var features = json.GetProperty("features").EnumerateArray().ToList();
        Assert.NotEmpty(features);
        Assert.All(features, f => Assert.Matches("^[0-9]{9}$", f.GetProperty("properties").Str("code")));
        Assert.Contains(features, f => f.GetProperty("properties").Str("name").EndsWith("街道") || f.GetProperty("properties").Str("name").EndsWith("镇"));
        Assert.All(features, f => Assert.Contains(f.GetProperty("geometry").Str("type"), new[] { "Polygon", "MultiPolygon" }));
    }

    [Fact]
    public void PortalCategories_AreCategoriesOfTheCatalogue()
    {
        using var scope = app.Factory.Services.CreateScope();
        var catalogue = scope.ServiceProvider.GetRequiredService<Features.Reference.ReferenceCache>().Catalogue;
        var codes = catalogue.Current!.Leaves.Select(c => c.Key).ToHashSet();
        Assert.All(CityLoop.Server.Features.Portal.PortalCategory.All.Where(c => c.CategoryCode is not null), c => Assert.Contains(c.CategoryCode!, codes));
        Assert.Single(CityLoop.Server.Features.Portal.PortalCategory.All, c => c.CategoryCode is null);
    }

    /// <summary>A point inside one of the demo city's unit grids, as the map would give it.</summary>
    (string Grid, string Lat, string Lon) InsideAGrid()
    {
        var grid = app.Factory.Services.GetRequiredService<Features.Reference.ReferenceCache>().Geo.Grids.Grids[3];
        var p = grid.Polygon.InteriorPoint;
        return (grid.Code, Math.Round(p.Y, 6).ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Round(p.X, 6).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    static async Task<string> Html(HttpResponseMessage response) => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

    async Task<(Guid Id, string Number, string Code)> HotlineCaseAsync(string phone)
    {
        var created = await Api.CreateCase(await app.As("agent"), Api.Report(description: "井盖破损，车辆经过有响声", phone: phone));
        return (created.Id(), created.Str("number"), created.Str("queryCode"));
    }

    async Task CloseAsync(Guid id, string standardItem, string result)
    {
        var state = (await Api.Get(await app.As("supervisor"), $"/api/v1/cases/{id}")).State();
        if (state is "reported") await Api.ActOk(await app.As("leader"), id, "file", new { standardItem });
        if (state is "reported" or "pending-dispatch") await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        await Api.ActOk(await app.As("handler"), id, "sign-for");
        await Api.ActOk(await app.As("handler"), id, "finish", new { result });
        await Api.ActOk(await app.As("intake"), id, "check-pass", new { opinion = "已核查" });
        await Api.ActOk(await app.As("leader"), id, "close", new { standardItem });
    }

    async Task<Guid> IdOf(string number) =>
        Assert.Single((await Api.Get(await app.As("supervisor"), $"/api/v1/cases?q={number}")).GetProperty("items").EnumerateArray()).Id();

    async Task<int> CaseCount()
    {
        using var scope = app.Factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.CountAsync();
    }

    async Task<CaseFact> Fact(Guid id)
    {
        using var scope = app.Factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Set<CaseFact>().AsNoTracking().SingleAsync(f => f.CaseId == id);
    }
}

/// <summary>A citizen's browser without JavaScript: it reads the form's antiforgery token and posts as the form does.</summary>
sealed class Citizen(HttpClient http)
{
    public async Task<string> Page(string url) => await http.GetStringAsync(url);

    static string Antiforgery(string page) => Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;

    public Task<HttpResponseMessage> Report(Dictionary<string, string> fields, params (string Name, byte[] Bytes)[] photos) => Send(fields, null, "zh-CN", photos);

    public Task<HttpResponseMessage> ReportIn(string culture, Dictionary<string, string> fields, params (string Name, byte[] Bytes)[] photos) =>
        Send(fields, null, culture, photos);

    /// <summary>Posts the form as shown on an earlier page (its antiforgery token and form key), as a second click would.</summary>
    public Task<HttpResponseMessage> ReportOn(string page, Dictionary<string, string> fields) => Send(fields, page, "zh-CN", []);

    async Task<HttpResponseMessage> Send(Dictionary<string, string> fields, string? page, string culture, (string Name, byte[] Bytes)[] photos)
    {
        page ??= await Page($"/portal?culture={culture}");
        var form = new MultipartFormDataContent();
        foreach (var (k, v) in fields) form.Add(new StringContent(v), k);
        if (!fields.ContainsKey("Key")) form.Add(new StringContent(Regex.Match(page, "name=\"Key\" value=\"([^\"]+)\"").Groups[1].Value), "Key");
        form.Add(new StringContent(Antiforgery(page)), "__RequestVerificationToken");
        foreach (var (name, bytes) in photos)
        {
            var file = new ByteArrayContent(bytes);
            // The browser's claim is not trusted either: every file says it is a JPEG.
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "Photos", name);
        }
        return await http.PostAsync($"/portal?culture={culture}", form);
    }

    public async Task<(string Number, string Code)> ReportOk(Dictionary<string, string> fields, params (string Name, byte[] Bytes)[] photos)
    {
        var response = await Report(fields, photos);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK && response.RequestMessage!.RequestUri!.AbsolutePath == "/portal/done",
            $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {Regex.Match(html, "id=\"report-error\">([^<]+)<").Groups[1].Value}");
        return (Regex.Match(html, "id=\"receipt-number\">([^<]+)<").Groups[1].Value, Regex.Match(html, "id=\"receipt-code\" class=\"p-code\">([^<]+)<").Groups[1].Value);
    }

    public async Task<HttpResponseMessage> Track(string number, string code, string culture = "zh-CN")
    {
        var page = await Page($"/portal/track?culture={culture}");
        return await http.PostAsync($"/portal/track?culture={culture}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Number"] = number, ["Code"] = code, ["__RequestVerificationToken"] = Antiforgery(page),
        }));
    }

    public async Task<HttpResponseMessage> Rate(string number, string code, bool resolved, string satisfaction, string? comment = null)
    {
        var page = await Page("/portal/track");
        return await http.PostAsync("/portal/track?handler=Rate", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Number"] = number, ["Code"] = code, ["Resolved"] = resolved ? "true" : "false", ["Satisfaction"] = satisfaction,
            ["Comment"] = comment ?? "", ["__RequestVerificationToken"] = Antiforgery(page),
        }));
    }
}

[Collection("sqlite")]
public sealed class PortalTests_Sqlite(SqliteApp app) : PortalTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class PortalTests_Postgres(PostgresApp app) : PortalTests<PostgresApp>(app), IClassFixture<PostgresApp>;
