namespace CityLoop.Server.Features.Cases;

public sealed class PlatformOptions
{
    /// <summary>The platform's administrative code; it prefixes every case number so numbers stay unique across platforms.</summary>
    public string Code { get; set; } = "451202";
    public string Name { get; set; } = "金城江区城市综合管理服务平台";
    public string TimeZone { get; set; } = "Asia/Shanghai";
    /// <summary>Share of a phase's time after which its light turns yellow.</summary>
    public double YellowShare { get; set; } = 0.8;
    /// <summary>How long an intake's Idempotency-Key is remembered (at least 24 hours).</summary>
    public int IdempotencyHours { get; set; } = 48;

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
