using CityLoop.Domain.Cases;

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

/// <summary>The workflow's configurable rules (section "Workflow").</summary>
public sealed class WorkflowOptions
{
    /// <summary>The dispatcher accepts or sends back the department's handling report before the check (处置反馈审核).</summary>
    public bool ReviewFeedback { get; set; }
    /// <summary>Shift leaders may issue supervision orders (督办) as well as supervisors.</summary>
    public bool ShiftLeaderSupervises { get; set; }
    /// <summary>How long after dispatch a department may return a case as not its duty (compact limit, e.g. "1d-work", "48h-urgent").</summary>
    public string ReturnWindow { get; set; } = "2d-work";
    /// <summary>An extension of a day limit must be asked this many working days before the deadline.</summary>
    public decimal ExtensionLeadDays { get; set; } = 1;
    /// <summary>An extension of an hour limit must be asked this share of the limit before the deadline.</summary>
    public double ExtensionLeadShare { get; set; } = 0.25;

    public WorkflowSettings Settings => new() { ReviewFeedback = ReviewFeedback, ShiftLeaderSupervises = ShiftLeaderSupervises };
}
