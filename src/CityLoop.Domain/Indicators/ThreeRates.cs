namespace CityLoop.Domain.Indicators;

/// <summary>
/// The weights of the 三率 composite and the share of a 基本满意 answer that counts as satisfied (REFERENCE.md §8: a
/// published analysis uses 0.1 / 0.5 / 0.4 and 0.9; unofficial, hence configurable).
/// </summary>
public sealed record ThreeRateWeights
{
    public decimal Response { get; init; } = 0.1m;
    public decimal Resolution { get; init; } = 0.5m;
    public decimal Satisfaction { get; init; } = 0.4m;
    public decimal BasicallySatisfiedFactor { get; init; } = 0.9m;

    /// <summary>The reasons these weights cannot be used, empty when they can.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Response < 0 || Resolution < 0 || Satisfaction < 0) problems.Add("The three weights cannot be negative.");
        if (Response + Resolution + Satisfaction != 1m) problems.Add("The three weights add up to 1.");
        if (BasicallySatisfiedFactor is < 0 or > 1) problems.Add("The 基本满意 factor lies between 0 and 1.");
        return problems;
    }
}

/// <summary>The sums of fact counters the 三率 of a slice are computed from.</summary>
/// <param name="FollowedUp">Follow-ups made (the last follow-up of each case).</param>
/// <param name="Valid">有效回访: follow-ups that reached the citizen.</param>
/// <param name="Resolved">Valid follow-ups in which the citizen said the problem was solved.</param>
/// <param name="Satisfied">Valid follow-ups answered 满意 or 非常满意.</param>
/// <param name="BasicallySatisfied">Valid follow-ups answered 基本满意.</param>
public sealed record ThreeRateSums(long FollowedUp, long Valid, long Resolved, long Satisfied, long BasicallySatisfied);

public sealed record ThreeRateResult(decimal? Response, decimal? Resolution, decimal? Satisfaction, decimal? Composite);

/// <summary>
/// 三率 (北京市接诉即办工作条例): measured from the citizen's answers on the follow-up call, not the handler's report.
/// 响应率 = valid follow-ups ÷ follow-ups made; 解决率 = solved ÷ valid follow-ups; 满意率 = (满意 + factor × 基本满意) ÷
/// valid follow-ups; composite = the weighted sum of the three (a score out of 100). Percentages half-up to 2 decimals.
/// </summary>
public static class ThreeRates
{
    public const string HowResponseZh = "响应率 = 接通的有效回访数 ÷ 回访数（平台记录回访是否联系到市民；未记录承办单位是否先行联系）。";
    public const string HowResponseEn = "Response = follow-ups that reached the citizen ÷ follow-ups made (the platform records whether the follow-up reached the citizen, not whether the unit called first).";
    public const string HowResolutionZh = "解决率 = 市民认为已解决的件数 ÷ 有效回访数。";
    public const string HowResolutionEn = "Resolution = valid follow-ups in which the citizen said the problem was solved ÷ valid follow-ups.";
    public const string HowSatisfactionZh = "满意率 = （满意 + 基本满意系数 × 基本满意）÷ 有效回访数。";
    public const string HowSatisfactionEn = "Satisfaction = (satisfied + factor × basically satisfied) ÷ valid follow-ups.";
    public const string HowCompositeZh = "综合得分 = 响应率 × 响应权重 + 解决率 × 解决权重 + 满意率 × 满意权重（按回访日期计入月份）。";
    public const string HowCompositeEn = "Composite = response × its weight + resolution × its weight + satisfaction × its weight (a case counts in the month of its follow-up).";

    public static ThreeRateResult Compute(ThreeRateSums s, ThreeRateWeights w)
    {
        decimal? Pct(decimal n, long d) => d == 0 ? null : Math.Round(100m * n / d, IndicatorDefinition.Decimals, MidpointRounding.AwayFromZero);
        var response = Pct(s.Valid, s.FollowedUp);
        var resolution = Pct(s.Resolved, s.Valid);
        var satisfaction = Pct(s.Satisfied + w.BasicallySatisfiedFactor * s.BasicallySatisfied, s.Valid);
        decimal? composite = response is { } a && resolution is { } b && satisfaction is { } c
            ? Math.Round(a * w.Response + b * w.Resolution + c * w.Satisfaction, IndicatorDefinition.Decimals, MidpointRounding.AwayFromZero)
            : null;
        return new ThreeRateResult(response, resolution, satisfaction, composite);
    }
}

/// <summary>Competition ranking (1, 2, 2, 4): equal scores share a rank; rows without a score get none.</summary>
public static class Ranking
{
    public static IReadOnlyList<(T Row, int? Rank)> Rank<T>(IEnumerable<T> rows, Func<T, decimal?> score)
    {
        var ordered = rows.OrderByDescending(r => score(r).HasValue).ThenByDescending(score).ToList();
        var result = new List<(T, int?)>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            var s = score(ordered[i]);
            int? rank = s is null ? null : i > 0 && score(ordered[i - 1]) == s ? result[i - 1].Item2 : i + 1;
            result.Add((ordered[i], rank));
        }
        return result;
    }
}
