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

    CaseEvent() { }

    public CaseEvent(Guid caseId, int seq, string action, CaseState? from, CaseState to, Actor actor, Role? role,
        DateTimeOffset at, string? opinion, string? payload)
    {
        CaseId = caseId;
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
