using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace CityLoop.Browser.Tests;

public abstract partial class DeskJourneyTests<TApp>
{
    [Fact]
    public async Task SecurityAdministrator_LooksUpExportsAndErasesACitizensData()
    {
        var phone = "137" + Random.Shared.Next(10_000_000, 99_999_999);
        string number;
        using (var scope = app.App.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var u = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == "agent");
            var created = await scope.ServiceProvider.GetRequiredService<CaseCommands>().IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Description = "楼道灯长期不亮", Address = "金城江区新建路90号",
                ReporterName = "钱女士", ReporterPhone = phone, ReporterAddress = "金城江区新建路90号2单元",
            }, new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode));
            number = created.Case.Number;
        }

        var page = await app.SignInAsync("security");
        await page.ClickAsync("#nav-citizen-requests");
        await page.FillAsync("#citizen-phone", phone);
        await page.ClickAsync("#citizen-lookup");
        await Expect(page.Locator("#citizen-cases")).ToContainTextAsync(number);

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#citizen-export"));
        var json = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("钱女士", json);
        Assert.Contains(number, json);

        // Erasure needs the explicit confirmation.
        await page.ClickAsync("#citizen-erase");
        await Expect(page.Locator("#desk-error")).ToContainTextAsync("确认");
        await page.CheckAsync("#citizen-confirm");
        await page.ClickAsync("#citizen-erase");
        await Expect(page.Locator("#citizen-erased")).ToContainTextAsync("1");
        await page.ClickAsync("#citizen-lookup");
        await Expect(page.Locator("#citizen-cases")).ToContainTextAsync("0");
    }
}
