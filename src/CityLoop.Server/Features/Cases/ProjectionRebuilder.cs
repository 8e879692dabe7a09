using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Cases;

/// <summary>Where an interrupted rebuild stopped: the last case whose projections were rebuilt.</summary>
public sealed class ProjectionCheckpoint
{
    public string Name { get; set; } = "";
    public Guid LastCaseId { get; set; }
    public long Cases { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

sealed class ProjectionCheckpointConfiguration : IEntityTypeConfiguration<ProjectionCheckpoint>
{
    public void Configure(EntityTypeBuilder<ProjectionCheckpoint> e)
    {
        e.ToTable("projection_checkpoints");
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(64);
    }
}

public sealed record RebuildProgress(long Cases, long Events, Guid? LastCaseId, bool Finished);

/// <summary>
/// Rebuilds every derived table from the event log alone, in batches of cases ordered by id, each batch in its own
/// transaction with its checkpoint, so that an interrupted rebuild resumes where it stopped. The projections are the
/// same code that maintains the tables incrementally; the clocks come from the due instants the events recorded.
/// </summary>
public sealed class ProjectionRebuilder(CityLoopDb db, IEnumerable<ICaseProjection> projections, TimeProvider clock)
{
    public const string CheckpointName = "rebuild";
    readonly ICaseProjection[] _projections = projections.OrderBy(p => p.Order).ToArray();

    public async Task<RebuildProgress> RebuildAsync(int batchSize = 500, bool restart = false, Action<RebuildProgress>? progress = null,
        CancellationToken ct = default)
    {
        batchSize = Math.Clamp(batchSize, 1, 10_000);
        var checkpoint = await db.Set<ProjectionCheckpoint>().FirstOrDefaultAsync(x => x.Name == CheckpointName, ct);
        if (restart && checkpoint is not null)
        {
            db.Remove(checkpoint);
            await db.SaveChangesAsync(ct);
            checkpoint = null;
        }
        Guid? after = checkpoint?.LastCaseId;
        long cases = checkpoint?.Cases ?? 0, events = 0;
        while (true)
        {
            var (n, e, last) = await BatchAsync(after, batchSize, cases, ct);
            if (n == 0) break;
            cases += n;
            events += e;
            after = last;
            progress?.Invoke(new RebuildProgress(cases, events, after, false));
        }
        await db.Set<ProjectionCheckpoint>().Where(x => x.Name == CheckpointName).ExecuteDeleteAsync(ct);
        var done = new RebuildProgress(cases, events, after, true);
        progress?.Invoke(done);
        return done;
    }

    async Task<(int Cases, long Events, Guid? Last)> BatchAsync(Guid? after, int batchSize, long casesSoFar, CancellationToken ct)
    {
        // Rows the context tracked before (a caller's earlier reads) must not shadow the rebuilt ones.
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Locked against concurrent commands on PostgreSQL (SQLite has one writer anyway).
        var ids = db.IsPostgres
            ? await db.Database.SqlQueryRaw<Guid>(after is null
                ? "SELECT id AS \"Value\" FROM cases ORDER BY id LIMIT {0} FOR UPDATE"
                : "SELECT id AS \"Value\" FROM cases WHERE id > {1} ORDER BY id LIMIT {0} FOR UPDATE", batchSize, after ?? Guid.Empty).ToListAsync(ct)
            : await db.Cases.Where(c => after == null || c.Id.CompareTo(after.Value) > 0).OrderBy(c => c.Id).Select(c => c.Id).Take(batchSize).ToListAsync(ct);
        if (ids.Count == 0) return (0, 0, after);
        foreach (var p in _projections) await p.ClearAsync(ids, ct);
        var cases = await db.Cases.Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var events = await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId)).OrderBy(e => e.CaseId).ThenBy(e => e.Seq).ToListAsync(ct);
        foreach (var e in events)
            foreach (var p in _projections) await p.ApplyAsync(cases[e.CaseId], e, ct);
        var checkpoint = await db.Set<ProjectionCheckpoint>().FirstOrDefaultAsync(x => x.Name == CheckpointName, ct);
        if (checkpoint is null) db.Set<ProjectionCheckpoint>().Add(checkpoint = new ProjectionCheckpoint { Name = CheckpointName });
        checkpoint.LastCaseId = ids[^1];
        checkpoint.Cases = casesSoFar + ids.Count;
        checkpoint.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (ids.Count, events.Count, ids[^1]);
    }
}
