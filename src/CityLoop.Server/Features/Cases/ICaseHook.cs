using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// A policy that reacts to what happened to a case, inside the same unit of work (a follow-up to schedule, people to
/// notify, a reopening the follow-up policy asks for). Hooks run in their declared <see cref="Order"/>, once per new
/// event; they may note further events on the case or ask <see cref="CaseCommands"/> for a follow-on action, which goes
/// through the transition table like any other. They never save: <see cref="CaseCommands"/> does, once.
/// </summary>
public interface ICaseHook
{
    /// <summary>Lower runs first.</summary>
    int Order => 0;

    /// <summary>Completes what intake knows before the case exists (e.g. that it repeats a recently closed one).</summary>
    Task<NewCase> BeforeCreateAsync(NewCase input, DateTimeOffset now, CancellationToken ct) => Task.FromResult(input);

    Task ReactAsync(CaseChange change, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>One new event of a case, as the hooks see it.</summary>
public sealed class CaseChange(Case c, CaseEvent e, TransitionContext ctx)
{
    readonly List<(CaseAction Action, ActionInput Input, Actor Actor)> _followOns = [];

    public Case Case { get; } = c;
    public CaseEvent Event { get; } = e;
    public TransitionContext Context { get; } = ctx;

    public bool Is(CaseAction action) => Event.Action == action.Name();

    /// <summary>Asks for another workflow action on the same case once the hooks have seen this event.</summary>
    public void Then(CaseAction action, ActionInput input, Actor actor) => _followOns.Add((action, input, actor));

    internal IReadOnlyList<(CaseAction Action, ActionInput Input, Actor Actor)> FollowOns => _followOns;
}

/// <summary>
/// A table derived from the event log (phase times, the persisted clock, follow-up tasks, reminders, the figures'
/// facts). The same code runs incrementally in the unit of work that writes the events and in a rebuild from the
/// events alone, so the two cannot drift apart: it reads the event (and the case's immutable facts), never the
/// case's current state or today's calendar.
/// </summary>
public interface ICaseProjection
{
    /// <summary>Lower runs first.</summary>
    int Order { get; }
    string Name { get; }

    Task ApplyAsync(Case c, CaseEvent e, CancellationToken ct);

    /// <summary>Removes the derived rows of these cases, before they are rebuilt.</summary>
    Task ClearAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct);
}
