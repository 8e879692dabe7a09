using System.Text.Json;
using CityLoop.Server.Data;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Privacy;

/// <summary>
/// One link of the audit chain: the audit record at position <see cref="Seq"/>, its predecessor's MAC and its own, a
/// keyed hash (HMAC-SHA256, key outside the database) of both. Links are added by the chainer after the record's own
/// transaction committed, so no request waits on the chain.
/// </summary>
public sealed class AuditChainLink
{
    public long Seq { get; set; }
    public long AuditId { get; set; }
    public string Prev { get; set; } = "";
    public string Mac { get; set; } = "";
    public DateTimeOffset ChainedAt { get; set; }
}

/// <summary>Where the chain starts after records older than the retention were purged: the last purged link.</summary>
public sealed class AuditAnchor
{
    public long Id { get; set; }
    public long ThroughSeq { get; set; }
    public string Mac { get; set; } = "";
    public DateTimeOffset PurgedBefore { get; set; }
    public DateTimeOffset At { get; set; }
}

sealed class AuditChainConfiguration : IEntityTypeConfiguration<AuditChainLink>, IEntityTypeConfiguration<AuditAnchor>
{
    public void Configure(EntityTypeBuilder<AuditChainLink> e)
    {
        e.ToTable("audit_chain");
        e.HasKey(x => x.Seq);
        e.Property(x => x.Seq).ValueGeneratedNever();
        e.HasIndex(x => x.AuditId).IsUnique();
    }

    public void Configure(EntityTypeBuilder<AuditAnchor> e)
    {
        e.ToTable("audit_anchors");
        e.HasKey(x => x.Id);
    }
}

public sealed record AuditVerification(bool Intact, long Links, long? BrokenAtSeq, long? BrokenAuditId, string? Problem, int Pending, long? AnchorSeq)
{
    public override string ToString() => Intact
        ? $"audit chain intact: {Links} links verified{(AnchorSeq is { } a ? $" from anchor {a}" : "")}, {Pending} records waiting to be chained"
        : $"audit chain BROKEN at link {BrokenAtSeq?.ToString() ?? "-"} (audit record {BrokenAuditId?.ToString() ?? "-"}): {Problem}";
}

/// <summary>Chains new audit records in order, verifies the chain, and purges records past the retention behind an anchor.</summary>
public sealed class AuditChain(CityLoopDb db, PersonalDataKeys keys, TimeProvider clock, Audit audit, IOptions<PrivacyOptions> options)
{
    const long LockKey = 7_412_006;
    // Records that commit late (a long transaction on PostgreSQL) have ids below chained ones: look back this far.
    const long LookBack = 10_000;
    static readonly TimeSpan Settle = TimeSpan.FromMinutes(5);

    /// <summary>The canonical text of a record at a position: every field, unambiguously (a JSON array).</summary>
    public static string Canonical(long seq, AuditEntry a) => JsonSerializer.Serialize(new object?[]
    {
        seq, a.Id, a.At.ToUnixTimeMilliseconds(), a.ActorId, a.ActorName, a.Action, a.Target, a.Result, a.Ip, a.Detail,
    });

    string Link(string prev, long seq, AuditEntry a) => keys.ChainMac(prev + "\n" + Canonical(seq, a));

    public async Task<int> ChainPendingAsync(CancellationToken ct = default)
    {
        var total = 0;
        while (true)
        {
            var n = await ChainBatchAsync(ct);
            total += n;
            if (n < options.Value.BatchSize) return total;
        }
    }

