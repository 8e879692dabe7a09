using System.Net.Http.Json;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The inspector's phone (390 × 844) in Chromium: GPS from the browser, photos from the "camera", the offline queue.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    (double Lat, double Lon) GridPoint(int index = 3)
    {
        var grid = app.App.Services.GetRequiredService<CityLoop.Server.Features.Reference.ReferenceCache>().Geo.Grids.Grids[index];
        var p = grid.Polygon.InteriorPoint;
        return (Math.Round(p.Y, 6), Math.Round(p.X, 6));
    }

    /// <summary>The demo inspector signed in on a phone that shares its position.</summary>
    async Task<IPage> InspectorPhoneAsync((double Lat, double Lon) at)
    {
        var context = await app.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseUrl, Locale = "zh-CN", ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
            Geolocation = new Geolocation { Latitude = (float)at.Lat, Longitude = (float)at.Lon, Accuracy = 5 }, Permissions = ["geolocation"],
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#UserName", "inspector");
        await page.FillAsync("#Password", DemoSeeder.DemoPassword);
        await page.ClickAsync("button[type=submit]");
        // The inspector lands on the phone pages, not on the desk's case list.
        await page.WaitForURLAsync("**/inspector");
        return page;
    }

    async Task<T> InDb<T>(Func<CityLoopDb, Task<T>> read)
    {
        using var scope = app.App.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
    }

    async Task FillReportAsync(IPage page, string description)
    {
        await Expect(page.Locator("#gps-text")).ToContainTextAsync("已定位");
        await Pickers.ChooseAsync(page, "#patrol-form", "CategoryCode", "C0101", "C0101");
        await page.FillAsync("#Description", description);
        await page.SetInputFilesAsync("#Photos", new FilePayload { Name = "IMG_2041.png", MimeType = "image/png", Buffer = PortalPhoto });
        await Expect(page.Locator("#previews img")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Inspector_OnAPhone_ReportsWithGpsAndAPhoto_TheCaseIsFiled_AndTheInspectorChecksItOnThePhone_AndItCloses()
    {
        var at = GridPoint();
        var page = await InspectorPhoneAsync(at);
        await NoSidewaysScrollAsync(page);

        // On duty: the phone's positions make the patrol track (after any the demo or another journey recorded).
        var inspectorId = await InDb(db => db.Users.Where(u => u.UserName == "inspector").Select(u => u.Id).SingleAsync());
        Task<int> Positions() => InDb(db => db.Set<CityLoop.Server.Features.Inspector.PatrolPosition>().CountAsync(p => p.UserId == inspectorId));
        var before = await Positions();
        await page.ClickAsync("#duty-toggle");
        await Expect(page.Locator("#duty[data-on=true]")).ToBeVisibleAsync();
        for (var i = 0; i < 100 && await Positions() == before; i++)
            await Task.Delay(200);
        var point = await InDb(db => db.Set<CityLoop.Server.Features.Inspector.PatrolPosition>().Where(p => p.UserId == inspectorId).OrderByDescending(p => p.At).FirstAsync());
        Assert.Equal(at.Lat, point.Latitude, 4);
        Assert.NotNull(point.GridCode);

        await page.ClickAsync("#go-report");
        await page.WaitForURLAsync("**/inspector/report", new() { WaitUntil = WaitUntilState.Commit });
        await FillReportAsync(page, "巡查发现人行道井盖缺失，已设置临时警示");
        await NoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("inspector-report.png"), FullPage = true });
        await page.ClickAsync("#submit-report");
        await Expect(page.Locator("#report-done")).ToContainTextAsync("已上报");
        var number = await page.Locator("#report-done").GetAttributeAsync("data-number");
        Assert.False(string.IsNullOrEmpty(number));

        var c = await InDb(db => db.Cases.AsNoTracking().SingleAsync(x => x.Number == number));
        Assert.Equal(CaseSource.InspectorPatrol, c.Source);
        Assert.Equal(at.Lat, c.Latitude!.Value, 5);
        Assert.Equal(at.Lon, c.Longitude!.Value, 5);
        Assert.Equal("C0101", c.CategoryCode);
        Assert.Equal(1, await InDb(db => db.Attachments.CountAsync(a => a.CaseId == c.Id)));

        // The command centre files and dispatches it, the department handles it (the map desk and inbox are other journeys).
        await app.ActAsAsync(c.Id, "leader", CaseAction.File, new ActionInput { StandardItem = "C0101-01" });
        await app.ActAsAsync(c.Id, "dispatcher", CaseAction.Dispatch, new ActionInput { LeadDepartment = "SZGLC" });
        await app.ActAsAsync(c.Id, "handler", CaseAction.SignFor, ActionInput.Empty);
        await app.ActAsAsync(c.Id, "handler", CaseAction.Finish, new ActionInput { Result = "已补装井盖" });

        // The check comes back to the inspector who reported it, with its deadline, light and distance.
        await page.GotoAsync("/inspector");
        var task = page.Locator($".m-task-link[data-number='{number}']");
        await Expect(task).ToContainTextAsync("核查");
        await Expect(task.Locator(".light")).ToHaveCountAsync(1);
        await Expect(task.Locator(".m-dist")).ToContainTextAsync("米");
        await NoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("inspector-tasks.png"), FullPage = true });

        await task.ClickAsync();
        await Expect(page.Locator("#task-result")).ToHaveTextAsync("已补装井盖");
        await NoSidewaysScrollAsync(page);
        // Passing without a photo is refused in words; with one it goes through.
        await page.ClickAsync("label:has(#verdict-pass)");
        await page.ClickAsync("#submit-task");
        await Expect(page.Locator("#task-error")).ToContainTextAsync("照片");
        await page.ClickAsync("label:has(#verdict-pass)");
        await page.FillAsync("#Opinion", "现场核查已修复");
        await page.SetInputFilesAsync("#Photos", new FilePayload { Name = "after.png", MimeType = "image/png", Buffer = PortalPhoto });
        await page.ClickAsync("#submit-task");
        await page.WaitForURLAsync("**/inspector", new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.Locator("#flash")).ToContainTextAsync("待结案");
        await Expect(page.Locator($".m-task-link[data-number='{number}']")).ToHaveCountAsync(0);

        await app.ActAsAsync(c.Id, "leader", CaseAction.Close, new ActionInput { StandardItem = "C0101-01" });
        Assert.Equal(CaseState.Closed, await InDb(db => db.Cases.Where(x => x.Id == c.Id).Select(x => x.State).SingleAsync()));
        Assert.Equal(2, await InDb(db => db.Attachments.CountAsync(a => a.CaseId == c.Id))); // the report's photo and the check's

        await page.ClickAsync("#duty-toggle");
        await Expect(page.Locator("#duty[data-on=false]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Inspector_ReportTypedOffline_IsKeptOnThePhone_AndSentOnceWhenTheConnectionReturns()
    {
        var page = await InspectorPhoneAsync(GridPoint(4));
        await page.GotoAsync("/inspector/report");
        var description = "离线上报：路边井盖松动 " + Guid.NewGuid().ToString("N")[..6];
        await FillReportAsync(page, description);

        await page.Context.SetOfflineAsync(true);
        await page.ClickAsync("#submit-report");
        await Expect(page.Locator("#report-done")).ToContainTextAsync("已保存在手机上");
        await Expect(page.Locator("#queue-status[data-count='1']")).ToBeVisibleAsync();
        await Expect(page.Locator("#net-status")).ToContainTextAsync("离线");
        Assert.Equal(0, await InDb(db => db.Cases.CountAsync(x => x.Description == description)));

        await page.Context.SetOfflineAsync(false);
        await Expect(page.Locator("#queue-status")).ToContainTextAsync("离线上报已发送");
        Assert.Equal(1, await InDb(db => db.Cases.CountAsync(x => x.Description == description)));

        // Another page load flushes the queue again: nothing is left to send, nothing is filed twice.
        await page.GotoAsync("/inspector");
        await page.GotoAsync("/inspector/report");
        await Expect(page.Locator("#gps-text")).ToContainTextAsync("已定位");
        Assert.Equal(0, await page.EvaluateAsync<int>(
            "() => new Promise(r => { const q = indexedDB.open('cityloop-inspector', 1); q.onsuccess = () => { const g = q.result.transaction('reports').objectStore('reports').count(); g.onsuccess = () => r(g.result); }; })"));
        Assert.Equal(1, await InDb(db => db.Cases.CountAsync(x => x.Description == description)));
    }

    [Fact]
    public async Task CameraAlert_BecomesAVerifiedCase_OnTheInspectorsPhone()
    {
        var at = GridPoint(6);
        var (prefix, secret, hash) = ApiKeyAuthentication.NewKey();
        await InDb(async db =>
        {
            db.ApiKeys.Add(new ApiKey
            {
                Name = "camera-" + prefix, Prefix = prefix, SecretHash = hash, Role = Role.CameraChannel, Scopes = ApiScope.CameraAlerts,
                CreatedAt = DateTimeOffset.UtcNow, CreatedBy = "test",
            });
            return await db.SaveChangesAsync();
        });
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", $"{prefix}.{secret}");
        var alert = new
        {
            cameraId = "JCJ-0" + prefix[..4], detectedAt = DateTimeOffset.UtcNow.AddMinutes(-1), categoryCode = "E0505", confidence = 0.93,
            lat = at.Lat, lon = at.Lon, snapshot = Convert.ToBase64String(PortalPhoto),
        };
        var response = await http.PostAsJsonAsync("/api/v1/camera-alerts", alert);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        var number = result.GetProperty("caseNumber").GetString();
        // The same camera raising it again folds into the same case.
        var again = await (await http.PostAsJsonAsync("/api/v1/camera-alerts", alert)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(number, again.GetProperty("caseNumber").GetString());

        var page = await InspectorPhoneAsync(at);
        var task = page.Locator($".m-task-link[data-number='{number}']");
        await Expect(task).ToContainTextAsync("核实");
        await task.ClickAsync();
        await Expect(page.Locator("#task-photos img")).ToHaveCountAsync(2);
        await NoSidewaysScrollAsync(page);
        await page.ClickAsync("label:has(#verdict-pass)");
        await page.FillAsync("#Opinion", "现场确有机动车乱停放");
        await page.SetInputFilesAsync("#Photos", new FilePayload { Name = "site.png", MimeType = "image/png", Buffer = PortalPhoto });
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("inspector-verify.png"), FullPage = true });
        await page.ClickAsync("#submit-task");
        await page.WaitForURLAsync("**/inspector", new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.Locator("#flash")).ToContainTextAsync("待立案");

        var c = await InDb(db => db.Cases.AsNoTracking().SingleAsync(x => x.Number == number));
        Assert.Equal(CaseState.PendingFiling, c.State);
        Assert.Equal(CaseSource.Video, c.Source);
        Assert.Equal((await InDb(db => db.Users.SingleAsync(u => u.UserName == "inspector"))).Id.ToString(), c.VerifiedBy);

        // The same pages in English.
        await page.ClickAsync(".m-lang");
        await Expect(page.Locator("#tab-tasks")).ToHaveTextAsync("Tasks");
        await Expect(page.Locator("#duty-toggle")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("Go (on|off) duty"));
        await page.GotoAsync("/inspector/report");
        await Expect(page.Locator("#submit-report")).ToHaveTextAsync("Send the report");
        await NoSidewaysScrollAsync(page);
    }
}
