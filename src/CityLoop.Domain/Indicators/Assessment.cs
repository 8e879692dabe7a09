using System.Globalization;

namespace CityLoop.Domain.Indicators;

/// <summary>One term of a score: the indicator's rate (or 1 − rate when <see cref="Inverse"/>) times the weight.</summary>
public sealed record ScoreTerm
{
    public string Indicator { get; init; } = "";
    public decimal Weight { get; init; }
    /// <summary>For rates where less is better (返工率, 延期率): the term scores 1 − rate.</summary>
    public bool Inverse { get; init; }
    /// <summary>
    /// For a count (受理数, 派遣数): the volume score — the score (of 100) of the highest step whose minimum the count
    /// reaches, 0 below every step (REFERENCE §6: "受理数分值, e.g. &gt; 2000 → 100").
    /// </summary>
    public List<VolumeStep>? Steps { get; init; }

    /// <summary>The term's share of its weight (0–1) for a value — a rate in percent, or a count where the term has steps.</summary>
    public decimal? Share(decimal? value)
    {
        if (value is not { } v) return null;
        if (Steps is { Count: > 0 })
        {
            if (v <= 0) return null; // nobody's volume to judge: the term is left out like a rate with nothing to count over
            var step = Steps.Where(s => v >= s.Min).OrderByDescending(s => s.Min).FirstOrDefault();
            return (step?.Score ?? 0) / 100m;
        }
        var share = v / 100m;
        return Inverse ? 1 - share : share;
    }
}

/// <summary>One step of a volume score: from <see cref="Min"/> cases on, <see cref="Score"/> of 100.</summary>
public sealed record VolumeStep
{
    public long Min { get; init; }
    public decimal Score { get; init; }
}

/// <summary>
/// A weighted score of the units of one kind (departments, streets) over catalogue indicators — a table of terms
/// that configuration can replace. The default department scheme is Chengdu Jinniu's 100-point score (REFERENCE §6).
/// </summary>
public sealed record AssessmentScheme
{
    public string Subject { get; init; } = "";
    public string NameZh { get; init; } = "";
    public string NameEn { get; init; } = "";
    public List<ScoreTerm> Terms { get; init; } = [];

    public decimal FullMarks => Terms.Sum(t => t.Weight);

    public static AssessmentScheme DefaultDepartments => new()
    {
        Subject = "department", NameZh = "部门考核（成都金牛百分制）", NameEn = "Department score (Chengdu Jinniu, 100 points)",
        Terms =
        [
            new() { Indicator = "disposal-rate", Weight = 30 },
            new() { Indicator = "disposed-on-time-rate", Weight = 20 },
            new() { Indicator = "rework-rate", Weight = 20, Inverse = true },
            new() { Indicator = "overdue-pending-rate", Weight = 20, Inverse = true },
            new() { Indicator = "extension-rate", Weight = 10, Inverse = true },
        ],
    };

    /// <summary>Streets are judged on the cases in their area: handled on time, closed, and the citizen's satisfaction.</summary>
    public static AssessmentScheme DefaultStreets => new()
    {
        Subject = "street", NameZh = "街道考核", NameEn = "Street score",
        Terms =
        [
            new() { Indicator = "disposed-on-time-rate", Weight = 40 },
            new() { Indicator = "archive-rate", Weight = 30 },
            new() { Indicator = "satisfaction-rate", Weight = 30 },
        ],
    };

    /// <summary>The subjects assessed, in the order the pages and the API list them.</summary>
    public static readonly IReadOnlyList<string> Subjects = ["department", "street", "inspector", "intake", "shift-leader", "dispatcher", "company"];

    /// <summary>The people's subjects: each figure is grouped by the person its indicator names (<see cref="IndicatorDefinition.Actor"/>).</summary>
    public static bool IsPersonal(string subject) => subject is "inspector" or "intake" or "shift-leader" or "dispatcher" or "company";

