using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;

namespace CityLoop.Server.Features.Open311;

/// <summary>
/// Stores what an Open311 client sent beside the case in the intake's own unit of work, so a request is never a
/// case without its token (or the reverse). The endpoint hands the row over just before it calls the intake.
/// </summary>
public sealed class Open311Link(CityLoopDb db) : ICaseHook
{
    public Open311Request? Pending { get; set; }

    public Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        if (Pending is { } row && change.Event.Action == "create" && change.Case.Source == CaseSource.Open311)
        {
            row.CaseId = change.Case.Id;
            // A retried unit of work (execution strategy) sees the row already added.
            if (db.Entry(row).State == Microsoft.EntityFrameworkCore.EntityState.Detached) db.Add(row);
        }
        return Task.CompletedTask;
    }
}
