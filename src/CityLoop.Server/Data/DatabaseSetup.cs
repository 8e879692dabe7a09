using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Data;

public static class DatabaseSetup
{
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
        // The options are built once (singleton), not on every request: they depend only on configuration and singletons.
        services.AddDbContext<CityLoopDb>((sp, o) =>
        {
            Configure(o, provider, connectionString);
            o.AddInterceptors(sp.GetRequiredService<Features.Privacy.PhoneHashInterceptor>());
        }, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
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
        if (provider == "postgres") o.UseNpgsql(connectionString);
        else o.UseSqlite(connectionString, s => s.CommandTimeout(60)).AddInterceptors(SqlitePragmas.Instance);
        o.AddInterceptors(Features.Search.SearchTermsInterceptor.Instance);
        o.ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, Features.Privacy.PersonalDataModelCacheKey>();
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