    /// <summary>A volume score as an example to configure (REFERENCE §6 names only "&gt; 2000 → 100 …"), per period assessed.</summary>
    public static List<VolumeStep> DefaultVolumeSteps(long top) =>
    [
        new() { Min = top, Score = 100 }, new() { Min = top * 3 / 4, Score = 90 }, new() { Min = top / 2, Score = 80 },
        new() { Min = top / 4, Score = 70 }, new() { Min = 1, Score = 60 },
    ];

    /// <summary>监督员: 有效上报率×40% + (1−漏报率)×20% + 按时核实率×20% + 按时核查率×20% (REFERENCE §6).</summary>
    public static AssessmentScheme DefaultInspectors => new()
    {
        Subject = "inspector", NameZh = "监督员考核", NameEn = "Inspector score",
        Terms =
        [
            new() { Indicator = "valid-report-rate", Weight = 40 },
            new() { Indicator = "missed-report-rate", Weight = 20, Inverse = true },
            new() { Indicator = "verified-on-time-rate", Weight = 20 },
            new() { Indicator = "checked-on-time-rate", Weight = 20 },
        ],
    };

    /// <summary>A collection company is judged by its inspectors' figures together (the inspectors' terms, summed over them).</summary>
    public static AssessmentScheme DefaultCompanies => DefaultInspectors with { Subject = "company", NameZh = "采集公司考核", NameEn = "Collection company score" };

    /// <summary>受理员: 受理数分值×25% + 核实按时派发率×40% + 核查按时派发率×35%.</summary>
    public static AssessmentScheme DefaultIntake => new()
    {
        Subject = "intake", NameZh = "受理员考核", NameEn = "Intake operator score",
        Terms =
        [
            new() { Indicator = "intake-accepted", Weight = 25, Steps = DefaultVolumeSteps(2000) },
            new() { Indicator = "verification-sent-on-time-rate", Weight = 40 },
            new() { Indicator = "check-sent-on-time-rate", Weight = 35 },
        ],
    };

    /// <summary>值班长: 按时立案率×25% + 准确立案率×40% + 按时结案率×35%.</summary>
    public static AssessmentScheme DefaultShiftLeaders => new()
    {
        Subject = "shift-leader", NameZh = "值班长考核", NameEn = "Shift leader score",
        Terms =
        [
            new() { Indicator = "filed-on-time-rate", Weight = 25 },
            new() { Indicator = "accurate-filing-rate", Weight = 40 },
            new() { Indicator = "closing-on-time-rate", Weight = 35 },
        ],
    };

    /// <summary>派遣员: 派遣数分值×20% + 按时派遣率×40% + 准确派遣率×40%.</summary>
    public static AssessmentScheme DefaultDispatchers => new()
    {
        Subject = "dispatcher", NameZh = "派遣员考核", NameEn = "Dispatcher score",
        Terms =
        [
            new() { Indicator = "dispatched", Weight = 20, Steps = DefaultVolumeSteps(2000) },
            new() { Indicator = "dispatched-on-time-rate", Weight = 40 },
            new() { Indicator = "accurate-dispatch-rate", Weight = 40 },
        ],
    };

    public static AssessmentScheme DefaultFor(string subject) => subject switch
    {
        "department" => DefaultDepartments,
        "street" => DefaultStreets,
        "inspector" => DefaultInspectors,
        "company" => DefaultCompanies,
        "intake" => DefaultIntake,
        "shift-leader" => DefaultShiftLeaders,
        "dispatcher" => DefaultDispatchers,
        _ => throw new ArgumentException($"No assessment of '{subject}'.", nameof(subject)),
    };

