using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The citizen portal in Chromium: on a phone (390 × 844) and at a desk, without an account.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    static readonly byte[] PortalPhoto = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    async Task<IPage> CitizenAsync(int width, int height, string locale = "zh-CN", Geolocation? position = null)
    {
        var context = await app.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseUrl, Locale = locale, ViewportSize = new() { Width = width, Height = height },
            Geolocation = position, Permissions = position is null ? [] : ["geolocation"],
        });
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    static async Task NoSidewaysScrollAsync(IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{page.Url} scrolls sideways");

    [Fact]
    public async Task Citizen_OnAPhone_ReportsWithAPhotoAndAMapPoint_TracksItToClosure_AndRatesTheReply()
    {
        var page = await CitizenAsync(390, 844);
        await page.GotoAsync("/portal");
        // The map draws the platform's streets without any tile server.
        await Expect(page.Locator("#map[data-ready=true] path.leaflet-interactive").First).ToBeVisibleAsync();
        await NoSidewaysScrollAsync(page);
        await page.Locator("#map").ClickAsync();
        await Expect(page.Locator("#point-text")).ToContainTextAsync("已选位置");
        await Expect(page.Locator(".leaflet-marker-icon")).ToHaveCountAsync(1);
        Assert.Matches(@"^\d+\.\d{6}$", await page.InputValueAsync("#Latitude"));
        await page.ClickAsync("label.p-cat:has-text('井盖缺失或损坏')");
        await page.FillAsync("#Description", "人行道上井盖缺失，晚上很危险");
        await page.SetInputFilesAsync("#Photos", new FilePayload { Name = "manhole.png", MimeType = "image/png", Buffer = PortalPhoto });
        await Expect(page.Locator("#previews img")).ToHaveCountAsync(1);
        await page.FillAsync("#Phone", "13966667777");
        await NoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("portal-report.png"), FullPage = true });

        await page.ClickAsync("#submit-report");
        await page.WaitForURLAsync("**/portal/done");
        var number = await page.InnerTextAsync("#receipt-number");
        var code = await page.InnerTextAsync("#receipt-code");
        Assert.Matches(@"^\d{6}$", code);
        await NoSidewaysScrollAsync(page);

        await page.ClickAsync("#go-track");
        await Expect(page.Locator("#Number")).ToHaveValueAsync(number);
        await page.FillAsync("#Code", code);
        await page.ClickAsync("#track-submit");
        await Expect(page.Locator("#track-state")).ToHaveTextAsync("已受理，审核中");
        await Expect(page.Locator("#track-timeline")).ToContainTextAsync("已收到您的反映");
        await Expect(page.Locator("#rate")).ToHaveCountAsync(0);

        // The desks take it through the loop behind the citizen's back.
        Guid id;
        using (var scope = app.App.Services.CreateScope())
            id = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.Where(c => c.Number == number).Select(c => c.Id).SingleAsync();
        await app.ActAsAsync(id, "leader", CaseAction.File, new ActionInput { StandardItem = "C0101-01" });
        await app.ActAsAsync(id, "dispatcher", CaseAction.Dispatch, new ActionInput { LeadDepartment = "SZGLC" });
        await app.ActAsAsync(id, "handler", CaseAction.SignFor, ActionInput.Empty);
        await app.ActAsAsync(id, "handler", CaseAction.Finish, new ActionInput { Result = "已补装井盖，并在周边设置警示标志。" });
        await app.ActAsAsync(id, "intake", CaseAction.CheckPass, new ActionInput { Opinion = "现场核查已修复" });
        await app.ActAsAsync(id, "leader", CaseAction.Close, new ActionInput { StandardItem = "C0101-01" });

        await page.GotoAsync($"/portal/track?number={number}");
        await page.FillAsync("#Code", code);
        await page.ClickAsync("#track-submit");
        await Expect(page.Locator("#track-state")).ToHaveTextAsync("已办结");
        await Expect(page.Locator("#track-reply")).ToContainTextAsync("已补装井盖");
        await Expect(page.Locator("#track-department")).ToHaveTextAsync("市政管理处");
        await Expect(page.Locator("#track-timeline li[data-kind=dispatch]")).ToContainTextAsync("已交市政管理处办理");
        await page.CheckAsync("#rate-form input[name=Resolved][value=true]");
        await page.CheckAsync("#rate-form input[name=Satisfaction][value=Satisfied]");
        await page.FillAsync("#rate-form textarea[name=Comment]", "修得很快，谢谢");
        await NoSidewaysScrollAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("portal-track.png"), FullPage = true });

        await page.ClickAsync("#rate-submit");
        await Expect(page.Locator("#rating-thanks")).ToContainTextAsync("感谢您的评价");
        await Expect(page.Locator("#your-rating")).ToContainTextAsync("满意");
        await Expect(page.Locator("#rate")).ToHaveCountAsync(0);
        await NoSidewaysScrollAsync(page);
        using (var scope = app.App.Services.CreateScope())
        {
            var c = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Cases.AsNoTracking().SingleAsync(x => x.Id == id);
            Assert.Equal(Satisfaction.Satisfied, c.FollowUpSatisfaction);
            Assert.Equal(CaseSource.Website, c.Source);
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Attachments.CountAsync(a => a.CaseId == id));
        }
    }

    [Fact]
    public async Task Citizen_AtADesk_InEnglish_UsesThePhonesPosition_AndIsToldWhatIsMissing()
    {
        var page = await CitizenAsync(1366, 768, "en", new Geolocation { Latitude = 24.6953f, Longitude = 108.0612f });
        await page.GotoAsync("/portal");
        // The language switch keeps the choice for the pages that follow (a cookie), as on the desks.
        await page.ClickAsync(".p-lang");
        await page.WaitForURLAsync("**/portal");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Seen a problem in the city? Tell us");
        await page.ClickAsync("#submit-report");
        await Expect(page.Locator("#report-error")).ToHaveTextAsync("Describe the problem (at least 5 characters).");
        await page.FillAsync("#Description", "Rubbish has been piling up by the bus stop for a week");
        await page.ClickAsync("label.p-cat:has-text('Rubbish piling up')");
        // A text file dressed as a photo is refused before it is sent (and by its content on the server).
        await page.SetInputFilesAsync("#Photos", new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "not a photo"u8.ToArray() });
        await Expect(page.Locator("#photo-error")).ToHaveTextAsync("'notes.txt' is not a photo: only JPEG, PNG and WebP images can be uploaded.");
        await page.SetInputFilesAsync("#Photos", Array.Empty<FilePayload>());
        await page.ClickAsync("#use-gps");
        await Expect(page.Locator("#Latitude")).ToHaveValueAsync("24.695300");
        await Expect(page.Locator("#Longitude")).ToHaveValueAsync("108.061200");
        await NoSidewaysScrollAsync(page);
        // For looking at, not for the README: the test output folder.
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots-portal-report-desk.png"), FullPage = true });
        await page.ClickAsync("#submit-report");
        await page.WaitForURLAsync("**/portal/done");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Thank you: your report was received");
        var number = await page.InnerTextAsync("#receipt-number");
        await page.ClickAsync("#go-track");
        await page.FillAsync("#Code", "abcdef");
        await page.ClickAsync("#track-submit");
        await Expect(page.Locator("#track-error")).ToHaveTextAsync("The case number or query code is not right: check them and try again.");
        await Expect(page.Locator("#Number")).ToHaveValueAsync(number);
        await NoSidewaysScrollAsync(page);
    }
}
