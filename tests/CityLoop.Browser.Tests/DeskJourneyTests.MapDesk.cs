using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>Photos for the journeys: real images, since uploads are decoded to make their thumbnails.</summary>
public static class MapDeskImages
{
    public static byte[] Photo(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(new SKColor(90, 140, 90));
        using var paint = new SKPaint { Color = new SKColor(60, 60, 70) };
        surface.Canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 85);
        return data.ToArray();
    }
}

/// <summary>The dispatcher's map desk and the department's inbox at 1366 × 768 (issue 9).</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    const int MapDeskWidth = 1366, MapDeskHeight = 768;

    /// <summary>A filed 数字城管 case with a point in the demo city (金城江区), waiting for dispatch.</summary>
    async Task<(Guid Id, string Number)> FiledCaseAtAPointAsync(string title, double lat, double lon)
    {
        using var scope = app.App.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CityLoopDb>();
        async Task<Actor> As(string userName)
        {
            var u = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == userName);
            return new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode);
        }
        var commands = sp.GetRequiredService<CaseCommands>();
        var created = await commands.IntakeAsync(new NewCase
        {
            Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Title = title, CategoryCode = "C0101",
            Description = $"{title}：市民来电反映，请尽快处理。", Latitude = lat, Longitude = lon, ReporterName = "李先生", ReporterPhone = "13900001111",
        }, await As("agent"));
        await commands.PerformAsync(created.Case.Id, CaseAction.File, new ActionInput { StandardItem = "C0101-01", Opinion = "符合立案条件" },
            await As("leader"), null, sp.GetRequiredService<CaseQueries>());
        return (created.Case.Id, created.Case.Number);
    }

    static async Task NoSidewaysScrollAtDeskAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{page.Url} scrolls sideways");

    [Fact]
    public async Task Dispatcher_DispatchesFromTheMap_AndTheDepartmentHandlesWithAPhotoInOneStep()
    {
        var (id, number) = await FiledCaseAtAPointAsync("井盖缺失", 24.6935, 108.0556);

        // The dispatcher lands on the map desk; the case is a marker on the map.
        var desk = await app.SignInAsync("dispatcher", width: MapDeskWidth, height: MapDeskHeight);
        Assert.Contains("/Dispatch", desk.Url);
        await Expect(desk.Locator("#desk-map")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(desk.Locator("#desk-list li[data-case='" + number + "']")).ToHaveCountAsync(1);
        // The click goes to this marker's element itself: demo cases nearby may lie on top of it at this zoom.
        var marker = desk.Locator($".leaflet-marker-icon[data-case='{number}']");
        await Expect(marker).ToBeVisibleAsync();
        await marker.DispatchEventAsync("click");
        await desk.WaitForURLAsync($"**/Dispatch?tab=dispatch&case={id}");
        await Expect(desk.Locator("#desk-case-number")).ToHaveTextAsync(number);
        await Expect(desk.Locator("#routing-why")).ToBeVisibleAsync();
        // The layers: streets, grids and components can be switched on the map.
        await Expect(desk.Locator(".leaflet-control-layers-overlays label")).ToHaveCountAsync(4);
        // Exactly what the workflow allows the dispatcher now.
        var offered = await desk.Locator("#desk-case details[id^=act-]").EvaluateAllAsync<string[]>("els => els.map(e => e.id)");
        Assert.Contains("act-dispatch", offered);
        Assert.DoesNotContain("act-sign-for", offered);
        Assert.DoesNotContain("act-finish", offered);

        await desk.ClickAsync("#act-dispatch summary");
        await Pickers.ChooseAsync(desk, "#act-dispatch", "leadDepartment", "市政", "SZGLC");
        // Whatever the routing preselected as assisting, the dispatcher decides: 环卫处 assists.
        var assisting = desk.Locator("#act-dispatch [data-picker][data-name=assistingDepartments] .chip-x");
        while (await assisting.CountAsync() > 0) await assisting.First.ClickAsync();
        await Pickers.ChooseAsync(desk, "#act-dispatch", "assistingDepartments", "环卫", "HWC");
        // The grids layer: the unit grids around the case, fetched for the visible area.
        await desk.Locator(".leaflet-control-layers-overlays input").Nth(2).CheckAsync();
        await Expect(desk.Locator(".leaflet-overlay-pane path.grid-cell").First).ToBeAttachedAsync();
        await NoSidewaysScrollAtDeskAsync(desk);
        await desk.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("dispatch-map.png") });
        await desk.ClickAsync("#submit-dispatch");
        await Expect(desk.Locator("#flash")).ToContainTextAsync("派遣");
        await Expect(desk.Locator("#desk-case-state")).ToHaveTextAsync("待签收");
        await Expect(desk.Locator("#desk-list li[data-case='" + number + "']")).ToHaveCountAsync(0);

        // Other work of the department, so the inbox is an inbox.
        await app.FiledCaseAsync("路灯不亮", dispatchTo: "SZGLC");
        await app.FiledCaseAsync("人行道砖松动", dispatchTo: "SZGLC");

        // The department's handler lands in the inbox, signs for the case, and handles it with a photo in one step.
        var inbox = await app.SignInAsync("handler", width: MapDeskWidth, height: MapDeskHeight);
        Assert.Contains("/Inbox", inbox.Url);
        await inbox.ClickAsync($"#desk-list li[data-case='{number}'] a");
        await Expect(inbox.Locator("#desk-case-state")).ToHaveTextAsync("待签收");
        await inbox.ClickAsync("#act-sign-for summary");
        await inbox.ClickAsync("#submit-sign-for");
        await Expect(inbox.Locator("#desk-case-state")).ToHaveTextAsync("处置中");
        var offeredNow = await inbox.Locator("#desk-case details[id^=act-]").EvaluateAllAsync<string[]>("els => els.map(e => e.id)");
        Assert.Contains("act-finish", offeredNow);
        Assert.Contains("act-request-extension", offeredNow);
        Assert.DoesNotContain("act-dispatch", offeredNow);

        await inbox.ClickAsync("#act-finish summary");
        await inbox.FillAsync("#act-finish textarea[name=result]", "已补装井盖并设置警示，恢复通行。");
        await inbox.SetInputFilesAsync("#photos-finish", new FilePayload { Name = "处置后.jpg", MimeType = "image/jpeg", Buffer = MapDeskImages.Photo(1280, 960) });
        await NoSidewaysScrollAtDeskAsync(inbox);
        await inbox.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("department-inbox.png") });
        await inbox.ClickAsync("#submit-finish");
        await Expect(inbox.Locator("#flash")).ToContainTextAsync("办结反馈");
        await Expect(inbox.Locator("#desk-case-state")).ToHaveTextAsync("待核查");
        var inboxThumb = inbox.Locator("#photos-after img");
        await Expect(inboxThumb).ToHaveCountAsync(1);
        await Expect(inbox.Locator("#desk-list li[data-case='" + number + "']")).ToHaveCountAsync(0);

        // The case page shows the result photo as a thumbnail that links to the full image, and its point on a small map.
        await inbox.GotoAsync($"/Cases/{id}");
        var thumb = inbox.Locator("#photos-after a.thumb img");
        await Expect(thumb).ToHaveCountAsync(1);
        await Expect(thumb).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^/api/v1/attachments/[0-9a-f-]+/thumbnail$"));
        Assert.True(await thumb.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 320 && img.naturalHeight === 240"), "the thumbnail did not load at 320×240");
        var href = await inbox.Locator("#photos-after a.thumb").GetAttributeAsync("href");
        Assert.Matches("^/api/v1/attachments/[0-9a-f-]+$", href);
        await Expect(inbox.Locator("#case-map")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(inbox.Locator("#timeline li[data-action=finish]")).ToContainTextAsync("已补装井盖");
        await NoSidewaysScrollAtDeskAsync(inbox);
        await inbox.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-photos.png"), FullPage = true });

        using var scope = app.App.Services.CreateScope();
        var c = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.AsNoTracking().SingleAsync(x => x.Id == id);
        Assert.Equal("SZGLC", c.LeadDepartmentCode);
        Assert.Contains("HWC", c.AssistingDepartmentCodes);
    }

    [Fact]
    public async Task MapModule_ConvertsWgs84ToGcj02_AtAKnownPoint_AndBack()
    {
        var page = await app.SignInAsync("dispatcher", width: MapDeskWidth, height: MapDeskHeight);
        await Expect(page.Locator("#desk-map")).ToHaveAttributeAsync("data-ready", "true");
        // The published reference: WGS-84 (39.915, 116.404) in Beijing is GCJ-02 (39.91640428150164, 116.41024449916938).
        var gcj = await page.EvaluateAsync<double[]>("() => CityLoopMap.wgs84ToGcj02(39.915, 116.404)");
        Assert.Equal(39.91640428150164, gcj[0], 9);
        Assert.Equal(116.41024449916938, gcj[1], 9);
        var back = await page.EvaluateAsync<double[]>("() => CityLoopMap.gcj02ToWgs84(39.91640428150164, 116.41024449916938)");
        Assert.Equal(39.915, back[0], 8);
        Assert.Equal(116.404, back[1], 8);
        // 金城江: the shift is some hundreds of metres, and the inverse recovers the point.
        var here = await page.EvaluateAsync<double[]>("() => { var g = CityLoopMap.wgs84ToGcj02(24.6935, 108.0556); return g.concat(CityLoopMap.gcj02ToWgs84(g[0], g[1])); }");
        Assert.InRange(Math.Abs(here[0] - 24.6935) + Math.Abs(here[1] - 108.0556), 0.001, 0.02);
        Assert.Equal(24.6935, here[2], 8);
        Assert.Equal(108.0556, here[3], 8);
        // Outside China nothing moves.
        var london = await page.EvaluateAsync<double[]>("() => CityLoopMap.wgs84ToGcj02(51.5, -0.12)");
        Assert.Equal((51.5, -0.12), (london[0], london[1]));
    }

    [Fact]
    public async Task ShiftLeader_FilesFromTheQueue_PickingTheStandardItem_InEnglish()
    {
        string number;
        using (var scope = app.App.Services.CreateScope())
        {
            var sp = scope.ServiceProvider;
            var u = await sp.GetRequiredService<CityLoopDb>().Users.AsNoTracking().SingleAsync(x => x.UserName == "agent");
            number = (await sp.GetRequiredService<CaseCommands>().IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Title = "路灯不亮", CategoryCode = "C0101",
                Description = "路灯不亮：市民反映夜间无照明。", Address = "金城江区新建路12号",
            }, new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode))).Case.Number;
        }
        var page = await app.SignInAsync("leader", width: MapDeskWidth, height: MapDeskHeight);
        await page.ClickAsync(".lang a");
        await page.GotoAsync("/Queue");
        await Expect(page.Locator("#tab-reported")).ToContainTextAsync("Reported");
        await page.ClickAsync($"#desk-list li[data-case='{number}'] a");
        await Expect(page.Locator("#desk-case-number")).ToHaveTextAsync(number);
        await page.ClickAsync("#act-file summary");
        // The standard item is picked from the catalogue, never typed.
        await Expect(page.Locator("#act-file [data-picker][data-name=standardItem]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#act-file input:not([type=hidden])[name=standardItem]")).ToHaveCountAsync(0);
        await NoSidewaysScrollAtDeskAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("intake-queue.png") });
    }
}
