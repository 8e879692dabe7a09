using CityLoop.Server.Data;

namespace CityLoop.Server.Infrastructure;

/// <summary>Writes the append-only audit trail. Nothing in the application updates or deletes these rows.</summary>
public sealed class Audit(CityLoopDb db, TimeProvider clock, IHttpContextAccessor http)
{
    public AuditEntry Add(string actorId, string actorName, string action, string? target, string result = "success", string? detail = null)
    {
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow(),
            ActorId = actorId,
            ActorName = actorName,
            Action = action,
            Target = target,
            Result = result,
            Ip = http.HttpContext?.Connection.RemoteIpAddress?.ToString(),
            Detail = detail,
        };
        db.AuditLog.Add(entry);
        return entry;
    }

    public async Task WriteAsync(string actorId, string actorName, string action, string? target, string result = "success", string? detail = null)
    {
        Add(actorId, actorName, action, target, result, detail);
        await db.SaveChangesAsync();
    }
}
