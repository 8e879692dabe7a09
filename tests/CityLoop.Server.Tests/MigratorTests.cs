using System.Data.Common;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using CityLoop.Server.Tests.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>Schema scripts, and those PostgreSQL runs outside a transaction so that an index build does not hold writes (decision 041).</summary>
public sealed class MigratorScriptTests
{
    [Fact]
    public void AScriptOutsideATransaction_IsSplitIntoItsStatements_CommentsAndQuotedSemicolonsKept()
    {
        var script = new Migrator.Script("9000", "9000_t", Migrator.OutsideTransaction + "\n-- a comment; with a semicolon\n" +
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_a ON t (a) WHERE b = 'x;y';\n\nDROP INDEX CONCURRENTLY IF EXISTS ix_b; -- trailing\n");
        Assert.True(script.RunsOutsideTransaction);
        Assert.Equal(["CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_a ON t (a) WHERE b = 'x;y'", "DROP INDEX CONCURRENTLY IF EXISTS ix_b"], script.Statements());
        Assert.Throws<InvalidOperationException>(() => new Migrator.Script("9001", "9001_f", Migrator.OutsideTransaction + "\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;").Statements());
    }

    [Fact]
    public void TheEmbeddedScripts_ThatRunOutsideATransaction_AreOnPostgresOnly_AndSplitIntoStatementsThatCanRunTwice()
    {
        Assert.DoesNotContain(Migrator.Scripts("sqlite"), s => s.RunsOutsideTransaction);
        var outside = Migrator.Scripts("postgres").Where(s => s.RunsOutsideTransaction).ToList();
        // The category indexes of decision 040 are built on the cases table of a running city.
        Assert.Contains(outside, s => s.Version == "0036");
        foreach (var script in outside)
            foreach (var statement in script.Statements())
                Assert.Matches(@"^(CREATE (UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS|DROP INDEX CONCURRENTLY IF EXISTS) ", statement);
        // Every other script keeps its statements inside one transaction: a CONCURRENTLY there would fail at start.
        Assert.DoesNotContain(Migrator.Scripts("postgres").Where(s => !s.RunsOutsideTransaction), s => s.Sql.Contains("CONCURRENTLY", StringComparison.OrdinalIgnoreCase));
    }
}

public abstract class MigratorTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task AScriptOutsideATransaction_RebuildsAnIndexAnInterruptedBuildLeftInvalid_AndIsRecordedOnce()
    {
        using var factory = await FreshDatabase.StartAsync(app, FreshDatabase.ConnectionString(app), seed: false);
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var migrator = scope.ServiceProvider.GetRequiredService<Migrator>();
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE migrator_probe (x integer NOT NULL)");
        await db.Database.ExecuteSqlRawAsync("INSERT INTO migrator_probe (x) VALUES (1), (1), (2)");
        var postgres = app.Provider == "postgres";
        if (postgres)
        {
            // A concurrent build that fails half-way (here: a duplicate under a unique index) leaves the index behind,
            // marked invalid — what a node stopped during the build leaves too.
            await Assert.ThrowsAnyAsync<DbException>(() => db.Database.ExecuteSqlRawAsync("CREATE UNIQUE INDEX CONCURRENTLY ix_migrator_probe_x ON migrator_probe (x)"));
            Assert.Equal([false], await db.Database.SqlQueryRaw<bool>(
                "SELECT i.indisvalid AS \"Value\" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_migrator_probe_x'").ToListAsync());
        }
        var create = postgres ? "CREATE INDEX CONCURRENTLY IF NOT EXISTS" : "CREATE INDEX IF NOT EXISTS";
        var script = new Migrator.Script("9100", "9100_probe", Migrator.OutsideTransaction + "\n-- the probe's index; built again if left invalid\n" +
            $"{create} ix_migrator_probe_x ON migrator_probe (x);\n{create} ix_migrator_probe_x_again ON migrator_probe (x) WHERE x > 1;\n");

        Assert.Equal(["9100_probe"], await migrator.MigrateAsync([script], CancellationToken.None));
        Assert.Empty(await migrator.MigrateAsync([script], CancellationToken.None));

        Assert.Equal(["9100"], await db.Database.SqlQueryRaw<string>("SELECT version AS \"Value\" FROM schema_migrations WHERE version = '9100'").ToListAsync());
        if (postgres)
        {
            var valid = await db.Database.SqlQueryRaw<bool>(
                "SELECT i.indisvalid AS \"Value\" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_migrator_probe_x%' ORDER BY c.relname").ToListAsync();
            Assert.Equal([true, true], valid);
            // The rebuilt index is the script's (not unique), so the duplicate rows stay and a third one is accepted.
            await db.Database.ExecuteSqlRawAsync("INSERT INTO migrator_probe (x) VALUES (1)");
        }
        else
        {
            Assert.Equal(2, await db.Database.SqlQueryRaw<int>(
                "SELECT count(*) AS \"Value\" FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_migrator_probe_x%'").SingleAsync());
        }
    }

    [Fact]
    public async Task AScriptOutsideATransaction_ThatFailsHalfWay_IsNotRecorded_AndRunsWholeAgainOnTheNextStart()
    {
        using var factory = await FreshDatabase.StartAsync(app, FreshDatabase.ConnectionString(app), seed: false);
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        var migrator = scope.ServiceProvider.GetRequiredService<Migrator>();
        var create = app.Provider == "postgres" ? "CREATE INDEX CONCURRENTLY IF NOT EXISTS" : "CREATE INDEX IF NOT EXISTS";
        var body = $"{create} ix_migrator_late ON migrator_late (x);\n{create} ix_migrator_late_2 ON migrator_late (x) WHERE x > 0;\n";
        var broken = new Migrator.Script("9200", "9200_late", Migrator.OutsideTransaction + "\n" + body);
        // The table does not exist yet: the first statement fails and the version stays unrecorded.
        await Assert.ThrowsAnyAsync<DbException>(() => migrator.MigrateAsync([broken], CancellationToken.None));
        Assert.Empty(await db.Database.SqlQueryRaw<string>("SELECT version AS \"Value\" FROM schema_migrations WHERE version = '9200'").ToListAsync());

        await db.Database.ExecuteSqlRawAsync("CREATE TABLE migrator_late (x integer NOT NULL)");
        Assert.Equal(["9200_late"], await migrator.MigrateAsync([broken], CancellationToken.None));
        Assert.Equal(["9200"], await db.Database.SqlQueryRaw<string>("SELECT version AS \"Value\" FROM schema_migrations WHERE version = '9200'").ToListAsync());
    }
}

[Collection("sqlite")]
public sealed class MigratorTests_Sqlite(SqliteApp app) : MigratorTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class MigratorTests_Postgres(PostgresApp app) : MigratorTests<PostgresApp>(app), IClassFixture<PostgresApp>;
