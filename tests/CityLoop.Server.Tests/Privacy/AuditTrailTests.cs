using System.Net;
using CityLoop.Server.Cli;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Privacy;

/// <summary>The audit trail's hash chain: built in the background, verified by a command, tamper-evident, purged behind an anchor.</summary>
public abstract class AuditTrailTests<TApp>(TApp app) where TApp : AppFixture
{
    string[] Db => [$"--Database:Provider={app.Provider}", $"--Database:ConnectionString={app.ConnectionString}", $"--Privacy:KeyFile={CityLoopFactory.KeyFile}"];

    async Task<AuditVerification> ChainAndVerify(CityLoopFactory? node = null)
    {
        using var scope = (node ?? app.Factory).Services.CreateScope();
        var chain = scope.ServiceProvider.GetRequiredService<AuditChain>();
        await chain.ChainPendingAsync();
        return await chain.VerifyAsync();
    }

    async Task Exec(string sql, CityLoopFactory? node = null)
    {
        using var scope = (node ?? app.Factory).Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<CityLoopDb>().Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>What an intruder with the database's owner rights does: switch the append-only trigger off and edit.</summary>
    async Task Tamper(string sql, CityLoopFactory? node = null)
    {
        if (app.Provider == "postgres")
            await Exec($"ALTER TABLE audit_log DISABLE TRIGGER USER; {sql}; ALTER TABLE audit_log ENABLE TRIGGER USER;", node);
        else
        {
            var triggers = new[] { "audit_log_no_update", "audit_log_no_delete" };
            using var scope = (node ?? app.Factory).Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var conn = db.Database.GetDbConnection();
            await conn.OpenAsync();
            var definitions = new List<string>();
            foreach (var t in triggers)
            {
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = $"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '{t}'";
                definitions.Add((string)(await cmd.ExecuteScalarAsync())!);
            }
            await using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = string.Join(";", triggers.Select(t => $"DROP TRIGGER {t}")) + ";" + sql + ";" + string.Join(";", definitions) + ";";
                await cmd.ExecuteNonQueryAsync();
            }
            await conn.CloseAsync();
        }
    }

    async Task AuditSomething(int n = 3)
    {
        var agent = await app.As("agent");
        var c = await Api.CreateCase(agent);
        var dispatcher = await app.As("dispatcher");
        for (var i = 0; i < n; i++) await dispatcher.PostAsync($"/api/v1/cases/{c.Id()}/reporter/unmask", null);
    }

    [Fact]
    public async Task Chain_IsBuiltInTheBackground_AndVerifies_AndTheCommandSaysSo()
    {
        await AuditSomething();
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            // Requests do not chain: their records wait for the chainer.
            var maxAudit = await db.AuditLog.MaxAsync(a => a.Id);
            Assert.False(await db.Set<AuditChainLink>().AnyAsync(l => l.AuditId == maxAudit));
        }
        var result = await ChainAndVerify();
        Assert.True(result.Intact, result.ToString());
        Assert.True(result.Links >= 3);
        Assert.Equal(0, result.Pending);
        Assert.Equal(0, await Verbs.RunAsync(["audit-verify", .. Db]));

