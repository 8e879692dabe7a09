using CityLoop.Domain.Cases;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// Work that follows a case change inside the same unit of work (per-phase times, follow-up tasks, repeat links).
/// Hooks add rows to the DbContext and may record further domain events on the case; <see cref="CaseCommands"/>
/// saves everything together.
/// </summary>
public interface ICaseHook
{
    /// <summary>Completes what intake knows before the case exists (e.g. that it repeats a recently closed one).</summary>
    Task<NewCase> BeforeCreateAsync(NewCase input, DateTimeOffset now, CancellationToken ct) => Task.FromResult(input);

    Task PerformedAsync(Case c, CaseAction action, TransitionContext ctx, CancellationToken ct) => Task.CompletedTask;
}
