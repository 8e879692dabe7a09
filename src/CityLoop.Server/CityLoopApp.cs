using System.Text.Json;
using System.Text.Json.Serialization;
using CityLoop.Domain.Cases;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Features.Pickers;
using CityLoop.Server.Features.Portal;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Features.Supervision;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Globalization;

namespace CityLoop.Server;

public static class CityLoopApp
{
    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length > 0 && Verbs.IsVerb(args[0])) return await Verbs.RunAsync(args);
        var app = Build(args);
        await PrepareAsync(app);
        await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name is this assembly even when another process hosts it (browser tests), so that the
        // Razor Pages compiled into it are found.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args, ContentRootPath = ContentRoot(args), ApplicationName = typeof(CityLoopApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);
        AddServices(builder.Services, builder.Configuration, builder.Environment);
        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    /// <summary>The folder with appsettings.json: the working directory if it has one, else the program's own folder.</summary>
    public static string? ContentRoot(string[] args)
    {
        if (args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))) return null;
        var cwd = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(cwd, "appsettings.json")) ? cwd : AppContext.BaseDirectory;
    }

    public static void AddServices(IServiceCollection services, IConfiguration config, IHostEnvironment env)
    {
        services.Configure<PlatformOptions>(config.GetSection("Platform"));
        services.AddSingleton(TimeProvider.System);
        services.AddCityLoopDatabase(config);
        services.AddHttpContextAccessor();
        services.AddCityLoopAuth(config);
        services.AddCityLoopRateLimits(config);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => Json(o.SerializerOptions));
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database").AddCheck<CalendarHealthCheck>("calendar");
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Features";
            // Every desk page needs a signed-in user; only the account pages (sign-in, language, denied) are open.
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToFolder("/Account");
            o.Conventions.AllowAnonymousToFolder("/Public");
            o.Conventions.AllowAnonymousToFolder("/Portal");
            o.Conventions.AddPageApplicationModelConvention("/Account/Login",
                m => m.EndpointMetadata.Add(new Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute(RateLimits.SignIn)));
        }).AddViewLocalization();
        services.AddSingleton<Features.Shared.Ui>();
        services.AddScoped<Features.Shared.Nav>();
        // Pages are mostly Chinese: write it as text, not as numeric character references.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddLocalization();
        services.AddSignalR();
        services.AddHostedService<ClockWorker>();
        services.AddHostedService<NotificationRelay>();
        services.AddHostedService<Features.Exchange.ExchangeWorker>();
        services.AddHostedService<Features.Indicators.FactDayWorker>();
        services.AddPrivacy();
        services.AddPortal(config);
        Features.Inspector.InspectorSetup.AddInspector(services, config);
        // The desks' dashboards read the inspector's desk: web server only, like the desk itself.
        services.AddScoped<Features.Screen.DeskDashboards>();
        services.Configure<Features.Maps.MapOptions>(config.GetSection("Map"));
        AddDomainServices(services, config);
    }

    /// <summary>What both the web server and the command-line verbs need.</summary>
    public static void AddDomainServices(IServiceCollection services, IConfiguration? config = null)
    {
        config ??= new ConfigurationBuilder().Build();
        services.Configure<ClockOptions>(config.GetSection("Clocks"));
        services.PostConfigure<ClockOptions>(o => { if (o.Escalation.Count == 0) o.Escalation.AddRange(ClockOptions.DefaultEscalation); });
        services.Configure<NotificationOptions>(config.GetSection("Notifications"));
        services.PostConfigure<NotificationOptions>(o => { if (o.StaffChannels.Count == 0) o.StaffChannels.AddRange(NotificationOptions.DefaultStaffChannels); });
        services.Configure<FollowUpOptions>(config.GetSection("FollowUp"));
        services.Configure<WorkflowOptions>(config.GetSection("Workflow"));
        services.Configure<Features.Attachments.AttachmentOptions>(config.GetSection("Attachments"));
        services.AddSingleton<Features.Attachments.AttachmentStore>();
        // Hooks (policies) and projections (derived tables) run in their declared Order inside the unit of work.
        services.AddScoped<ICaseHook, RepeatFinder>();
        services.AddScoped<ICaseHook, FollowUpPolicy>();
        services.AddScoped<ICaseHook, ActNowNotifier>();
        services.AddScoped<ICaseProjection, CaseClockProjection>();
        services.AddScoped<ICaseProjection, PhaseTimeProjection>();
        services.AddScoped<ICaseProjection, FollowUpTaskProjection>();
        services.AddScoped<ICaseProjection, ReminderProjection>();
        services.AddScoped<ICaseProjection, Features.Indicators.CaseFactProjection>();
        services.AddScoped<Features.Indicators.IndicatorQueries>();
        services.Configure<Features.Inspector.PatrolOptions>(config.GetSection("Patrol"));
        services.AddScoped<Features.Inspector.PatrolService>();
        services.AddScoped<Features.Indicators.RankingQueries>();
        services.AddScoped<Features.Indicators.FactDays>();
        services.AddScoped<Features.Indicators.FactDayProjector>();
        services.AddScoped<Features.Screen.ScreenQueries>();
        services.Configure<Features.Screen.ScreenOptions>(config.GetSection("Screen"));
        services.AddOptions<Features.Reports.ReportOptions>().Bind(config.GetSection("Reports"))
            .Validate(o => o.Ids.All(id => CityLoop.Domain.Indicators.IndicatorCatalogue.Find(id) is not null), "Reports:Figures names an indicator the catalogue does not have.")
            .ValidateOnStart();
        services.AddScoped<Features.Reports.ReportService>();
        services.AddSingleton<Features.Reports.ReportPdf>();
        services.AddScoped<Features.Reports.EvaluationService>();
        services.AddOptions<Features.Indicators.FiguresOptions>().Bind(config.GetSection("Figures"))
            .Validate(o => o.Problems().Count == 0, "Figures: the 三率 weights or an assessment scheme cannot be used (weights add up to 1; schemes score known rates).")
            .ValidateOnStart();
        services.AddScoped<ProjectionRebuilder>();
        services.AddScoped<ClockSweeper>();
        services.AddScoped<Notifier>();
        services.AddScoped<LivePush>();
        services.AddScoped<INotificationChannel, InAppChannel>();
        services.AddScoped<INotificationChannel, SmsChannel>();
        services.AddScoped<INotificationChannel, EmailChannel>();
        if (string.Equals(config["Notifications:Sms:Provider"], "http", StringComparison.OrdinalIgnoreCase))
            services.AddHttpClient<ISmsProvider, HttpSmsProvider>();
        else services.AddSingleton<ISmsProvider, OutboxSmsProvider>();
        services.AddScoped<Audit>();
        services.AddPrivacyServices();
        services.AddScoped<CaseCommands>();
        services.AddOptions<CaseListOptions>().Bind(config.GetSection("CaseList"));
        services.AddScoped<CaseQueries>();
        services.AddScoped<Features.Attachments.ActionWithPhotos>();
        services.AddScoped<Features.Desks.QueueDesk>();
        services.AddScoped<ActionReferences>();
        services.AddScoped<Features.Platforms.PlatformRegistry>();
        services.AddScoped<Features.Pickers.CodeLists>();
        services.AddScoped<Features.Pickers.PickerQueries>();
        services.AddSingleton<ReferenceCache>();
        services.AddSingleton<IWorkingClock, CatalogueWorkingClock>();
        services.AddSingleton<IDeadlinePolicy, WorkingClockDeadlinePolicy>();
        services.AddSingleton<IPlaceResolver, GridPlaceResolver>();
        services.AddScoped<ReferenceImporter>();
        services.AddScoped<Features.Imports.CaseImporter>();
        services.AddScoped<ReferenceAdmin>();
        services.AddScoped<GridAssignments>();
        services.AddScoped<DemoSeeder>();
        services.AddScoped<Features.Calls.CallLog>();
        services.AddScoped<Features.Knowledge.KnowledgeBase>();
        services.AddScoped<Features.Desk.DeskQueries>();
        services.Configure<Features.Open311.Open311Options>(config.GetSection("Open311"));
        services.AddScoped<Features.Open311.Open311Link>();
        services.AddScoped<ICaseHook>(sp => sp.GetRequiredService<Features.Open311.Open311Link>());
        services.AddScoped<Features.Open311.Open311Api>();
        // 三级联网: peers, the outbox hook, receipt and delivery (docs/decisions/021).
        services.AddOptions<Features.Exchange.ExchangeOptions>().Bind(config.GetSection("Exchange"))
            .Validate(o => !o.Problems().Any(), "Exchange:Peers: each peer needs a Code, an http(s) BaseUrl, a Secret of 16+ characters and Role upper or lower.")
            .ValidateOnStart();
        services.AddHttpClient(Features.Exchange.ExchangeDelivery.HttpClientName);
        services.AddScoped<Features.Exchange.ExchangeReceipt>();
        services.AddScoped<ICaseHook, Features.Exchange.ExchangeHook>();
        services.AddScoped<Features.Exchange.ExchangeReceiver>();
        services.AddScoped<Features.Exchange.ExchangeDelivery>();
        services.AddScoped<Features.Exchange.ExchangeStatus>();
    }

    public static void Json(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        o.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        InputGuard.AddConverters(o);
    }

    static void UsePipeline(WebApplication app)
    {
        app.UseSecurityHeaders(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Maps.MapOptions>>().Value.TileSource);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Inside the shared error pages: everything under /open311 answers in Open311's own error format.
        Features.Open311.Open311Errors.UseOpen311Errors(app);
        app.UseInputGuard();
        var cultures = new[] { new CultureInfo("zh-CN"), new CultureInfo("en") };
        app.UseRequestLocalization(new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture("zh-CN"),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
            RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider()],
        });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseApiScopes();
        app.UsePendingStepGate();
        // After authentication: intake is counted per principal, and an anonymous request is a 401, not a 429.
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/health", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            ResponseWriter = async (http, report) =>
            {
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsJsonAsync(new
                {
                    status = report.Status.ToString().ToLowerInvariant(),
                    checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
                });
            },
        }).AllowAnonymous();
        app.MapCaseEndpoints();
        app.MapPickerEndpoints();
        Features.Platforms.PlatformEndpoints.MapPlatformEndpoints(app);
        app.MapIdentityEndpoints();
        app.MapReferenceEndpoints();
        app.MapClockEndpoints();
        app.MapSupervisionEndpoints();
        app.MapFollowUpEndpoints();
        app.MapNotificationEndpoints();
        Features.Indicators.IndicatorEndpoints.MapIndicatorEndpoints(app);
        Features.Indicators.RankingEndpoints.MapRankingEndpoints(app);
        Features.Reports.ReportEndpoints.MapReportEndpoints(app);
        Features.Reports.EvaluationEndpoints.MapEvaluationEndpoints(app);
        app.MapPrivacyEndpoints();
        Features.Calls.CallEndpoints.MapCallEndpoints(app);
        Features.Knowledge.KnowledgeEndpoints.MapKnowledgeEndpoints(app);
        Features.Screen.ScreenEndpoints.MapScreenEndpoints(app);
        Features.Screen.DeskDashboardEndpoints.MapDeskDashboardEndpoints(app);
        app.MapPortalEndpoints();
        Features.Open311.Open311Endpoints.MapOpen311Endpoints(app);
        Features.Imports.CaseImportEndpoints.MapCaseImportEndpoints(app);
        Features.Inspector.InspectorEndpoints.MapInspectorEndpoints(app);
        Features.Camera.CameraEndpoints.MapCameraEndpoints(app);
        Features.Exchange.ExchangeEndpoints.MapExchangeEndpoints(app);
        app.MapHub<NotificationHub>("/hubs/notifications");
        app.MapRazorPages();
    }

    /// <summary>Brings the schema up to date and, in Development, seeds the demo city on first run.</summary>
    public static async Task PrepareAsync(WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var config = app.Configuration;
        if (config.GetValue("Database:MigrateOnStart", true))
        {
            var applied = await scope.ServiceProvider.GetRequiredService<Migrator>().MigrateAsync();
            // Callers' data stored before 0006 is in clear: encrypt it once, as part of the upgrade.
            if (applied.Any(a => a.StartsWith("0006", StringComparison.Ordinal)))
                await scope.ServiceProvider.GetRequiredService<DataRekey>().RunAsync();
        }
        // Demo accounts share one published password: they never exist outside Development.
        if (app.Environment.IsDevelopment() && config.GetValue("Demo:Seed", true))
        {
            await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedIfEmptyAsync();
            // The demo administrators sign in with the documented demo TOTP key (README), as administrators must.
            await TwoFactor.EnrolDemoAdministratorsAsync(scope.ServiceProvider.GetRequiredService<CityLoopDb>());
        }
    }
}

