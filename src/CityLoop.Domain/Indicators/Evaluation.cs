using System.Globalization;

namespace CityLoop.Domain.Indicators;

/// <summary>How a third-level indicator of a 绩效评价 is scored (real evaluations mix these).</summary>
public enum EvaluationRule
{
    /// <summary>Full marks when the target is met, none otherwise.</summary>
    Full,
    /// <summary>Marks in proportion to the share of the target reached (capped at full marks).</summary>
    Proportional,
    /// <summary>Full marks less a deduction for each step of shortfall below the target.</summary>
    Stepped,
    /// <summary>Scored by an evaluator, with a reason.</summary>
    Manual,
}

/// <summary>
/// One third-level indicator of the performance-evaluation self-report (绩效评价): its place in the 决策 / 过程 / 产出 /
/// 效益 / 满意度 system, its weight (分值), target and completed value, and the rule that scores it. A value is filled
/// from the platform where <see cref="Measure"/> names a catalogue indicator, else entered by hand.
/// </summary>
public sealed record EvaluationItem
{
    public string Code { get; init; } = "";
    public string Level1 { get; init; } = "";
    public string Level2 { get; init; } = "";
    public string Name { get; init; } = "";
    public decimal Weight { get; init; }
    /// <summary>The target as the table shows it ("≥300件", "100%").</summary>
    public string TargetText { get; init; } = "";
    /// <summary>The number the rule compares with (null for manual items).</summary>
    public decimal? Target { get; init; }
    /// <summary>Whether the target is a floor (≥, the default) or a ceiling (≤, e.g. money spent).</summary>
    public bool AtMost { get; init; }
    public EvaluationRule Rule { get; init; }
    /// <summary>Stepped rule: the size of a step of shortfall and the marks deducted per step.</summary>
    public decimal? Step { get; init; }
    public decimal? DeductionPerStep { get; init; }
    /// <summary>A catalogue indicator id whose figure over the evaluated year is the completed value.</summary>
    public string? Measure { get; init; }
    /// <summary>Which part of the measured figure is the value: "value" (the rate or count) or "numerator" (a rate's count).</summary>
    public string MeasurePart { get; init; } = "value";
    /// <summary>The completed value entered by hand (or filled from <see cref="Measure"/>).</summary>
    public decimal? Value { get; init; }
    /// <summary>The completed value as the table shows it ("1799件", "按文件执行").</summary>
    public string? ValueText { get; init; }
    public decimal? ManualScore { get; init; }
    public string? ManualReason { get; init; }
    public string? ScoredBy { get; init; }
}

public sealed record EvaluationItemScore(string Code, decimal? Score, string Explanation, string ExplanationEn);

public sealed record EvaluationResult(IReadOnlyList<EvaluationItemScore> Items, IReadOnlyDictionary<string, decimal> Level1Scores, decimal Total,
    decimal FullMarks, string Grade, IReadOnlyList<string> Unscored);

/// <summary>The scoring of a 绩效评价: each item by its rule, totals per first-level indicator, the grade.</summary>
public static class Evaluation
{
    /// <summary>优 ≥ 90, 良 ≥ 80, 中 ≥ 70, 差 below (the seeds: "100-90（含）分为优 …").</summary>
    public static string Grade(decimal total) => total >= 90 ? "优" : total >= 80 ? "良" : total >= 70 ? "中" : "差";

    public static string GradeEn(string grade) => grade switch { "优" => "Excellent", "良" => "Good", "中" => "Fair", _ => "Poor" };

