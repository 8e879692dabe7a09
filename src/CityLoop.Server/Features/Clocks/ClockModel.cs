using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Clocks;

public sealed class ClockOptions
{
    /// <summary>Seconds between sweeps of the clock worker; 0 turns the worker off (tests sweep by hand).</summary>
    public int SweepSeconds { get; set; } = 60;
    /// <summary>Cases locked and processed per transaction.</summary>
    public int BatchSize { get; set; } = 500;
    /// <summary>The escalation chain after a breach: who is told, and how many hours after the due (<see cref="DefaultEscalation"/> if none).</summary>
    public List<EscalationLevel> Escalation { get; set; } = [];
    /// <summary>Limits per phase in compact form ("filing": "1h-work", "dispatch": "0.5h-work"…); unnamed phases keep the defaults.</summary>
    public Dictionary<string, string> PhaseLimits { get; set; } = [];
    /// <summary>The phases that run on the lead department's calendar; the others run on the centre's (7×24 by default).</summary>
    public List<string> DepartmentPhases { get; set; } = [];

    public IReadOnlySet<CasePhase> DepartmentPhaseSet => DepartmentPhases.Count == 0
        ? CaseStates.DepartmentPhases
        : DepartmentPhases.Select(p => Kebab.TryParse<CasePhase>(p, out var phase) || Enum.TryParse(p, true, out phase)
            ? phase : throw new InvalidOperationException($"Clocks:DepartmentPhases names an unknown phase '{p}'.")).ToHashSet();

    // Defaults are applied after binding: the binder appends configured list items to an initialised list.
    public static readonly IReadOnlyList<EscalationLevel> DefaultEscalation =
    [
        new() { AfterHours = 4, Role = "department-head", Title = "部门负责人" },
        new() { AfterHours = 24, Role = "shift-leader", Title = "值班长" },
        new() { AfterHours = 72, Role = "supervisor", Title = "督办领导" },
    ];
}

public sealed class EscalationLevel
{
    public double AfterHours { get; set; }
    public string Role { get; set; } = "";
    public string Title { get; set; } = "";
}

/// <summary>One reminder or escalation sent for one due of one phase: the unique key makes it happen once, on any node.</summary>
public sealed class Reminder
{
    public long Id { get; set; }
    public Guid CaseId { get; set; }
    public string PlatformCode { get; set; } = "";
    public CasePhase Phase { get; set; }
    /// <summary>warn (before the breach), due (at the breach), escalate (after it, by <see cref="Level"/>).</summary>
    public string Kind { get; set; } = "";
    public int Level { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public DateTimeOffset SentAt { get; set; }
    public int Recipients { get; set; }
}

/// <summary>Business and wall time of one finished phase; derived from the event log and rebuildable from it.</summary>
public sealed class CasePhaseTime
{
    public long Id { get; set; }
    public Guid CaseId { get; set; }
    public string PlatformCode { get; set; } = "";
    /// <summary>The event (sequence number on the case) that ended the phase.</summary>
    public int EndedBySeq { get; set; }
    /// <summary>Who held the phase inside the department or on site (handler or inspector), where one was named.</summary>
    public string? UserId { get; set; }
    public CasePhase Phase { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset EndedAt { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public LimitType? LimitType { get; set; }
    public long WallSeconds { get; set; }
    public long BusinessSeconds { get; set; }
    public long PausedSeconds { get; set; }
    public bool OnTime { get; set; }
    public string? DepartmentCode { get; set; }
}

sealed class CaseClockConfiguration : IEntityTypeConfiguration<Case>
{
    public void Configure(EntityTypeBuilder<Case> e)
    {
        e.Property(c => c.ClockPhase).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.InspectorIds).HasMaxLength(2000);
        // The worker's queue: only cases with a pending check are in this index's useful range.
        e.HasIndex(c => c.NextCheckAt);
        e.HasIndex(c => c.RepeatOfNumber).HasFilter("repeat_of_number IS NOT NULL");
    }
}

sealed class ReminderConfiguration : IEntityTypeConfiguration<Reminder>
{
    public void Configure(EntityTypeBuilder<Reminder> e)
    {
        e.ToTable("reminders");
        e.HasKey(x => x.Id);
        e.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Kind).HasMaxLength(16);
        e.HasIndex(x => new { x.CaseId, x.Phase, x.Kind, x.Level, x.DueAt }).IsUnique();
    }
}

sealed class CasePhaseTimeConfiguration : IEntityTypeConfiguration<CasePhaseTime>
{
    public void Configure(EntityTypeBuilder<CasePhaseTime> e)
    {
        e.ToTable("case_phase_times");
        e.HasKey(x => x.Id);
        e.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.LimitType).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(x => new { x.CaseId, x.Phase, x.StartedAt });
        e.HasIndex(x => new { x.DepartmentCode, x.EndedAt });
    }
}
