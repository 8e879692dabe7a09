using System.Globalization;

namespace CityLoop.Domain.Indicators;

/// <summary>One term of a score: the indicator's rate (or 1 − rate when <see cref="Inverse"/>) times the weight.</summary>
public sealed record ScoreTerm
{
    public string Indicator { get; init; } = "";
    public decimal Weight { get; init; }
    /// <summary>For rates where less is better (返工率, 延期率): the term scores 1 − rate.</summary>
    public bool Inverse { get; init; }
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

    /// <summary>The reasons the scheme cannot be used, empty when it can.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Terms.Count == 0) problems.Add($"The {Subject} scheme has no terms.");
        foreach (var t in Terms)
        {
            var def = IndicatorCatalogue.Find(t.Indicator);
            if (def is null) problems.Add($"The {Subject} scheme names an unknown indicator '{t.Indicator}'.");
            else if (def.Unit != IndicatorUnit.Percent) problems.Add($"The {Subject} scheme scores '{t.Indicator}', a count: score rates only.");
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
            return t.Inverse ? $"(1 − {name}) × {w}" : $"{name} × {w}";
        });
        var sum = string.Join(" + ", parts);
        return english
            ? $"{sum}; a term whose rate has no case to count over is left out and the others are scaled to {FullMarks:0.##} points. Grades: A ≥ 90 %, B ≥ 75 %, C ≥ 60 %, D ≥ 40 %, E below."
            : $"{sum}；某项无可计算的案件时不计该项，其余各项按满分 {FullMarks:0.##} 折算。等级：A ≥ 90%，B ≥ 75%，C ≥ 60%，D ≥ 40%，E 低于 40%。";
    }

    /// <summary>
    /// The score from the rates (percentages) of the terms' indicators: Σ weight × part over the terms that have a
    /// rate, scaled to the full marks; null when no term has one.
    /// </summary>
    public decimal? Score(IReadOnlyDictionary<string, decimal?> rates)
    {
        decimal got = 0, applicable = 0;
        foreach (var t in Terms)
        {
            if (rates.GetValueOrDefault(t.Indicator) is not { } rate) continue;
            var share = rate / 100m;
            got += t.Weight * (t.Inverse ? 1 - share : share);
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
