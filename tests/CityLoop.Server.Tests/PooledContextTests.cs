using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>
/// Database contexts are pooled (decision 051): a request leases one another request used before. Whatever that
/// request left behind — settings it changed, rows it tracked, a transaction it did not end — must not reach the next.
/// </summary>
public abstract class PooledContextTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task AContextLeasedAgain_ComesBackWithTheDefaults_AndNothingOfTheRequestBefore()
    {
        string defaults;
        using (var fresh = app.Factory.Services.CreateScope())
            defaults = Settings(fresh.ServiceProvider.GetRequiredService<CityLoopDb>());
        var dirtied = new List<CityLoopDb>();
        var scopes = Enumerable.Range(0, 8).Select(_ => app.Factory.Services.CreateScope()).ToList();
        foreach (var scope in scopes)
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            dirtied.Add(db);
            await db.Cases.AsNoTracking().Take(1).ToListAsync();
            db.Database.AutoSavepointsEnabled = false;
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            db.Database.SetCommandTimeout(TimeSpan.FromSeconds(1));
            db.Add(new Department { Code = $"POOL{dirtied.Count}", Name = "left behind" });
            // One of them (SQLite has one writer) saves in a transaction it never ends.
            if (dirtied.Count > 1) continue;
            await db.Database.BeginTransactionAsync();
            await db.SaveChangesAsync();
        }
        foreach (var scope in scopes) scope.Dispose();

        var reused = 0;
        for (var i = 0; i < 8; i++)
        {
            using var scope = app.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (!dirtied.Any(d => ReferenceEquals(d, db))) continue;
            reused++;
            Assert.Equal(defaults, Settings(db));
            Assert.Null(db.Database.CurrentTransaction);
            Assert.Empty(db.ChangeTracker.Entries());
            // The transaction was rolled back when its context went back to the pool: nothing of it was stored.
            Assert.False(await db.Set<Department>().AnyAsync(d => d.Name == "left behind"));
        }
        Assert.True(reused > 0, "no context was leased a second time: the pool is not in use");
    }

    static string Settings(CityLoopDb db) =>
        $"{db.Database.AutoSavepointsEnabled} {db.Database.AutoTransactionBehavior} {db.ChangeTracker.AutoDetectChangesEnabled} " +
        $"{db.ChangeTracker.QueryTrackingBehavior} {db.Database.GetCommandTimeout()}";
}

[Collection("sqlite")]
public sealed class PooledContextTests_Sqlite(SqliteApp app) : PooledContextTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class PooledContextTests_Postgres(PostgresApp app) : PooledContextTests<PostgresApp>(app), IClassFixture<PostgresApp>;