public sealed class DatabaseHealthCheck(CityLoopDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(ct)
                ? HealthCheckResult.Healthy(db.IsPostgres ? "postgres" : "sqlite")
                : HealthCheckResult.Unhealthy("The database cannot be reached.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database cannot be reached.", ex);
        }
    }
}

/// <summary>
/// Holidays are published each November as data: a calendar without this year's (or, from 1 November, next year's)
/// holidays would silently count them as working days, so health reports it as degraded.
/// </summary>
public sealed class CalendarHealthCheck(Features.Reference.ReferenceCache reference, TimeProvider clock, Microsoft.Extensions.Options.IOptions<PlatformOptions> platform) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var missing = HolidayWatch.MissingYears(reference.Calendars.Platform, clock.GetUtcNow(), platform.Value.Zone);
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy("holidays loaded")
            : HealthCheckResult.Degraded($"no holidays for {string.Join(", ", missing)}: import them (import holidays FILE.csv)"));
    }
}

public static class HolidayWatch
{
    /// <summary>The years whose holidays the platform calendar lacks: this year's always, next year's from 1 November.</summary>
    public static IReadOnlyList<int> MissingYears(Domain.Clock.WorkingCalendar calendar, DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        int[] years = local.Month >= 11 ? [local.Year, local.Year + 1] : [local.Year];
        return years.Where(y => !calendar.HasExceptionsForYear(y)).ToList();
    }
}