    public static EvaluationItemScore Score(EvaluationItem i)
    {
        static string N(decimal v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        if (i.Rule == EvaluationRule.Manual)
            return i.ManualScore is { } m
                ? new(i.Code, Math.Clamp(m, 0, i.Weight), $"评价人打分：{i.ManualReason}", $"Scored by the evaluator: {i.ManualReason}")
                : new(i.Code, null, "待评价人打分", "Waiting for the evaluator's score");
        if (i.Target is not { } target) return new(i.Code, null, "缺少目标值", "No target");
        if (i.Value is not { } value) return new(i.Code, null, "尚无完成值（未填写，或平台在该年度没有可计算的案件）", "No completed value (not entered, or no case to count in the year)");
        var met = i.AtMost ? value <= target : value >= target;
        switch (i.Rule)
        {
            case EvaluationRule.Full:
                return met
                    ? new(i.Code, i.Weight, $"完成值 {N(value)} 达到目标 {i.TargetText}，得满分", $"{N(value)} meets the target {i.TargetText}: full marks")
                    : new(i.Code, 0, $"完成值 {N(value)} 未达到目标 {i.TargetText}，不得分", $"{N(value)} misses the target {i.TargetText}: no marks");
            case EvaluationRule.Proportional:
                if (met || target == 0) return new(i.Code, i.Weight, $"完成值 {N(value)} 达到目标，得满分", $"{N(value)} meets the target: full marks");
                var share = i.AtMost ? target / value : value / target;
                return new(i.Code, Math.Round(i.Weight * share, 2, MidpointRounding.AwayFromZero), $"完成值 {N(value)} 为目标的 {N(Math.Round(100 * share, 2))}%，按比例得分",
                    $"{N(value)} is {N(Math.Round(100 * share, 2))} % of the target: marks in proportion");
            default:
                if (met) return new(i.Code, i.Weight, $"完成值 {N(value)} 达到目标，得满分", $"{N(value)} meets the target: full marks");
                var step = i.Step is > 0 ? i.Step.Value : 1;
                var steps = Math.Ceiling(Math.Abs(target - value) / step);
                var deducted = steps * (i.DeductionPerStep ?? 1);
                return new(i.Code, Math.Max(0, i.Weight - deducted), $"差 {N(Math.Abs(target - value))}，每 {N(step)} 扣 {N(i.DeductionPerStep ?? 1)} 分，共扣 {N(deducted)} 分",
                    $"{N(Math.Abs(target - value))} short: {N(i.DeductionPerStep ?? 1)} off per {N(step)}, {N(deducted)} in all");
        }
    }

    public static EvaluationResult Evaluate(IReadOnlyList<EvaluationItem> items)
    {
        var scores = items.Select(Score).ToList();
        var total = scores.Sum(s => s.Score ?? 0);
        var level1 = items.Zip(scores).GroupBy(x => x.First.Level1, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(x => x.Second.Score ?? 0));
        return new EvaluationResult(scores, level1, total, items.Sum(i => i.Weight), Grade(total),
            scores.Where(s => s.Score is null).Select(s => s.Code).ToList());
    }

    /// <summary>The problems that make a system unusable: duplicate codes, weights not adding up to 100, rules without targets.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<EvaluationItem> items)
    {
        var problems = new List<string>();
        foreach (var dup in items.GroupBy(i => i.Code).Where(g => g.Count() > 1)) problems.Add($"The code '{dup.Key}' is used twice.");
        if (items.Sum(i => i.Weight) != 100) problems.Add($"The weights add up to {items.Sum(i => i.Weight):0.##}, not 100.");
        foreach (var i in items)
        {
            if (string.IsNullOrWhiteSpace(i.Code) || string.IsNullOrWhiteSpace(i.Name) || string.IsNullOrWhiteSpace(i.Level1))
                problems.Add("Every indicator has a code, a name and a first-level indicator.");
            if (i.Weight <= 0) problems.Add($"'{i.Code}' has no positive weight.");
            if (i.Rule != EvaluationRule.Manual && i.Target is null) problems.Add($"'{i.Code}' is scored by rule but has no target.");
            if (i.Measure is not null && IndicatorCatalogue.Find(i.Measure) is null) problems.Add($"'{i.Code}' measures an unknown indicator '{i.Measure}'.");
            if (i.ManualScore is { } m && (m < 0 || m > i.Weight)) problems.Add($"'{i.Code}': a manual score lies between 0 and {i.Weight:0.##}.");
        }
        return problems;
    }
}
