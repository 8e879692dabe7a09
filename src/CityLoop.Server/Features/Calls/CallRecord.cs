using CityLoop.Domain.Indicators;
using CityLoop.Server.Features.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CityLoop.Server.Features.Calls;

/// <summary>
/// One inbound call to the hotline as the telephone system (CTI) reports it: when it queued, was answered and ended,
/// who answered, the recording. The record is the source (not derived from case events); its counters
/// (<see cref="CallFact"/>) are kept from its own times in the same row, so 接通率 is one SUM like the case figures.
/// The caller's number is personal data: encrypted, with the keyed hash for look-ups, as for a case's reporter.
/// </summary>
public sealed class CallRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string PlatformCode { get; set; } = "";
    /// <summary>The telephone system's id of the call: the idempotency key of every report about it.</summary>
    public string CallId { get; set; } = "";
    public string? CallerPhone { get; set; }
    public string? CallerPhoneHash { get; set; }
    /// <summary>The number dialled (12345, 12319 …).</summary>
    public string CalledLine { get; set; } = "";
    public string? RecordingRef { get; set; }
    public DateTimeOffset QueuedAt { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public int? WaitSeconds { get; set; }
    public int? TalkSeconds { get; set; }
    /// <summary>The agent who answered (user id and name), from the CTI's agent login or the agent's own session.</summary>
    public string? AgentId { get; set; }
    public string? AgentName { get; set; }
    public int Offered { get; set; }
    public int Answered { get; set; }
    public int Missed { get; set; }
    /// <summary>The first case registered from this call at the agent desktop.</summary>
    public Guid? CaseId { get; set; }
    public string? CaseNumber { get; set; }
    /// <summary>110, 119, 120 or 122: the agent marked the call for transfer to that emergency service.</summary>
    public string? Emergency { get; set; }
    public DateTimeOffset? CallbackAt { get; set; }
    public string? CallbackById { get; set; }
    public string? CallbackByName { get; set; }
    public bool? CallbackReached { get; set; }
    public string? CallbackNote { get; set; }
    public string ReportedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; }

    /// <summary>Wait, talk time and counters from the times known so far.</summary>
    public void Derive()
    {
        var fact = CallFact.Of(QueuedAt, AnsweredAt, EndedAt);
        (Offered, Answered, Missed) = (fact.Offered, fact.Answered, fact.Missed);
        var waitEnd = AnsweredAt ?? EndedAt;
        WaitSeconds = waitEnd is { } w ? Seconds(w - QueuedAt) : null;
        TalkSeconds = AnsweredAt is { } a && EndedAt is { } e ? Seconds(e - a) : null;
    }

    static int Seconds(TimeSpan span) => (int)Math.Clamp(span.TotalSeconds, 0, int.MaxValue);
}

/// <summary>Applied with the key ring (CityLoopDb), like the reporter columns of cases.</summary>
public sealed class CallRecordConfiguration(PersonalDataKeys keys) : IEntityTypeConfiguration<CallRecord>
{
    public const string PhonePurpose = "call_caller_phone";

    public void Configure(EntityTypeBuilder<CallRecord> e)
    {
        e.ToTable("call_records");
        e.HasKey(x => x.Id);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.Property(x => x.CallId).HasMaxLength(64);
        e.Property(x => x.PlatformCode).HasMaxLength(16);
        e.Property(x => x.CalledLine).HasMaxLength(32);
        e.Property(x => x.CallerPhone).HasConversion(new ValueConverter<string?, string?>(
            v => v == null ? null : keys.Encrypt(v, PhonePurpose), v => v == null ? null : keys.Decrypt(v, PhonePurpose)));
        e.Property(x => x.CallerPhoneHash).HasMaxLength(100);
        e.HasIndex(x => new { x.PlatformCode, x.CallId }).IsUnique();
        e.HasIndex(x => new { x.PlatformCode, x.QueuedAt });
        e.HasIndex(x => x.CallerPhoneHash);
        // The call-back list: missed calls not yet called back, oldest first.
        e.HasIndex(x => new { x.Missed, x.CallbackAt, x.QueuedAt });
        e.HasIndex(x => new { x.AgentId, x.AnsweredAt });
    }
}
