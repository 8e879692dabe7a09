using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

/// <summary>The system administrator's historical case import page in Chromium: upload, per-row report, flags.</summary>
public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task Administrator_UploadsHistoricalCasesWithTheirMapping_AndReadsThePerRowReport()
    {
        var origin = "ui-" + Guid.NewGuid().ToString("N")[..8];
        var mapping = $$"""
            { "origin": "{{origin}}", "key": ["id"], "dateFormats": ["yyyy-MM-dd HH:mm"],
              "fields": { "sourceId": "id", "createdAt": "created", "description": "text", "closedAt": "closed", "repliedAt": "closed", "reply": "answer" },
              "defaults": { "requestType": "complaint" } }
            """;
        const string csv = "id,created,text,closed,answer\n1,2026-05-04 09:00,井盖缺失,2026-05-04 11:00,已补装\n2,昨天,路灯不亮,,\n";

        var page = await app.SignInAsync("admin");
        await page.GotoAsync(app.BaseUrl + "/admin/reference/case-imports");
        await Expect(page.Locator("h1")).ToHaveTextAsync("历史案件导入");
        await page.Locator("input[name=Upload]").SetInputFilesAsync(new FilePayload { Name = "old.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await page.Locator("input[name=Mapping]").SetInputFilesAsync(new FilePayload { Name = "mapping.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes(mapping) });
        await page.ClickAsync("main form button[type=submit]");

        await Expect(page.Locator("#case-import-summary")).ToContainTextAsync("读取 2 行，新建 1 件");
        await Expect(page.Locator("#case-import-errors tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#case-import-errors tbody")).ToContainTextAsync("created");
        await Expect(page.Locator("#case-import-flags")).ToContainTextAsync("缺少位置和地址");
        await page.ScreenshotAsync(new() { Path = AppFixture.ScreenshotPath("case-import.png"), FullPage = true });
    }
}
