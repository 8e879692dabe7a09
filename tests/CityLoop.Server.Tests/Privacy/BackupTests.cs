using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Privacy;

/// <summary>The documented backup and restore commands, restoring into a fresh database and finding everything.</summary>
public abstract class BackupTests<TApp>(TApp app) where TApp : AppFixture
{
    static string[] Db(string provider, string cs) => [$"--Database:Provider={provider}", $"--Database:ConnectionString={cs}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"];

    static async Task<List<string>> Dump(CityLoopFactory node, string sql)
    {
        using var scope = node.Services.CreateScope();
        var conn = scope.ServiceProvider.GetRequiredService<CityLoopDb>().Database.GetDbConnection();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "∅"
                : r.GetValue(i) is byte[] b ? Convert.ToHexString(SHA256.HashData(b))
                : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture))));
        await conn.CloseAsync();
        return rows;
    }

    [Fact]
    public async Task Backup_ThenRestoreIntoAFreshDatabase_FindsEveryCaseEventAndAttachment_AndTheAuditChainHolds()
    {
        var id = await FollowThroughSteps.DispatchedAt(app, AppFixture.Start.AddDays(2));
        await FollowThroughSteps.Closed(app, id);
        var agent = await app.As("agent");
        var other = await Api.CreateCase(agent, Api.Report(description: "备份前的案件"));
        using (var form = new MultipartFormDataContent())
        {
            var png = TestImages.Png();
            var file = new ByteArrayContent(png);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "file", "site.png");
            (await agent.PostAsync($"/api/v1/cases/{other.Id()}/attachments", form)).EnsureSuccessStatusCode();
        }
        using (var scope = app.Factory.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<AuditChain>().ChainPendingAsync();

        var file1 = Path.Combine(Path.GetTempPath(), "cityloop-tests", $"backup-{Guid.NewGuid():N}.{(app.Provider == "postgres" ? "dump" : "db")}");
        Assert.Equal(0, await Verbs.RunAsync(["backup", file1, .. Db(app.Provider, app.ConnectionString)]));
        Assert.True(new FileInfo(file1).Length > 0);
        Assert.Equal(2, await Verbs.RunAsync(["backup", file1, .. Db(app.Provider, app.ConnectionString)]));

        var target = FreshDatabase.ConnectionString(app);
        Assert.Equal(0, await Verbs.RunAsync(["restore", file1, .. Db(app.Provider, target)]));
        // A second restore onto a database that now has data is refused.
        Assert.Equal(2, await Verbs.RunAsync(["restore", file1, .. Db(app.Provider, target)]));
        Assert.Equal(0, await Verbs.RunAsync(["migrate", .. Db(app.Provider, target)]));

        await using var restored = await FreshDatabase.StartAsync(app, target, seed: false);
        foreach (var sql in new[]
        {
            "SELECT * FROM cases ORDER BY id", "SELECT * FROM case_events ORDER BY id", "SELECT * FROM attachments ORDER BY id",
            "SELECT * FROM audit_log ORDER BY id", "SELECT * FROM audit_chain ORDER BY seq", "SELECT * FROM users ORDER BY id",
        })
        {
            var before = await Dump(app.Factory, sql);
            Assert.NotEmpty(before);
            Assert.Equal(before, await Dump(restored, sql));
        }
        using (var scope = restored.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            Assert.Equal("张先生", (await db.Cases.SingleAsync(c => c.Id == other.Id())).ReporterName);
            Assert.True((await scope.ServiceProvider.GetRequiredService<AuditChain>().VerifyAsync()).Intact);
        }
        // The restored platform works: people sign in and see their cases.
        var again = await FreshDatabase.As(restored, "agent");
        Assert.Equal("closed", (await Api.Get(again, $"/api/v1/cases/{id}")).State());
    }
}

[Collection("sqlite")]
public sealed class BackupTests_Sqlite(SqliteApp app) : BackupTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class BackupTests_Postgres(PostgresApp app) : BackupTests<PostgresApp>(app), IClassFixture<PostgresApp>;
