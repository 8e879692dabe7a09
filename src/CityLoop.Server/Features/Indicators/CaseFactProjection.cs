using CityLoop.Domain.Cases;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Indicators;

/// <summary>
/// The figures' fact row of each case (<see cref="CaseFact"/>), folded event by event in the unit of work that writes
/// the events, and from the log alone by <see cref="ProjectionRebuilder"/>.
/// </summary>
public sealed class CaseFactProjection(CityLoopDb db, Microsoft.Extensions.Options.IOptions<FollowUps.FollowUpOptions> followUp) : ICaseProjection
{
    public int Order => 50;
    public string Name => "case-facts";

    public async Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct)
    {
        if (e.Seq == 1)
        {
            db.Set<CaseFact>().Add(CaseFact.Start(c, e));
            return;
        }
        // Find looks in the identity map first (earlier events of the same unit of work or rebuild batch) without
        // scanning the tracker, as DbSet.Local would on every event; else it reads the stored row.
        var fact = await db.Set<CaseFact>().FindAsync([c.Id], ct);
        if (fact is null) return; // a case older than the facts table: the rebuild creates its row from its first event
        fact.Apply(e, EventClock.Of(e), followUp.Value.CountedRating);
    }

    public Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) =>
        db.Set<CaseFact>().Where(f => caseIds.Contains(f.CaseId)).ExecuteDeleteAsync(ct);
}

sealed class CaseFactConfiguration : IEntityTypeConfiguration<CaseFact>
{
    public void Configure(EntityTypeBuilder<CaseFact> e)
    {
        e.ToTable("case_facts");
        e.HasKey(x => x.CaseId);
        e.Property(x => x.PlatformCode).HasMaxLength(32);
        e.Property(x => x.CaseNumber).HasMaxLength(40);
        e.Property(x => x.ReporterRole).HasConversion<string>().HasMaxLength(32);
        e.Property(x => x.RatingSource).HasMaxLength(16);
        // Every figure is a range on one period date, over all platforms or one; the slices filter on top. The date leads
        // (migration 0025), so that a range needs no platform; an index holds only the rows that have a value in its
        // first column that may be empty (migration 0024): at intake most of them are.
        e.HasIndex(x => new { x.ReceivedAt, x.PlatformCode });
        e.HasIndex(x => new { x.FiledAt, x.PlatformCode }).HasFilter("filed_at IS NOT NULL");
        e.HasIndex(x => new { x.DispatchedAt, x.PlatformCode }).HasFilter("dispatched_at IS NOT NULL");
        e.HasIndex(x => new { x.HandlingDueAt, x.PlatformCode }).HasFilter("handling_due_at IS NOT NULL");
        e.HasIndex(x => new { x.FinishedAt, x.PlatformCode }).HasFilter("finished_at IS NOT NULL");
        e.HasIndex(x => new { x.ClosedAt, x.PlatformCode }).HasFilter("closed_at IS NOT NULL");
        e.HasIndex(x => new { x.FollowedUpAt, x.PlatformCode }).HasFilter("followed_up_at IS NOT NULL");
        e.HasIndex(x => new { x.LeadDepartmentCode, x.ReceivedAt }).HasFilter("lead_department_code IS NOT NULL");
        e.HasIndex(x => new { x.StreetCode, x.ReceivedAt }).HasFilter("street_code IS NOT NULL");
        // The person assessments: each step's figures grouped by who acted (migration 0020).
        e.HasIndex(x => new { x.VerifiedBy, x.ReceivedAt }).HasFilter("verified_by IS NOT NULL");
        e.HasIndex(x => new { x.CheckedBy, x.FinishedAt }).HasFilter("checked_by IS NOT NULL");
        e.HasIndex(x => new { x.FiledBy, x.FiledAt }).HasFilter("filed_by IS NOT NULL");
        e.HasIndex(x => new { x.DispatchedBy, x.DispatchedAt }).HasFilter("dispatched_by IS NOT NULL");
        e.HasIndex(x => new { x.ClosedBy, x.ClosedAt }).HasFilter("closed_by IS NOT NULL");
        e.HasIndex(x => new { x.IntakeBy, x.ReceivedAt }).HasFilter("intake_by IS NOT NULL");
        e.HasIndex(x => new { x.ReportedBy, x.ReceivedAt }).HasFilter("reported_by IS NOT NULL");
    }
}
