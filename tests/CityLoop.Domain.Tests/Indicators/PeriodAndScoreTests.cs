using CityLoop.Domain.Indicators;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>Periods (weeks Monday–Sunday, half-months 1–15 and 16–end), the 三率 and the weighted assessments.</summary>
public class PeriodAndScoreTests
{
    static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("week", "2026-06-10", "2026-06-08", "2026-06-15", "2026-W24")]
    [InlineData("week", "2026-01-01", "2025-12-29", "2026-01-05", "2026-W01")]   // ISO: the week of 1 January 2026 is 2026's first
    [InlineData("half-month", "2026-06-15", "2026-06-01", "2026-06-16", "2026-06-H1")]
    [InlineData("half-month", "2026-02-16", "2026-02-16", "2026-03-01", "2026-02-H2")]
    [InlineData("month", "2026-06-30", "2026-06-01", "2026-07-01", "2026-06")]
    [InlineData("quarter", "2026-05-20", "2026-04-01", "2026-07-01", "2026-Q2")]
    [InlineData("year", "2026-05-20", "2026-01-01", "2027-01-01", "2026")]
    public void APeriod_ContainsItsDay_AndHasItsKey(string kind, string day, string start, string end, string key)
    {
        var p = Periods.Of(Periods.Names[kind], D(day));
        Assert.Equal((D(start), D(end), key), (p.Start, p.End, p.Key));
        Assert.Equal(p, Periods.Parse(p.Kind, key));
        Assert.Equal(p, Periods.Parse(p.Kind, day));
    }

    [Fact]
    public void TheLatestCompletePeriod_EndsOnOrBeforeToday()
    {
        var today = D("2026-06-16"); // a Tuesday
        Assert.Equal("2026-W24", Periods.LatestComplete(PeriodKind.Week, today).Key);
        Assert.Equal("2026-06-H1", Periods.LatestComplete(PeriodKind.HalfMonth, today).Key);
        Assert.Equal("2026-05", Periods.LatestComplete(PeriodKind.Month, today).Key);
        Assert.Equal("2025", Periods.LatestComplete(PeriodKind.Year, today).Key);
        Assert.Equal("2026-05-H2", Periods.LatestComplete(PeriodKind.HalfMonth, D("2026-06-01")).Key);
    }

    [Fact]
    public void PreviousAndYearEarlier_AreTheSameKindOfPeriod()
    {
        Assert.Equal("2026-05-H2", Periods.Parse(PeriodKind.HalfMonth, "2026-06-H1")!.Previous().Key);
        Assert.Equal("2025-W24", Periods.Parse(PeriodKind.Week, "2026-W24")!.YearEarlier().Key);
        Assert.Equal("2025-W52", Periods.Parse(PeriodKind.Week, "2026-W53")!.YearEarlier().Key); // 2025 has no week 53
        Assert.Equal("2025-02", Periods.Parse(PeriodKind.Month, "2026-02")!.YearEarlier().Key);
        Assert.Equal(["2026-06-H1", "2026-06-H2", "2026-07-H1"], Periods.Between(PeriodKind.HalfMonth, D("2026-06-10"), D("2026-07-02")).Select(p => p.Key));
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-06-H3")]
    [InlineData("2026-W54")]
    [InlineData("June")]
    [InlineData("0001-01-01")]
    public void NonsenseKeys_AreNotPeriods(string key)
    {
        Assert.Null(Periods.Parse(PeriodKind.Month, key) ?? Periods.Parse(PeriodKind.HalfMonth, key) ?? Periods.Parse(PeriodKind.Week, key));
    }

    [Fact]
    public void TheThreeRates_CountBasicallySatisfiedByTheFactor_AndWeighTheComposite()
    {
        // 20 follow-ups, 16 reached the citizen; 12 solved; 10 satisfied and 4 basically satisfied.
        var sums = new ThreeRateSums(20, 16, 12, 10, 4);
        var r = ThreeRates.Compute(sums, new ThreeRateWeights());
        Assert.Equal(80.00m, r.Response);
        Assert.Equal(75.00m, r.Resolution);
        Assert.Equal(85.00m, r.Satisfaction);              // (10 + 0.9 × 4) / 16 = 13.6 / 16
        Assert.Equal(79.50m, r.Composite);                 // 8.0 + 37.5 + 34.0
        var strict = ThreeRates.Compute(sums, new ThreeRateWeights { BasicallySatisfiedFactor = 0.5m, Response = 0.2m, Resolution = 0.4m, Satisfaction = 0.4m });
        Assert.Equal(75.00m, strict.Satisfaction);         // (10 + 2) / 16
        Assert.Equal(76.00m, strict.Composite);            // 16 + 30 + 30
        Assert.Equal(new ThreeRateResult(null, null, null, null), ThreeRates.Compute(new ThreeRateSums(0, 0, 0, 0, 0), new ThreeRateWeights()));
        Assert.NotEmpty(new ThreeRateWeights { Response = 0.5m }.Problems());
        Assert.NotEmpty(new ThreeRateWeights { BasicallySatisfiedFactor = 1.5m }.Problems());
        Assert.Empty(new ThreeRateWeights().Problems());
    }

    [Fact]
    public void Ranking_SharesRanksOnEqualScores_AndLeavesUnscoredRowsUnranked()
    {
        var ranked = Ranking.Rank(new (string, decimal?)[] { ("a", 80m), ("b", null), ("c", 95m), ("d", 80m), ("e", 70m) }, r => r.Item2)
            .Select(x => (x.Row.Item1, x.Rank)).ToList();
        Assert.Equal([("c", 1), ("a", 2), ("d", 2), ("e", 4), ("b", (int?)null)], ranked);
    }

    [Fact]
    public void TheDepartmentScore_IsChengduJinniusFormula_WithItsDefinitionAndGrade()
    {
        var scheme = AssessmentScheme.DefaultDepartments;
        Assert.Empty(scheme.Problems());
        Assert.Equal(100m, scheme.FullMarks);
        // 处置率 95 × 30 + 按期处置率 80 × 20 + (1 − 返工率 10) × 20 + (1 − 超期待处置率 5) × 20 + (1 − 延期率 20) × 10
        var rates = new Dictionary<string, decimal?>
        {
            ["disposal-rate"] = 95m, ["disposed-on-time-rate"] = 80m, ["rework-rate"] = 10m, ["overdue-pending-rate"] = 5m, ["extension-rate"] = 20m,
        };
        Assert.Equal(28.5m + 16m + 18m + 19m + 8m, scheme.Score(rates));
        Assert.Equal("B", scheme.Grade(89.5m));
        Assert.Equal("A", scheme.Grade(90m));
        Assert.Equal("E", scheme.Grade(39.99m));
        Assert.StartsWith("处置率 × 30 + 按期处置率 × 20 + (1 − 返工率) × 20 + (1 − 超期待处置率) × 20 + (1 − 延期率) × 10", scheme.How(false));
        // A term with nothing to count over is left out, the rest scaled to 100: a department with only a disposal rate.
        Assert.Equal(90m, scheme.Score(new Dictionary<string, decimal?> { ["disposal-rate"] = 90m }));
        Assert.Null(scheme.Score(new Dictionary<string, decimal?>()));
        Assert.NotEmpty(new AssessmentScheme { Subject = "x", Terms = [new() { Indicator = "reported", Weight = 10 }] }.Problems());
        Assert.NotEmpty(new AssessmentScheme { Subject = "x", Terms = [new() { Indicator = "nothing", Weight = 10 }] }.Problems());
    }
}
