using System.Text.RegularExpressions;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Clocks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The pages that were Chinese only, and the case timeline, as a user reads them in both languages at a desk.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    static readonly Regex Chinese = new(@"\p{IsCJKUnifiedIdeographs}");

    static async Task ToEnglishAsync(IPage page)
    {
        await page.GotoAsync("/Account/Culture?c=en&returnUrl=" + Uri.EscapeDataString(new Uri(page.Url).PathAndQuery));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", new Regex("^en"));
    }

    [Fact]
    public async Task TheReferenceAdminPages_ReadInChineseAndInEnglish()
    {
        var page = await app.SignInAsync("admin", width: MapDeskWidth, height: MapDeskHeight);
        (string Path, string Zh, string En, string Shot)[] pages =
        [
            ("/admin/reference/routing-gaps", "派遣责任空白", "Dispatch responsibility gaps", "admin-routing-gaps"),
            ("/admin/reference/categories", "案件类别与立案条件", "Case categories and filing conditions", "admin-categories"),
            ("/admin/reference/imports", "基础数据导入", "Reference data import", "admin-imports"),
            ("/admin/reference/grids", "网格监督员", "Grid inspectors", "admin-grids"),
        ];
        foreach (var (path, zh, _, shot) in pages)
        {
            await page.GotoAsync(path);
            await Expect(page.Locator("h1")).ToHaveTextAsync(zh);
            await NoSidewaysScrollAtDeskAsync(page);
            if (shot == "admin-routing-gaps") await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath(shot + ".png") });
        }
        await ToEnglishAsync(page);
        foreach (var (path, _, en, shot) in pages)
        {
            await page.GotoAsync(path);
            await Expect(page.Locator("h1")).ToHaveTextAsync(en);
            // What the page says — headings, labels, buttons, table heads — is English; the data it lists may be Chinese.
            foreach (var text in await page.Locator("main h1, main h2, main label, main button, main th, main legend").AllInnerTextsAsync())
                Assert.False(Chinese.IsMatch(text), $"{path}: '{text}'");
            await NoSidewaysScrollAtDeskAsync(page);
            await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath(shot + "-en.png") });
        }
    }

    [Fact]
    public async Task TheTimeline_SaysInWordsWhatTheSystemDid_InEnglish()
    {
        // The clock worker's steps on the demo's cases: overdue marks, reminders and escalations.
        Guid id;
        using (var scope = app.App.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<ClockSweeper>().SweepAsync();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            id = await db.CaseEvents.AsNoTracking().Where(e => e.ActorIsSystem && e.ActorId == "system:clock").OrderByDescending(e => e.Seq)
                .Select(e => e.CaseId).FirstAsync();
        }
        var page = await app.SignInAsync("supervisor", width: MapDeskWidth, height: MapDeskHeight);
        await page.GotoAsync($"/Cases/{id}");
        var clock = page.Locator("#timeline li", new() { Has = page.Locator(".tl-actor", new() { HasText = "时限监控" }) }).First;
        await Expect(clock).ToContainTextAsync("（系统）");
        await Expect(page.Locator("#timeline")).Not.ToContainTextAsync("BackgroundWorker");
        await Expect(page.Locator("#timeline")).Not.ToContainTextAsync("phase");
        await ToEnglishAsync(page);
        await Expect(page.Locator("section:has(#timeline) > h2")).ToHaveTextAsync("Timeline");
        var timeline = page.Locator("#timeline");
        await Expect(timeline).Not.ToContainTextAsync("BackgroundWorker");
        await Expect(timeline.Locator(".tl-actor", new() { HasText = "Deadline clock" }).First).ToBeVisibleAsync();
        // The system's steps, the names of the steps and of every field are English; only people's names and what they typed are not.
        var clockEntries = timeline.Locator("li", new() { Has = page.Locator(".tl-actor", new() { HasText = "Deadline clock" }) });
        Assert.True(await clockEntries.CountAsync() > 0);
        foreach (var text in await clockEntries.AllInnerTextsAsync())
            Assert.False(Chinese.IsMatch(text), text);
        foreach (var text in await timeline.Locator(".tl-action, .tl-detail .muted").AllInnerTextsAsync())
            Assert.False(Chinese.IsMatch(text), text);
        Assert.DoesNotMatch(new Regex(@"\b[a-z]+[A-Z]\w*:"), await timeline.InnerTextAsync());
        await NoSidewaysScrollAtDeskAsync(page);
        await timeline.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-timeline-en.png"), FullPage = true });
    }
}
