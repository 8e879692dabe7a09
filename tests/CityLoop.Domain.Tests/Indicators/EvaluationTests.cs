using CityLoop.Domain.Indicators;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>The 绩效评价 self-report: 子洲's table reproduced (total 96, 优), and each scoring rule.</summary>
public class EvaluationTests
{
    static EvaluationItem Yes(string code, string l1, string l2, string name, decimal weight, string target, string value) =>
        new() { Code = code, Level1 = l1, Level2 = l2, Name = name, Weight = weight, TargetText = target, Target = 1, Value = 1, ValueText = value, Rule = EvaluationRule.Full };

    /// <summary>子洲县 12345 市民热线服务经费, 2021 (seed 004): every row of its scoring table.</summary>
    public static List<EvaluationItem> Zizhou(decimal completedOrders) =>
    [
        Yes("1.1.1", "决策", "项目立项", "立项依据充分性", 4, "根据榆政办函[2019]257号文件", "按文件执行"),
        Yes("1.1.2", "决策", "项目立项", "立项程序规范性", 3, "依据上述文件进行立项", "按文件执行"),
        Yes("1.2.1", "决策", "绩效目标", "绩效目标合理性", 4, "政务服务12345完成工单", "1799件"),
        Yes("1.2.2", "决策", "绩效目标", "绩效指标明确性", 2, "是否按预算绩效执行", "是"),
        new() { Code = "1.3.1", Level1 = "决策", Level2 = "资金投入", Name = "预算编制科学性", Weight = 3, TargetText = "≤49万元", Target = 49, AtMost = true, Value = 48.83m, ValueText = "48.83万元", Rule = EvaluationRule.Full },
        new() { Code = "1.3.2", Level1 = "决策", Level2 = "资金投入", Name = "资金分配合理性", Weight = 4, TargetText = "全部用于平台建设", Target = 100, Value = 100, ValueText = "100%", Rule = EvaluationRule.Full },
        new() { Code = "2.1.1", Level1 = "过程", Level2 = "资金管理", Name = "资金到位率", Weight = 5, TargetText = "≤49万元", Target = 49, AtMost = true, Value = 49, ValueText = "≤49万元", Rule = EvaluationRule.Full },
        new() { Code = "2.1.2", Level1 = "过程", Level2 = "资金管理", Name = "预算执行率", Weight = 5, TargetText = "≤49万元", Target = 49, AtMost = true, Value = 48.83m, ValueText = "≤49万元", Rule = EvaluationRule.Full },
        new() { Code = "2.2.1", Level1 = "过程", Level2 = "组织实施", Name = "资金使用合规性", Weight = 5, TargetText = "是否专款专用", Target = 100, Value = 100, ValueText = "100%", Rule = EvaluationRule.Full },
        new() { Code = "2.2.2", Level1 = "过程", Level2 = "组织实施", Name = "管理制度健全性", Weight = 2, TargetText = "按合同时间拨款支付", Target = 100, Value = 100, ValueText = "100%", Rule = EvaluationRule.Full },
        Yes("2.2.3", "过程", "组织实施", "制度执行有效性", 3, "是否按制度执行", "是"),
        new() { Code = "3.1.1", Level1 = "产出", Level2 = "产出数量", Name = "全年完成工单", Weight = 10, TargetText = "≥300件", Target = 300, Value = completedOrders, Rule = EvaluationRule.Full,
            Measure = "completion-rate", MeasurePart = "numerator" },
        new() { Code = "3.2.1", Level1 = "产出", Level2 = "产出质量", Name = "配套设施完善率", Weight = 10, TargetText = "100%", ValueText = "98%", Rule = EvaluationRule.Manual,
            ManualScore = 8, ManualReason = "配套设施完善率 98%，未达到 100% 的目标，酌情扣 2 分" },
        Yes("3.3.1", "产出", "产出时效", "2021年12月底前完成", 10, "2021年12月底前", "2021年12月底前"),
        new() { Code = "3.4.1", Level1 = "产出", Level2 = "产出成本", Name = "投入资金≤49万元", Weight = 10, TargetText = "≤49万元", Target = 49, AtMost = true, Value = 48.83m, ValueText = "48.83万元", Rule = EvaluationRule.Full },
        new() { Code = "4.1.1", Level1 = "效益", Level2 = "社会效益", Name = "业务保障能力", Weight = 10, TargetText = "24小时电话接通率 100%", Target = 100, Value = 100, ValueText = "100%", Rule = EvaluationRule.Full },
        new() { Code = "4.2.1", Level1 = "效益", Level2 = "满意度", Name = "社会公众或服务对象满意度", Weight = 10, TargetText = "≥95%", ValueText = "90%", Rule = EvaluationRule.Manual,
            ManualScore = 8, ManualReason = "满意度 90%，未达到 95%：宣传力度不够，知晓度不高" },
    ];

    [Fact]
    public void ZizhousTable_TotalsNinetySix_Excellent()
    {
        var items = Zizhou(1799);
        Assert.Empty(Evaluation.Problems(items));
        var result = Evaluation.Evaluate(items);
        Assert.Equal((96m, 100m, "优"), (result.Total, result.FullMarks, result.Grade));
        Assert.Equal(new Dictionary<string, decimal> { ["决策"] = 20, ["过程"] = 20, ["产出"] = 38, ["效益"] = 18 }, result.Level1Scores);
        Assert.Equal(10m, result.Items.Single(i => i.Code == "3.1.1").Score);
        Assert.Contains("1799", result.Items.Single(i => i.Code == "3.1.1").Explanation);
        Assert.Contains("宣传力度不够", result.Items.Single(i => i.Code == "4.2.1").Explanation);
        Assert.Empty(result.Unscored);
        // Had the platform completed 299 orders, the rule would give nothing: 86 → 良.
        Assert.Equal((86m, "良"), (Evaluation.Evaluate(Zizhou(299)).Total, Evaluation.Evaluate(Zizhou(299)).Grade));
    }

    [Theory]
    [InlineData(90, "优")]
    [InlineData(89.99, "良")]
    [InlineData(80, "良")]
    [InlineData(70, "中")]
    [InlineData(69.5, "差")]
    public void Grades_AreTheSeedsBands_WithTheLowerBoundIncluded(decimal total, string grade) => Assert.Equal(grade, Evaluation.Grade(total));

    [Fact]
    public void TheRules_ScoreProportionally_ByDeductionSteps_AndWaitForManualScores()
    {
        var p = new EvaluationItem { Code = "p", Level1 = "产出", Name = "处置率", Weight = 10, Target = 95, Value = 76, Rule = EvaluationRule.Proportional };
        Assert.Equal(8m, Evaluation.Score(p).Score);                                     // 76 / 95 = 80 %
        var s = p with { Rule = EvaluationRule.Stepped, Step = 1, DeductionPerStep = 0.5m, Value = 92.5m };
        Assert.Equal(8.5m, Evaluation.Score(s).Score);                                   // 2.5 short: 3 steps × 0.5
        Assert.Equal(0m, Evaluation.Score(s with { Value = 10 }).Score);                 // never below zero
        var m = p with { Rule = EvaluationRule.Manual, Target = null, Value = null };
        Assert.Null(Evaluation.Score(m).Score);
        Assert.Equal(["p"], Evaluation.Evaluate([m]).Unscored);
        Assert.NotEmpty(Evaluation.Problems([m with { ManualScore = 11 }]));
        Assert.NotEmpty(Evaluation.Problems([p with { Target = null }]));
    }
}