    /// <summary>The reasons the scheme cannot be used, empty when it can.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Terms.Count == 0) problems.Add($"The {Subject} scheme has no terms.");
        foreach (var t in Terms)
        {
            var def = IndicatorCatalogue.Find(t.Indicator);
            var personal = IsPersonal(Subject);
            if (def is null) problems.Add($"The {Subject} scheme names an unknown indicator '{t.Indicator}'.");
            else if (def.Unit != IndicatorUnit.Percent && t.Steps is not { Count: > 0 })
                problems.Add($"The {Subject} scheme scores '{t.Indicator}', a count, without volume steps: give 'steps' or score a rate.");
            else if (def.Unit == IndicatorUnit.Percent && t.Steps is { Count: > 0 })
                problems.Add($"The {Subject} scheme gives volume steps to '{t.Indicator}', a rate.");
            else if (personal && def.Actor is null && def.Subject != IndicatorSubject.Patrol)
                problems.Add($"The {Subject} scheme scores '{t.Indicator}', which is nobody's own figure: a person is scored on figures with an accountable person.");
            else if (!personal && def.Subject == IndicatorSubject.Patrol)
                problems.Add($"The {Subject} scheme scores '{t.Indicator}', an inspector's figure.");
            if (t.Steps?.Any(s => s.Score is < 0 or > 100 || s.Min < 0) == true)
                problems.Add($"The {Subject} scheme's steps of '{t.Indicator}' need a minimum ≥ 0 and a score of 0–100.");
            if (t.Weight <= 0) problems.Add($"The {Subject} scheme's weight of '{t.Indicator}' is not positive.");
        }
        return problems;
    }

    /// <summary>"处置率×30 + 按期处置率×20 + (1−返工率)×20 …", the definition shown next to every score.</summary>
    public string How(bool english)
    {
        var parts = Terms.Select(t =>
        {
            var def = IndicatorCatalogue.Find(t.Indicator);
            var name = def is null ? t.Indicator : english ? def.NameEn : def.NameZh;
            var w = t.Weight.ToString("0.##", CultureInfo.InvariantCulture);
            if (t.Steps is { Count: > 0 } steps)
            {
                var table = string.Join(english ? ", " : "，", steps.OrderByDescending(s => s.Min)
                    .Select(s => $"≥ {s.Min} → {s.Score.ToString("0.##", CultureInfo.InvariantCulture)}"));
                return english ? $"{name} score ({table}) × {w} %" : $"{name}分值（{table}）× {w}%";
            }
            return t.Inverse ? $"(1 − {name}) × {w}" : $"{name} × {w}";
        });
        var sum = string.Join(" + ", parts);
        return english
            ? $"{sum}; a term whose rate has no case to count over is left out and the others are scaled to {FullMarks:0.##} points. Grades: A ≥ 90 %, B ≥ 75 %, C ≥ 60 %, D ≥ 40 %, E below."
            : $"{sum}；某项无可计算的案件时不计该项，其余各项按满分 {FullMarks:0.##} 折算。等级：A ≥ 90%，B ≥ 75%，C ≥ 60%，D ≥ 40%，E 低于 40%。";
    }

    /// <summary>
    /// The score from the values of the terms' indicators (rates in percent; counts for volume terms): Σ weight × part
    /// over the terms that have a value, scaled to the full marks; null when no term has one.
    /// </summary>
    public decimal? Score(IReadOnlyDictionary<string, decimal?> rates)
    {
        decimal got = 0, applicable = 0;
        foreach (var t in Terms)
        {
            if (t.Share(rates.GetValueOrDefault(t.Indicator)) is not { } share) continue;
            got += t.Weight * share;
            applicable += t.Weight;
        }
        if (applicable == 0) return null;
        return Math.Round(got / applicable * FullMarks, IndicatorDefinition.Decimals, MidpointRounding.AwayFromZero);
    }

    /// <summary>Grades A 90–100, B 75–&lt;90, C 60–&lt;75, D 40–&lt;60, E &lt; 40 (of 100; other full marks scale).</summary>
    public string? Grade(decimal? score)
    {
        if (score is not { } s || FullMarks == 0) return null;
        var pct = 100m * s / FullMarks;
        return pct >= 90 ? "A" : pct >= 75 ? "B" : pct >= 60 ? "C" : pct >= 40 ? "D" : "E";
    }
}
