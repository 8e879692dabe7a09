namespace CityLoop.Server.Infrastructure;

/// <summary>A clock that moves only when told: for tests, and for seeding a history that happened in the past.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset _now = start.ToUniversalTime();
    readonly Lock _lock = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    public void Set(DateTimeOffset now)
    {
        lock (_lock) _now = now.ToUniversalTime();
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock) _now += by;
    }
}
