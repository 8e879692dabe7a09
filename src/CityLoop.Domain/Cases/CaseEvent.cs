using CityLoop.Domain.Identity;

namespace CityLoop.Domain.Cases;

/// <summary>
/// One immutable line of a case's history, written in the same transaction as the change it records. The timeline,
/// the clocks and every figure are derived from these rows.
/// </summary>
public sealed class CaseEvent
{
    public long Id { get; private set; }
    public Guid CaseId { get; private set; }
    /// <summary>The platform (city centre or sub-centre) the case belongs to.</summary>
    public string PlatformCode { get; private set; } = "";
    public int Seq { get; private set; }
    public string Action { get; private set; } = "";
    public CaseState? FromState { get; private set; }
    public CaseState ToState { get; private set; }
    public string ActorId { get; private set; } = "";
    public string ActorName { get; private set; } = "";
    public bool ActorIsSystem { get; private set; }
    public Role? Role { get; private set; }
    public string? DepartmentCode { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string? Opinion { get; private set; }
    public string? Payload { get; private set; }
    /// <summary>
    /// What the event did to the clocks (<see cref="ClockRecord"/> as JSON): the phase now running with its due and
    /// holder, the phase it ended with its on-time verdict and business time, and every due it set. Null when nothing
    /// changed. Phase times, lights and the figures are rebuilt from this, never recomputed from today's calendar.
    /// </summary>
    public string? Clock { get; private set; }

    CaseEvent() { }

    public CaseEvent(Guid caseId, string platformCode, int seq, string action, CaseState? from, CaseState to, Actor actor, Role? role,
        DateTimeOffset at, string? opinion, string? payload, string? clock = null)
    {
        CaseId = caseId;
        PlatformCode = platformCode;
        Clock = clock;
        Seq = seq;
        Action = action;
        FromState = from;
        ToState = to;
        ActorId = actor.Id;
        ActorName = actor.Name;
        ActorIsSystem = actor.IsSystem;
        Role = role;
        DepartmentCode = actor.DepartmentCode;
        At = at;
        Opinion = opinion;
        Payload = payload;
    }
}

/// <summary>The clock part of an event (see <see cref="CaseEvent.Clock"/>).</summary>
public sealed record ClockRecord
{
    /// <summary>The phase after the event (kept, without a due, while suspended); null when no clock runs.</summary>
    public CasePhase? Phase { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Business time the running phase has spent suspended so far.</summary>
    public long? PausedSeconds { get; init; }
    public DateTimeOffset? DueAt { get; init; }
    public DateTimeOffset? WarnAt { get; init; }
    /// <summary>Who holds the running phase: the department and, where named, the person (handler or inspector).</summary>
    public string? Department { get; init; }
    public string? User { get; init; }
    public EndedPhase? Ended { get; init; }
    /// <summary>Due instants this event set or moved, by phase.</summary>
    public IReadOnlyDictionary<CasePhase, DateTimeOffset?>? Dues { get; init; }
}

/// <summary>What a historical source records about a case without its steps (see <see cref="Case.RecordImportedFacts"/>).</summary>
public sealed record ImportedFacts(DateTimeOffset? RepliedAt, string? Reply, DateTimeOffset? ClosedAt, string? Department);