        var verify = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit/verify");
        Assert.True(verify.GetProperty("intact").GetBoolean());
        await Api.Problem(await (await app.As("admin")).GetAsync("/api/v1/admin/audit/verify"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ChangingAChainedRecord_IsDetected_AtThatRecord()
    {
        await AuditSomething();
        Assert.True((await ChainAndVerify()).Intact);
        long id;
        string actorName;
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var victim = await db.AuditLog.AsNoTracking().Where(a => a.Action == "unmask").OrderByDescending(a => a.Id).FirstAsync();
            (id, actorName) = (victim.Id, victim.ActorName);
        }
        await Tamper($"UPDATE audit_log SET actor_name = 'someone else' WHERE id = {id}");
        var broken = await ChainAndVerify();
        Assert.False(broken.Intact);
        Assert.Equal(id, broken.BrokenAuditId);
        Assert.Contains("changed", broken.Problem);
        Assert.Equal(1, await Verbs.RunAsync(["audit-verify", .. Db]));

        // Put the record back as it was: the chain holds again (it is the content that is sealed, not the row).
        await Tamper($"UPDATE audit_log SET actor_name = '{actorName.Replace("'", "''")}' WHERE id = {id}");
        Assert.True((await ChainAndVerify()).Intact);
    }

    [Fact]
    public async Task DeletingAChainedRecord_OrInsertingBehindTheChain_IsDetected()
    {
        await AuditSomething();
        Assert.True((await ChainAndVerify()).Intact);
        AuditEntry victim;
        using (var scope = app.Factory.Services.CreateScope())
            victim = await scope.ServiceProvider.GetRequiredService<CityLoopDb>().AuditLog.AsNoTracking().OrderByDescending(a => a.Id).Skip(1).FirstAsync();
        await Tamper($"DELETE FROM audit_log WHERE id = {victim.Id}");
        var broken = await ChainAndVerify();
        Assert.False(broken.Intact);
        Assert.Equal(victim.Id, broken.BrokenAuditId);
        Assert.Contains("deleted", broken.Problem);

        // Restore the row exactly; then a forged record slipped in below the chained ones is reported as outside it.
        var at = app.Provider == "postgres" ? $"'{victim.At.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00'" : victim.At.ToUnixTimeMilliseconds().ToString();
        string Q(string? s) => s is null ? "NULL" : $"'{s.Replace("'", "''")}'";
        await Exec($"INSERT INTO audit_log (id, at, actor_id, actor_name, action, target, result, ip, detail) VALUES ({victim.Id}, {at}, {Q(victim.ActorId)}, {Q(victim.ActorName)}, {Q(victim.Action)}, {Q(victim.Target)}, {Q(victim.Result)}, {Q(victim.Ip)}, {Q(victim.Detail)})");
        Assert.True((await ChainAndVerify()).Intact);
    }

    [Fact]
    public async Task Purge_KeepsSixMonthsAtLeast_LeavesAVerifiableChainBehindAnAnchor_AndIsAudited()
    {
        await AuditSomething();
        Assert.True((await ChainAndVerify()).Intact);
        // A retention below six months is raised to six months.
        await using var node = app.NewFactory(new Dictionary<string, string> { ["Privacy:AuditRetentionDays"] = "30" });
        app.Clock.Advance(TimeSpan.FromDays(60));
        using (var scope = node.Services.CreateScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<AuditChain>().PurgeExpiredAsync("test", "test"));

        app.Clock.Advance(TimeSpan.FromDays(130));
        await AuditSomething(1);
        int purged;
        using (var scope = node.Services.CreateScope())
            purged = await scope.ServiceProvider.GetRequiredService<AuditChain>().PurgeExpiredAsync("test", "test");
        Assert.True(purged >= 3);
        var result = await ChainAndVerify();
        Assert.True(result.Intact, result.ToString());
        Assert.NotNull(result.AnchorSeq);
        using (var scope = app.Factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            var cutoff = app.Clock.GetUtcNow().AddDays(-PrivacyOptions.MinAuditRetentionDays);
            Assert.False(await db.AuditLog.AnyAsync(a => a.At < cutoff && a.Action != "audit-purge"));
            Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "audit-purge"));
            // Records not behind the anchor stay append-only.
            await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM audit_log"));
            await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM audit_chain"));
            await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM audit_anchors"));
        }
        // New records chain on after the anchor.
        await AuditSomething(1);
        Assert.True((await ChainAndVerify()).Intact);
        Assert.Equal(0, await Verbs.RunAsync(["audit-verify", .. Db]));
    }
}

[Collection("sqlite")]
public sealed class AuditTrailTests_Sqlite(SqliteApp app) : AuditTrailTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class AuditTrailTests_Postgres(PostgresApp app) : AuditTrailTests<PostgresApp>(app), IClassFixture<PostgresApp>;
