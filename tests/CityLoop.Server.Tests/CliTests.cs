using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests;

/// <summary>The operator verbs of the executable, against the same databases as the server.</summary>
public abstract class CliTests<TApp>(TApp app) where TApp : AppFixture
{
    string[] Db => [$"--Database:Provider={app.Provider}", $"--Database:ConnectionString={app.ConnectionString}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"];

    [Fact]
    public void TheVerbsHost_CanMakeEveryServiceItRegisters()
    {
        // In Development the container validates every registration at build: a domain service that needs one only the
        // web server registers (the user cache, the inspector's desk) would make every verb fail.
        using var host = Verbs.BuildHost(Db, Microsoft.Extensions.Hosting.Environments.Development);
        using var scope = host.Services.CreateScope();
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<Features.Reports.ReportService>());
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<Data.CityLoopDb>());
    }

    [Fact]
    public async Task Migrate_OnAnUpToDateDatabase_ChangesNothing()
    {
        Assert.Equal(0, await Verbs.RunAsync(["migrate", .. Db]));
    }

    [Fact]
    public async Task CreateAdmin_RefusesAWeakPassword_AndCreatesAStrongOne()
    {
        var name = "root" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(2, await Verbs.RunAsync(["create-admin", "--user", name, "--password", "admin123", "--role", "system-admin", .. Db]));
        Assert.Equal(0, await Verbs.RunAsync(["create-admin", "--user", name, "--password", "Very$trong99", "--role", "audit-admin", .. Db]));
        using var scope = app.Factory.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Users.SingleAsync(u => u.UserName == name);
        Assert.Equal("audit-admin", user.Roles);
        Assert.Equal(2, await Verbs.RunAsync(["create-admin", "--user", name, "--password", "Very$trong99", .. Db]));
    }

    [Fact]
    public async Task ImportDepartments_ReportsBadRowsAndKeepsGoodOnes()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "code,name,parentCode,kind\nNEW1,新单位,,bureau\n,无代码,,bureau\nNEW2,新班组,NEW1,team\n");
        Assert.Equal(1, await Verbs.RunAsync(["import", "departments", file, .. Db]));
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.True(await db.Departments.AnyAsync(d => d.Code == "NEW1"));
        Assert.True(await db.Departments.AnyAsync(d => d.Code == "NEW2" && d.ParentCode == "NEW1"));
    }

    [Fact]
    public async Task RebuildProjections_FromTheCommandLine_RebuildsAndLeavesNoCheckpoint()
    {
        var c = await Api.CreateCase(await app.As("agent"));
        await Api.ActOk(await app.As("leader"), c.Id(), "file", new { standardItem = "C0101-01" });
        Assert.Equal(0, await Verbs.RunAsync(["rebuild-projections", "--batch", "7", .. Db]));
        Assert.Equal(2, await Verbs.RunAsync(["rebuild-projections", "--batch", "x", .. Db]));
        using var scope = app.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
        Assert.Empty(await db.Set<CityLoop.Server.Features.Cases.ProjectionCheckpoint>().ToListAsync());
        Assert.True(await db.Set<CityLoop.Server.Features.Clocks.CasePhaseTime>().AnyAsync(p => p.CaseId == c.Id()));
    }

    [Fact]
    public async Task SeedDemo_OutsideDevelopment_IsRefused()
    {
        Assert.Equal(2, await Verbs.RunAsync(["seed-demo", .. Db]));
    }
}

[Collection("sqlite")]
public sealed class CliTests_Sqlite(SqliteApp app) : CliTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CliTests_Postgres(PostgresApp app) : CliTests<PostgresApp>(app), IClassFixture<PostgresApp>;
