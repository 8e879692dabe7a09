using Microsoft.Extensions.Time.Testing;

namespace CityLoop.Server.Tests.Infrastructure;

public static class FakeClock
{
    /// <summary>
    /// Puts the fixture's clock at an instant, earlier or later: tests share one fixture and each sets the time it
    /// needs. The instant is stored in UTC because FakeTimeProvider keeps the offset it is given, and the app (and
    /// PostgreSQL's timestamptz) expects GetUtcNow() in UTC.
    /// </summary>
    public static void Set(this FakeTimeProvider clock, DateTimeOffset at) => clock.AdjustTime(at.ToUniversalTime());
}
