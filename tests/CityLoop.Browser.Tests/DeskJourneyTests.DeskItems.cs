using System.Text;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Inspector;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>
/// Issue 9's remaining desk items in Chromium (decision record 028): the agent's address on the map, merging a
/// duplicate from the queue's suggestion, an inspector's track and 漏报 for a supervisor, the case page on a phone,
/// the places gazetteer, grouped notifications.
/// </summary>
public abstract partial class DeskJourneyTests<TApp>
{
    async Task<Actor> ActorAsync(string userName) => await InDb(async db =>
    {
        var u = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == userName);
        return new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode);
    });

    [Fact]
    public async Task Agent_TypesAnAddress_ThatPlacesThePoint_AndAClickOnTheMapFillsTheAddress()
    {
        var page = await app.SignInAsync("agent", width: MapDeskWidth, height: MapDeskHeight);
        await page.GotoAsync("/Desk");
        await Expect(page.Locator("#desk-map")).ToHaveAttributeAsync("data-ready", "true");
        await page.FillAsync("#desk-address", "金城江街道");
        await page.PressAsync("#desk-address", "Enter");
        // Several places answer to these words: the agent picks one and the point lands on the map.
        await page.WaitForSelectorAsync(".desk-place-choice, #desk-map .leaflet-marker-icon");
        var choice = page.Locator(".desk-place-choice").First;
        if (await choice.IsVisibleAsync()) await choice.ClickAsync();
        await Expect(page.Locator("#Form_Lat")).Not.ToHaveValueAsync("");
        await Expect(page.Locator("#desk-map .leaflet-marker-icon")).ToHaveCountAsync(1);

        // A click on the map moves the point and, with no address typed, writes the streets and the grid there.
        await page.FillAsync("#desk-address", "");
        var before = await page.InputValueAsync("#Form_Lat");
        var box = (await page.Locator("#desk-map").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + box.Width / 2 + 40, box.Y + box.Height / 2 + 30);
        await Expect(page.Locator("#desk-address")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("金城江区.+网格"));
        Assert.NotEqual(before, await page.InputValueAsync("#Form_Lat"));
        await NoSidewaysScrollAtDeskAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("agent-desk-map.png"), FullPage = true });

        // The order carries the point: the case is where the map says.
        var lat = double.Parse(await page.InputValueAsync("#Form_Lat"), System.Globalization.CultureInfo.InvariantCulture);
        var text = "地图选点：路灯不亮 " + Guid.NewGuid().ToString("N")[..6];
        await page.FillAsync("#desk-description", text);
        await page.ClickAsync("#desk-register");
        await page.WaitForURLAsync("**/Cases/**");
        var stored = await InDb(db => db.Cases.AsNoTracking().Where(c => c.Description == text).Select(c => new { c.Latitude, c.Address, c.GridCode }).SingleAsync());
        Assert.Equal(lat, stored.Latitude!.Value, 5);
        Assert.NotNull(stored.GridCode);
        Assert.Contains("网格", stored.Address);
    }

    [Fact]
    public async Task Intake_MergesANewReport_IntoTheEarlierCaseItSuggests()
    {
        var (firstId, firstNumber) = await FiledCaseAtAPointAsync("新建路雨水井盖缺失", 24.6921, 108.0588);
        Guid secondId;
        using (var scope = app.App.Services.CreateScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<CaseCommands>().IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Title = "新建路井盖不见了", CategoryCode = "C0101",
                Description = "新建路井盖不见了，晚上走路很危险。", Latitude = 24.69212, Longitude = 108.05882, ReporterName = "赵先生", ReporterPhone = "13700002222",
            }, await ActorAsync("agent"));
            secondId = created.Case.Id;
        }
        var page = await app.SignInAsync("intake", width: MapDeskWidth, height: MapDeskHeight);
        await page.GotoAsync($"/Queue?case={secondId}");
        var hint = page.Locator($"#merge-hints li[data-case='{firstNumber}']");
        await Expect(hint).ToContainTextAsync("同类附近");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("merge-duplicate.png"), FullPage = true });
        await page.ClickAsync($"#merge-into-{firstNumber}");

        await Expect(page.Locator("#desk-case-state")).ToHaveTextAsync("已并单");
        var merged = await InDb(db => db.Cases.AsNoTracking().Where(c => c.Id == secondId).Select(c => new { c.State, c.MergedIntoNumber }).SingleAsync());
        Assert.Equal(CaseState.Merged, merged.State);
        Assert.Equal(firstNumber, merged.MergedIntoNumber);
        Assert.Equal(CaseState.PendingDispatch, await InDb(db => db.Cases.AsNoTracking().Where(c => c.Id == firstId).Select(c => c.State).SingleAsync()));
    }

    [Fact]
    public async Task Supervisor_SeesTheInspectorsTrackOfTheDay_AndTheCasesOthersReportedInTheGrid()
    {
        var a = GridPoint(5);
        var b = GridPoint(6);
        string missedNumber;
        using (var scope = app.App.Services.CreateScope())
        {
            var sp = scope.ServiceProvider;
            var patrol = sp.GetRequiredService<PatrolService>();
            var inspector = await ActorAsync("inspector");
            await patrol.SetDutyAsync(inspector, true);
            var now = DateTimeOffset.UtcNow;
            await patrol.RecordAsync(inspector, new PositionRequest(a.Lat, a.Lon, 8, now.AddMinutes(-3)));
            await patrol.RecordAsync(inspector, new PositionRequest((a.Lat + b.Lat) / 2, (a.Lon + b.Lon) / 2, 8, now.AddMinutes(-2)));
            await patrol.RecordAsync(inspector, new PositionRequest(b.Lat, b.Lon, 8, now.AddMinutes(-1)));
            // While the inspector is on duty, a citizen reports a problem in one of the inspector's grids: a missed report.
            missedNumber = (await sp.GetRequiredService<CaseCommands>().IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Title = "巡查路段垃圾堆积", CategoryCode = "E0102",
                Description = "路边垃圾堆积多日。", Latitude = b.Lat, Longitude = b.Lon, ReporterName = "钱女士", ReporterPhone = "13700003333",
            }, await ActorAsync("agent"))).Case.Number;
        }
        var page = await app.SignInAsync("supervisor", width: MapDeskWidth, height: MapDeskHeight);
        await page.ClickAsync("#nav-tracks");
        await Expect(page.Locator("#tracks-map")).ToHaveAttributeAsync("data-ready", "true");
        Assert.True(int.Parse(await page.InnerTextAsync("#tracks-points")) >= 3);
        await Expect(page.Locator("#tracks-missed-cases")).ToContainTextAsync(missedNumber);
        Assert.True(int.Parse(await page.InnerTextAsync("#tracks-missed")) >= 1);
        await Expect(page.Locator("#tracks-map path.track-line")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#tracks-map path.missed-case")).Not.ToHaveCountAsync(0);
        await NoSidewaysScrollAtDeskAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("patrol-tracks.png"), FullPage = true });
        // The day before has no patrol; inspectors and departments are not let in.
        await page.ClickAsync("#tracks-prev");
        await Expect(page.Locator("#no-shifts")).ToBeVisibleAsync();
        var handler = await app.SignInAsync("handler");
        await Expect(handler.Locator("#nav-tracks")).ToHaveCountAsync(0);
        await handler.GotoAsync("/patrol/tracks");
        await Expect(handler.Locator("#tracks-map")).ToHaveCountAsync(0);
        // The shift ends, so that the inspector's own journeys start off duty.
        using (var scope = app.App.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<PatrolService>().SetDutyAsync(await ActorAsync("inspector"), false);
    }

    [Fact]
    public async Task Inspector_ReadsTheCasePage_AndChecksTheResult_OnAPhone()
    {
        var point = GridPoint(7);
        var (id, number) = await FiledCaseAtAPointAsync("体育路路灯不亮", point.Lat, point.Lon);
        await app.ActAsAsync(id, "dispatcher", CaseAction.Dispatch, new ActionInput { LeadDepartment = "SZGLC" });
        await app.ActAsAsync(id, "handler", CaseAction.SignFor, new ActionInput());
        await app.ActAsAsync(id, "handler", CaseAction.Finish, new ActionInput { Result = "已更换灯泡" });

        var page = await InspectorPhoneAsync(point);
        await page.GotoAsync($"/Cases/{id}");
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待核查");
        await AssertNoSidewaysScrollAsync(page);
        await page.ClickAsync("#act-check-pass summary");
        await page.FillAsync("#act-check-pass textarea[name=opinion]", "现场核查：路灯已亮");
        if (await page.Locator("#photos-check-pass").CountAsync() > 0)
            await page.SetInputFilesAsync("#photos-check-pass", new FilePayload { Name = "核查.jpg", MimeType = "image/jpeg", Buffer = MapDeskImages.Photo(800, 600) });
        await AssertNoSidewaysScrollAsync(page);
        var submit = page.Locator("#submit-check-pass");
        var box = (await submit.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, "the submit button is on the screen");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-page-phone.png"), FullPage = false });
        await submit.ClickAsync();
        await Expect(page.Locator("#case-state")).ToHaveTextAsync("待结案");
        await AssertNoSidewaysScrollAsync(page);
        Assert.Contains(number, await page.InnerTextAsync("body"));
    }

    [Fact]
    public async Task Admin_AddsAPlaceOnTheMap_FindsEditsAndImportsPlaces_AndTheDeskFindsIt()
    {
        var tag = Guid.NewGuid().ToString("N")[..4];
        var page = await app.SignInAsync("admin", width: MapDeskWidth, height: MapDeskHeight);
        await page.GotoAsync("/admin/reference/places");
        await Expect(page.Locator("#place-map")).ToHaveAttributeAsync("data-ready", "true");
        await page.FillAsync("#place-name", "区人民医院" + tag);
        await page.FillAsync("#place-aliases", "人民医院" + tag + "、医院" + tag);
        var box = (await page.Locator("#place-map").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await Expect(page.Locator("#place-lat")).Not.ToHaveValueAsync("");
        await page.ClickAsync("#place-save");
        await Expect(page.Locator("#place-message")).ToBeVisibleAsync();

        await page.FillAsync("#place-search input[name=q]", "医院" + tag);
        await page.PressAsync("#place-search input[name=q]", "Enter");
        var row = page.Locator($"#places tr[data-place='区人民医院{tag}']");
        await Expect(row).ToContainTextAsync("人民医院" + tag);
        await row.Locator(".edit-place").ClickAsync();
        await page.FillAsync("#place-name", "区人民医院门诊楼" + tag);
        await page.ClickAsync("#place-save");
        await Expect(page.Locator("#place-message")).ToBeVisibleAsync();
        await page.GotoAsync("/admin/reference/places?q=" + Uri.EscapeDataString("门诊楼" + tag));
        await Expect(page.Locator($"#places tr[data-place='区人民医院门诊楼{tag}']")).ToHaveCountAsync(1);

        var csv = $"name,aliases,lat,lon\n金城江农贸市场{tag},菜市场{tag},24.6921,108.0588\n,无名,24.69,108.06\n";
        await page.SetInputFilesAsync("#place-file", new FilePayload { Name = "places.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await page.ClickAsync("#place-import-submit");
        await Expect(page.Locator("#import-report")).ToContainTextAsync("新增 1 处");
        await Expect(page.Locator("#import-report")).ToContainTextAsync("name");
        await NoSidewaysScrollAtDeskAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("admin-places.png"), FullPage = true });

        // The agent's address search finds the new place by its alias.
        var agent = await app.SignInAsync("agent", width: MapDeskWidth, height: MapDeskHeight);
        await agent.GotoAsync("/Desk");
        await Expect(agent.Locator("#desk-map")).ToHaveAttributeAsync("data-ready", "true");
        await agent.FillAsync("#desk-address", "菜市场" + tag);
        await agent.ClickAsync("#desk-locate");
        await agent.WaitForSelectorAsync(".desk-place-choice, #desk-map .leaflet-marker-icon");
        var pick = agent.Locator(".desk-place-choice", new() { HasText = "金城江农贸市场" + tag });
        if (await pick.CountAsync() > 0) await pick.ClickAsync();
        await Expect(agent.Locator("#Form_Lat")).ToHaveValueAsync("24.692100");
    }

    [Fact]
    public async Task Notifications_AreGroupedByCase_WithCounts()
    {
        var (id, number) = await app.FiledCaseAsync("分组通知测试路灯", dispatchTo: "SZGLC");
        await app.NotifyAsync(id, "depthead");
        await app.NotifyAsync(id, "depthead");
        var page = await app.SignInAsync("depthead");
        await page.GotoAsync("/Notifications");
        var group = page.Locator("#notifications details.note-group", new() { HasText = number });
        await Expect(group).ToHaveCountAsync(1);
        Assert.True(int.Parse(await group.Locator(".group-count").InnerTextAsync()) >= 2);
        await group.Locator("summary").ClickAsync();
        await Expect(group.Locator("tr.unread").First).ToBeVisibleAsync();
        await group.Locator(".read-group").ClickAsync();
        await Expect(page.Locator("#notifications details.note-group", new() { HasText = number }).Locator("tr.unread")).ToHaveCountAsync(0);
        await page.ClickAsync("#group-by a[href='?by=kind']");
        await Expect(page.Locator("#notifications details.note-group").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("notifications-grouped.png"), FullPage = true });

        // In English the messages are English: rendered from their key, the case's own title left as it is.
        await page.GotoAsync("/Notifications?culture=en&ui-culture=en");
        var english = page.Locator("#notifications details.note-group", new() { HasText = number });
        await english.Locator("summary").ClickAsync();
        await Expect(english.Locator("td", new() { HasText = $"[To do] Case {number}" })).ToContainTextAsync("a new case to sign for");
        await Expect(english.Locator("td", new() { HasText = $"[Reminder] Case {number}" }).First).ToContainTextAsync("the sign-for limit is near");
    }
}
