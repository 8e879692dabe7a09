using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CityLoop.Browser.Tests;

/// <summary>The real app on a free port with a throwaway database and a small demo city, plus one Chromium.</summary>
public abstract class AppFixture : IAsyncLifetime
{
    protected abstract string Provider { get; }
    protected abstract string ConnectionString { get; }
    IPlaywright? _playwright;
    WebApplication? _app;

    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public WebApplication App => _app!;
    /// <summary>Settings a fixture adds to the command line (e.g. peer platforms).</summary>
    protected virtual IEnumerable<string> ExtraArgs => [];

    public async Task InitializeAsync()
    {
        _app = CityLoopApp.Build(["--urls", "http://127.0.0.1:0", "--environment", "Development", $"--Database:Provider={Provider}",
            $"--Database:ConnectionString={ConnectionString}", "--Demo:Seed=false",
            // The journeys sign in far more often than a person: the sign-in rate limit would turn them away.
            "--RateLimits:SignInPerMinute=100000",
            // … and sign the same administrator in several times within one 30-second code: the replay guard has its server test.
            "--Security:TotpReplayGuard=false",
            // The wall screen and dashboards refresh every 5 s here (30 s by default), so a journey sees a change arrive.
            "--Screen:RefreshSeconds=5", .. ExtraArgs]);
        await CityLoopApp.PrepareAsync(_app);
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(20);
            await CityLoop.Server.Features.Identity.TwoFactor.EnrolDemoAdministratorsAsync(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
        }
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _playwright = await Playwright.CreateAsync();
        // CI machines are small and busy: wait for pages rather than fail on a slow render.
        Assertions.SetDefaultExpectTimeout(20_000);
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=zh-CN"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Cleanup();
    }

    protected virtual void Cleanup()
    {
    }

    /// <summary>A fresh browser context signed in as a demo user, in Chinese unless asked otherwise.</summary>
    public async Task<IPage> SignInAsync(string user, string password = DemoSeeder.DemoPassword, int width = 1440, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = BaseUrl, Locale = "zh-CN", ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", password);
        await page.ClickAsync("button[type=submit]");
        // Administrators are asked for the code from their authenticator (the demo key) after the password.
        await page.WaitForSelectorAsync("#Code, body:not(:has(#Password))");
        if (await page.Locator("#Code").CountAsync() > 0)
        {
            await page.FillAsync("#Code", CityLoop.Server.Features.Identity.TwoFactor.Code(CityLoop.Server.Features.Identity.TwoFactor.DemoSecret, DateTimeOffset.UtcNow));
            await page.ClickAsync("button[type=submit]");
        }
        // Desk staff land on the case list, administrators on their own pages.
        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        return page;
    }

    /// <summary>A new hotline case, filed by the shift leader and, if asked, dispatched: the starting point of a journey.</summary>
    public async Task<(Guid Id, string Number)> FiledCaseAsync(string title, string? dispatchTo = null, string category = "H150103",
        string standard = "H-complaint")
    {
        using var scope = App.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CityLoopDb>();
        var commands = sp.GetRequiredService<CaseCommands>();
        var queries = sp.GetRequiredService<CaseQueries>();
        async Task<Actor> As(string userName)
        {
            var u = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == userName);
            return new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode);
        }
        var created = await commands.IntakeAsync(new NewCase
        {
            Source = CaseSource.Hotline, RequestType = RequestType.Complaint, Title = title,
            Description = $"{title}：市民来电反映，请尽快处理。", Address = "金城江区新建路88号",
            ReporterName = "王女士", ReporterPhone = "13800001234",
        }, await As("agent"));
        var id = created.Case.Id;
        await commands.PerformAsync(id, CaseAction.File, new ActionInput { CategoryCode = category, StandardItem = standard, Opinion = "符合立案条件" }, await As("leader"), null, queries);
        if (dispatchTo is not null)
            await commands.PerformAsync(id, CaseAction.Dispatch, new ActionInput { LeadDepartment = dispatchTo }, await As("dispatcher"), null, queries);
        return (id, created.Case.Number);
    }

    /// <summary>An in-app message to a user about a case, queued and delivered by the Notifier as the reminders are.</summary>
    public async Task NotifyAsync(Guid caseId, string userName)
    {
        using var scope = App.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CityLoopDb>();
        var notifier = sp.GetRequiredService<Notifier>();
        var commands = sp.GetRequiredService<CaseCommands>();
        var user = await db.Users.AsNoTracking().SingleAsync(x => x.UserName == userName);
        var c = await db.Cases.SingleAsync(x => x.Id == caseId);
        var fields = await notifier.FieldsAsync(c, default);
        await commands.ChangeAsync([c], new Actor("system:test", "测试", new HashSet<Role> { Role.BackgroundWorker }, null, IsSystem: true),
            (x, ctx) => notifier.ToStaffAsync(x, "clock-warn", fields, [user], ctx, default));
        await notifier.DeliverPendingAsync();
    }

    /// <summary>Someone else acts on the case behind the browser's back.</summary>
    public async Task ActAsAsync(Guid id, string userName, CaseAction action, ActionInput input)
    {
        using var scope = App.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var u = await sp.GetRequiredService<CityLoopDb>().Users.AsNoTracking().SingleAsync(x => x.UserName == userName);
        await sp.GetRequiredService<CaseCommands>().PerformAsync(id, action, input,
            new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode), null, sp.GetRequiredService<CaseQueries>());
    }

    /// <summary>
    /// Waits until the page's charts have finished drawing, animations included (the scripts set
    /// <c>body[data-drawn]</c> on ECharts' <c>finished</c>; on the screen it equals the figures' <c>data-loaded</c>
    /// time), so a screenshot never shows a line drawn half-way.
    /// </summary>
    public static Task ChartsDrawnAsync(Microsoft.Playwright.IPage page) =>
        page.WaitForFunctionAsync("() => { const b = document.body.dataset; return !!b.drawn && (!b.loaded || b.drawn === b.loaded); }",
            null, new() { Timeout = 15_000 });

    /// <summary>
    /// Where a journey saves its screenshot: docs/screenshots when CITYLOOP_SCREENSHOTS=1 (to refresh the README's
    /// pictures), otherwise the test output folder so that a test run leaves the work tree clean.
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        if (Environment.GetEnvironmentVariable("CITYLOOP_SCREENSHOTS") != "1")
            return Path.Combine(AppContext.BaseDirectory, "screenshots-" + name);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CityLoop.slnx"))) dir = dir.Parent;
        var target = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "docs", "screenshots");
        Directory.CreateDirectory(target);
        return Path.Combine(target, name);
    }
}

public sealed class SqliteAppFixture : AppFixture
{
    readonly string _dbFile = Path.Combine(Path.GetTempPath(), $"cityloop-ui-{Guid.NewGuid():N}.db");

    protected override string Provider => "sqlite";
    protected override string ConnectionString => $"Data Source={_dbFile}";

    protected override void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _dbFile, _dbFile + "-wal", _dbFile + "-shm" }) File.Delete(f);
    }
}

public sealed class PostgresAppFixture : AppFixture
{
    readonly Lazy<string> _cs = new(() => CityLoop.Server.Tests.Infrastructure.PostgresServer.CreateDatabase("cityloop_ui"));

    protected override string Provider => "postgres";
    protected override string ConnectionString => _cs.Value;
}
