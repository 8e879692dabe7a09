using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Data;

public static class DatabaseSetup
{
    /// <summary>
    /// Reads the change tracker without EF's change-detection scan of every tracked row, which asking for its entries
    /// otherwise runs (decision 029: one detection per save). <paramref name="read"/> must finish its enumeration
    /// (Any, Count, ToList) before it returns.
    /// </summary>
    public static TResult WithoutChangeScan<TResult>(this DbContext db, Func<Microsoft.EntityFrameworkCore.ChangeTracking.ChangeTracker, TResult> read)
    {
        var auto = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return read(db.ChangeTracker);
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = auto;
        }
    }

    /// <summary>
    /// SQLite by default (a file under the working directory), PostgreSQL when <c>Database:Provider</c> says so
    /// or the connection string is a PostgreSQL one.
    /// </summary>
    public static IServiceCollection AddCityLoopDatabase(this IServiceCollection services, IConfiguration config)
    {
        var (provider, connectionString) = Resolve(config);
        services.AddOptions<Features.Privacy.PrivacyOptions>().Bind(config.GetSection("Privacy"));
        services.AddSingleton(sp => Features.Privacy.PersonalDataKeys.FromOptions(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Privacy.PrivacyOptions>>().Value, sp.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton<Features.Privacy.PhoneHashInterceptor>();
        // Contexts are pooled (decision 051): a request leases one whose EF services are already resolved, instead of
        // building them anew (a tenth of an intake's CPU). The options are built once from configuration and singletons.
        services.AddDbContextPool<CityLoopDb>((sp, o) =>
        {
            Configure(o, provider, connectionString);
            ((Microsoft.EntityFrameworkCore.Infrastructure.IDbContextOptionsBuilderInfrastructure)o).AddOrUpdateExtension(
                new Features.Privacy.PersonalDataKeysExtension(sp.GetRequiredService<Features.Privacy.PersonalDataKeys>()));
            o.AddInterceptors(sp.GetRequiredService<Features.Privacy.PhoneHashInterceptor>());
            // The web server keeps users in memory (decision 029); the command-line verbs, which have no cache, need no
            // interceptor (other nodes still hear of their account changes through the users trigger).
            if (provider == "postgres" && sp.GetService<Features.Identity.UserCache>() is { } cache)
                o.AddInterceptors(new Features.Identity.UserCacheInterceptor(cache));
        });
        services.AddScoped<Migrator>();
        return services;
    }

    public static (string Provider, string ConnectionString) Resolve(IConfiguration config)
    {
        var cs = config["Database:ConnectionString"] ?? config.GetConnectionString("CityLoop");
        var provider = config["Database:Provider"]?.ToLowerInvariant();
        if (provider is null or "")
            provider = cs is not null && (cs.Contains("Host=", StringComparison.OrdinalIgnoreCase) || cs.Contains("Server=", StringComparison.OrdinalIgnoreCase)) ? "postgres" : "sqlite";
        if (provider is "postgresql" or "npgsql") provider = "postgres";
        if (provider is not ("sqlite" or "postgres"))
            throw new InvalidOperationException($"Database:Provider must be 'sqlite' or 'postgres', not '{provider}'.");
        if (string.IsNullOrWhiteSpace(cs))
        {
            if (provider == "postgres") throw new InvalidOperationException("Database:ConnectionString is required for PostgreSQL.");
            Directory.CreateDirectory("data");
            cs = "Data Source=data/cityloop.db";
        }
        return (provider, cs);
    }

    public static void Configure(DbContextOptionsBuilder o, string provider, string connectionString)
    {
        // The batch size is stated, not assumed: a new case is saved as one batch where it fits (CaseCommands.MaxSingleBatchEntries).
        if (provider == "postgres") o.UseNpgsql(PostgresDefaults(connectionString), n => n.MaxBatchSize(1000));
        else o.UseSqlite(connectionString, s => s.CommandTimeout(60)).AddInterceptors(SqlitePragmas.Instance);
        // First of the save interceptors: it detects changes once for all of them and for the save itself.
        o.AddInterceptors(DetectChangesOnce.Instance, Features.Search.SearchTermsInterceptor.Instance);
        o.ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, Features.Privacy.PersonalDataModelCacheKey>();
    }

    /// <summary>
    /// What a pooled PostgreSQL connection does unless the connection string says otherwise (decision 029): statements
    /// used again and again (the intake batch, the workbench's queries) are prepared once per connection instead of
    /// parsed and planned on every call (<c>Max Auto Prepare</c>), and a connection going back to the pool is not reset
    /// with <c>DISCARD ALL</c> — which would also drop those prepared statements — because this application leaves no
    /// session state behind (no SET, no temporary tables; LISTEN and advisory locks live on dedicated connections or
    /// are released by their owner). Queries are not JIT-compiled (<c>Options=-c jit=off</c>, unless Options is given).
    /// </summary>
    public static string PostgresDefaults(string connectionString)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var given = connectionString.ToLowerInvariant();
        if (!given.Contains("auto prepare", StringComparison.Ordinal) && !given.Contains("autoprepare", StringComparison.Ordinal)) b.MaxAutoPrepare = 64;
        if (!given.Contains("reset on close", StringComparison.Ordinal) && !given.Contains("noresetonclose", StringComparison.Ordinal)) b.NoResetOnClose = true;
        // No JIT compilation of queries (decision 032): a figure over a month at millions of cases passes PostgreSQL's
        // JIT threshold and spent ≈ 280 ms compiling to save less; the application's queries are short or index-bound.
        if (string.IsNullOrEmpty(b.Options)) b.Options = "-c jit=off";
        return b.ConnectionString;
    }

    /// <summary>
    /// EF detects changes (a property-by-property comparison of every tracked entity with its snapshot) on every
    /// <c>ChangeTracker.Entries()</c> and again in <c>SaveChanges</c>: with the save interceptors that read the tracker
    /// (search terms, phone hash, user cache) that was five full scans per save, a fifth of an intake's CPU (decision
    /// 029). This interceptor, registered first, detects once before the others run and turns automatic detection off
    /// until the save has ended; the interceptors only set values through the tracker, which needs no detection.
    /// </summary>
    sealed class DetectChangesOnce : Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesInterceptor
    {
        public static readonly DetectChangesOnce Instance = new();
        static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbContext, object> Suspended = [];

        public override Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> SavingChanges(
            Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result)
        {
            Suspend(eventData.Context);
            return result;
        }

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int>> SavingChangesAsync(
            Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            Suspend(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public override int SavedChanges(Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesCompletedEventData eventData, int result)
        {
            Resume(eventData.Context);
            return result;
        }

        public override ValueTask<int> SavedChangesAsync(Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesCompletedEventData eventData, int result,
            CancellationToken cancellationToken = default)
        {
            Resume(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public override void SaveChangesFailed(Microsoft.EntityFrameworkCore.Diagnostics.DbContextErrorEventData eventData) => Resume(eventData.Context);

        public override Task SaveChangesFailedAsync(Microsoft.EntityFrameworkCore.Diagnostics.DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            Resume(eventData.Context);
            return Task.CompletedTask;
        }

        public override void SaveChangesCanceled(Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData) => Resume(eventData.Context);

        public override Task SaveChangesCanceledAsync(Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData, CancellationToken cancellationToken = default)
        {
            Resume(eventData.Context);
            return Task.CompletedTask;
        }

        static void Suspend(DbContext? db)
        {
            if (db is null) return;
            // A save that ended without telling us (an interceptor threw before it ran) left detection off: turn it back on.
            Resume(db);
            if (!db.ChangeTracker.AutoDetectChangesEnabled) return;
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            Suspended.AddOrUpdate(db, Instance);
            // A save of new rows only (an intake: the case, its event, its fact row) writes every column of each as it is
            // now: there is no original value to compare, so the scan of every property of every row is skipped.
            if (OnlyAdded(db)) return;
            db.ChangeTracker.DetectChanges();
        }

        /// <summary>Whether every tracked row is new; asked with detection off, so that asking scans nothing.</summary>
        static bool OnlyAdded(DbContext db)
        {
            foreach (var entry in db.ChangeTracker.Entries())
                if (entry.State != EntityState.Added) return false;
            return true;
        }

        static void Resume(DbContext? db)
        {
            if (db is null || !Suspended.TryGetValue(db, out _)) return;
            Suspended.Remove(db);
            db.ChangeTracker.AutoDetectChangesEnabled = true;
        }
    }

    /// <summary>
    /// WAL with synchronous=NORMAL: a commit no longer waits for an fsync of the log, the database cannot be
    /// corrupted by a crash, and at worst the last commits before a power cut are lost — the usual trade for an
    /// embedded database on a laptop. PostgreSQL, the production database, keeps its own durable settings.
    /// </summary>
    sealed class SqlitePragmas : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();

        public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken ct = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        static void Apply(System.Data.Common.DbConnection connection)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
            cmd.ExecuteNonQuery();
        }
    }
}
