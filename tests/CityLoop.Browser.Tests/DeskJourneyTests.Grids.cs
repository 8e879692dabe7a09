using CityLoop.Server.Data;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The system administrator gives a grid to another inspector and reads the grid's tenures (decision 054).</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task TheAdministrator_GivesAGridToAnotherInspector_AndSeesWhoHadItBefore()
    {
        var grid = app.App.Services.GetRequiredService<ReferenceCache>().Geo.Grids.Grids[40].Code;
        using (var scope = app.App.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (!await db.Users.AnyAsync(u => u.UserName == "inspector-ui"))
            {
                db.Users.Add(new User
                {
                    UserName = "inspector-ui", DisplayName = "监督员乙", Roles = "inspector", PasswordHash = "x",
                    CreatedAt = DateTimeOffset.UtcNow, PasswordChangedAt = DateTimeOffset.UtcNow,
                });
                await db.SaveChangesAsync();
            }
        }
        var page = await app.SignInAsync("admin", width: 1366, height: 768);
        await page.GotoAsync("/admin/reference/places");
        await page.ClickAsync("#nav-grids");
        await Expect(page.Locator("h1")).ToHaveTextAsync("网格监督员");

        // Nothing ticked: said on the page, nothing changes.
        await page.FillAsync("#grid-prefix", grid);
        await page.ClickAsync("#grid-filter button[type=submit]");
        await Expect(page.Locator("#grid-count")).ToHaveTextAsync("共 1 个网格");
        var row = page.Locator($"#grids tr[data-grid='{grid}']");
        await Expect(row.Locator(".grid-inspector")).ToContainTextAsync("监督员（演示）");
        await page.SelectOptionAsync("#grid-to", "inspector-ui");
        await page.ClickAsync("#grid-assign-selected");
        await Expect(page.Locator("#grid-problem")).ToHaveTextAsync("请至少选择一个网格。");
        await Expect(row.Locator(".grid-inspector")).ToContainTextAsync("监督员（演示）");

        await row.Locator("input[name=codes]").CheckAsync();
        await page.SelectOptionAsync("#grid-to", "inspector-ui");
        await page.ClickAsync("#grid-assign-selected");
        await Expect(page.Locator("#grid-message")).ToHaveTextAsync("已将 1 个网格分配给 inspector-ui。");
        await Expect(row.Locator(".grid-inspector")).ToHaveTextAsync("监督员乙（inspector-ui）");

        // The grid's tenures: the new inspector's, open, above the demo inspector's, which has ended.
        await row.Locator("a").ClickAsync();
        var tenures = page.Locator("#tenures tbody tr");
        await Expect(tenures).ToHaveCountAsync(2);
        await Expect(tenures.Nth(0)).ToContainTextAsync("监督员乙（inspector-ui）");
        await Expect(tenures.Nth(0)).ToContainTextAsync("至今");
        await Expect(tenures.Nth(1)).ToContainTextAsync("监督员（演示）");
        await Expect(tenures.Nth(1)).ToContainTextAsync("（启用前）");
        await NoSidewaysScrollAtDeskAsync(page);
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("admin-grids.png"), FullPage = true });

        // Only those without an inspector: none in the demo city, and the grid given back to the demo inspector.
        await page.GotoAsync("/admin/reference/grids?unassigned=true");
        await Expect(page.Locator("#no-grids")).ToBeVisibleAsync();
        using (var scope = app.App.Services.CreateScope())
        {
            var admin = new CityLoop.Domain.Identity.Actor("system:test", "test", new HashSet<CityLoop.Domain.Identity.Role> { CityLoop.Domain.Identity.Role.SystemAdmin }, null, IsSystem: true);
            await scope.ServiceProvider.GetRequiredService<GridAssignments>().AssignAsync([grid], "inspector", admin);
        }
    }
}