    async Task<int> ChainBatchAsync(CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // One chainer at a time across nodes; the others skip this round.
            if (db.IsPostgres && !await db.Database.SqlQueryRaw<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"").SingleAsync(ct))
                return 0;
            var last = await db.Set<AuditChainLink>().AsNoTracking().OrderByDescending(l => l.Seq).Select(l => new { l.Seq, l.Mac, l.AuditId }).FirstOrDefaultAsync(ct);
            var anchor = await db.Set<AuditAnchor>().AsNoTracking().OrderByDescending(x => x.ThroughSeq).FirstOrDefaultAsync(ct);
            var (seq, prev) = last is not null ? (last.Seq, last.Mac) : anchor is not null ? (anchor.ThroughSeq, anchor.Mac) : (0L, "");
            var low = (last?.AuditId ?? 0) - LookBack;
            var chained = db.Set<AuditChainLink>();
            var batch = await db.AuditLog.AsNoTracking()
                .Where(a => a.Id > low && !chained.Any(l => l.AuditId == a.Id))
                .OrderBy(a => a.Id).Take(options.Value.BatchSize).ToListAsync(ct);
            var now = clock.GetUtcNow();
            foreach (var a in batch)
            {
                seq++;
                var mac = Link(prev, seq, a);
                chained.Add(new AuditChainLink { Seq = seq, AuditId = a.Id, Prev = prev, Mac = mac, ChainedAt = now });
                prev = mac;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return batch.Count;
        });
    }

    /// <summary>Walks the chain from its anchor and reports the first link that does not hold.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct = default)
    {
        var anchor = await db.Set<AuditAnchor>().AsNoTracking().OrderByDescending(x => x.ThroughSeq).FirstOrDefaultAsync(ct);
        var (seq, prev) = anchor is not null ? (anchor.ThroughSeq, anchor.Mac) : (0L, "");
        if (anchor is not null)
        {
            // An anchor is only trusted if the purge that wrote it is itself a chained record naming it.
            var marker = AnchorMarker(anchor.ThroughSeq, anchor.Mac);
            var recorded = await (from a in db.AuditLog.AsNoTracking()
                                  join l in db.Set<AuditChainLink>() on a.Id equals l.AuditId
                                  where a.Action == "audit-purge" && a.Detail != null && a.Detail.StartsWith(marker)
                                  select a.Id).AnyAsync(ct);
            if (!recorded) return new AuditVerification(false, 0, anchor.ThroughSeq, null, "the retention anchor has no chained audit-purge record naming it", 0, anchor.ThroughSeq);
        }
        long links = 0;
        const int page = 2000;
        while (true)
        {
            var after = seq;
            var rows = await (from l in db.Set<AuditChainLink>().AsNoTracking()
                              where l.Seq > after
                              join a in db.AuditLog.AsNoTracking() on l.AuditId equals a.Id into records
                              from a in records.DefaultIfEmpty()
                              orderby l.Seq
                              select new { Link = l, Record = a }).Take(page).ToListAsync(ct);
            foreach (var r in rows)
            {
                var l = r.Link;
                if (l.Seq != seq + 1) return Broken(l.Seq, l.AuditId, $"link {seq + 1} is missing (the next is {l.Seq})");
                if (l.Prev != prev) return Broken(l.Seq, l.AuditId, "the link does not follow its predecessor");
                if (r.Record is null) return Broken(l.Seq, l.AuditId, "the audit record was deleted");
                var keyId = l.Mac.Split(':')[0];
                string expected;
                try
                {
                    expected = keys.ChainMacWith(keyId, prev + "\n" + Canonical(l.Seq, r.Record));
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    return Broken(l.Seq, l.AuditId, ex.Message);
                }
                if (expected != l.Mac) return Broken(l.Seq, l.AuditId, "the audit record was changed after it was chained");
                seq = l.Seq;
                prev = l.Mac;
                links++;
            }
            if (rows.Count < page) break;
        }
        // A record left behind the chain (not linked although newer ones are, and older than a commit can take) was
        // inserted around the chainer.
        var settled = clock.GetUtcNow() - Settle;
        var maxChained = await db.Set<AuditChainLink>().MaxAsync(l => (long?)l.AuditId, ct) ?? 0;
        var chained = db.Set<AuditChainLink>();
        var stray = await db.AuditLog.AsNoTracking()
            .Where(a => a.Id < maxChained && a.At < settled && !chained.Any(l => l.AuditId == a.Id))
            .OrderBy(a => a.Id).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
        if (stray is { } strayId)
            return new AuditVerification(false, links, null, strayId, "the audit record is not in the chain", 0, anchor?.ThroughSeq);
        var pending = await db.AuditLog.CountAsync(a => a.Id > maxChained, ct);
        return new AuditVerification(true, links, null, null, null, pending, anchor?.ThroughSeq);

        AuditVerification Broken(long at, long auditId, string problem) => new(false, links, at, auditId, problem, 0, anchor?.ThroughSeq);
    }

    static string AnchorMarker(long seq, string mac) => $"anchor {seq} {mac}";

    /// <summary>
    /// Removes audit records older than the retention (never less than six months), chained first, behind an anchor
    /// that keeps the rest verifiable; the purge is itself audited. Returns the number of records removed.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(string actorId, string actorName, CancellationToken ct = default)
    {
        var days = Math.Max(PrivacyOptions.MinAuditRetentionDays, options.Value.AuditRetentionDays);
        var cutoff = clock.GetUtcNow().AddDays(-days);
        await ChainPendingAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (db.IsPostgres && !await db.Database.SqlQueryRaw<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"").SingleAsync(ct))
                return 0;
            // The purged part is a prefix of the chain: everything before the first link whose record is still young.
            var firstYoung = await (from l in db.Set<AuditChainLink>()
                                    join a in db.AuditLog on l.AuditId equals a.Id
                                    where a.At >= cutoff
                                    orderby l.Seq
                                    select (long?)l.Seq).FirstOrDefaultAsync(ct);
            var through = firstYoung is { } y ? y - 1 : await db.Set<AuditChainLink>().MaxAsync(l => (long?)l.Seq, ct) ?? 0;
            var end = await db.Set<AuditChainLink>().Where(l => l.Seq <= through).OrderByDescending(l => l.Seq).FirstOrDefaultAsync(ct);
            if (end is null) return 0;
            var ids = db.Set<AuditChainLink>().Where(l => l.Seq <= end.Seq).Select(l => l.AuditId);
            var count = await ids.CountAsync(ct);
            db.Set<AuditAnchor>().Add(new AuditAnchor { ThroughSeq = end.Seq, Mac = end.Mac, PurgedBefore = cutoff, At = clock.GetUtcNow() });
            audit.Add(actorId, actorName, "audit-purge", null, detail: $"{AnchorMarker(end.Seq, end.Mac)}; {count} records before {cutoff:O} removed");
            await db.SaveChangesAsync(ct);
            await db.AuditLog.Where(a => ids.Contains(a.Id)).ExecuteDeleteAsync(ct);
            await db.Set<AuditChainLink>().Where(l => l.Seq <= end.Seq).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return count;
        });
    }
}
