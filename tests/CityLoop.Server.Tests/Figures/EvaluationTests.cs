using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;

namespace CityLoop.Server.Tests.Figures;

/// <summary>子洲's 2021 绩效评价 on both databases: 全年完成工单 measured from a generated year of 1,799 completed
/// orders and scored by rule, 配套设施完善率 and 满意度 scored by hand with reasons; total 96 → 优.</summary>
public abstract class EvaluationTests<TApp>(TApp app) where TApp : AppFixture
{
    const string Platform = "610831";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    static EvaluationItem Rule(string code, string l1, string l2, string name, decimal weight, string target, decimal goal, decimal value, string valueText,
        bool atMost = false) =>
        new() { Code = code, Level1 = l1, Level2 = l2, Name = name, Weight = weight, TargetText = target, Target = goal, AtMost = atMost, Value = value,
            ValueText = valueText, Rule = EvaluationRule.Full };

    /// <summary>The seed's table (004, 部门评价表), with the two items its evaluators judged by hand left for the evaluator.</summary>
    static List<EvaluationItem> Zizhou() =>
    [
        Rule("1.1.1", "决策", "项目立项", "立项依据充分性", 4, "根据榆政办函[2019]257号文件", 1, 1, "按文件执行"),
        Rule("1.1.2", "决策", "项目立项", "立项程序规范性", 3, "依据上述文件进行立项", 1, 1, "按文件执行"),
        Rule("1.2.1", "决策", "绩效目标", "绩效目标合理性", 4, "政务服务12345完成工单", 1, 1, "1799件"),
        Rule("1.2.2", "决策", "绩效目标", "绩效指标明确性", 2, "是否按预算绩效执行", 1, 1, "是"),
        Rule("1.3.1", "决策", "资金投入", "预算编制科学性", 3, "≤49万元", 49, 48.83m, "48.83万元", atMost: true),
        Rule("1.3.2", "决策", "资金投入", "资金分配合理性", 4, "是否全部用于平台建设", 100, 100, "100%"),
        Rule("2.1.1", "过程", "资金管理", "资金到位率", 5, "≤49万元", 49, 49, "≤49万元", atMost: true),
        Rule("2.1.2", "过程", "资金管理", "预算执行率", 5, "≤49万元", 49, 48.83m, "≤49万元", atMost: true),
        Rule("2.2.1", "过程", "组织实施", "资金使用合规性", 5, "是否专款专用", 100, 100, "100%"),
        Rule("2.2.2", "过程", "组织实施", "管理制度健全性", 2, "是否按照合同文件时间拨款支付", 100, 100, "100%"),
        Rule("2.2.3", "过程", "组织实施", "制度执行有效性", 3, "是否按制度执行", 1, 1, "是"),
        new() { Code = "3.1.1", Level1 = "产出", Level2 = "产出数量", Name = "全年完成工单", Weight = 10, TargetText = "≥300件", Target = 300,
            Rule = EvaluationRule.Full, Measure = "completion-rate", MeasurePart = "numerator" },
        new() { Code = "3.2.1", Level1 = "产出", Level2 = "产出质量", Name = "配套设施完善率", Weight = 10, TargetText = "100%", ValueText = "98%", Rule = EvaluationRule.Manual },
        Rule("3.3.1", "产出", "产出时效", "2021年12月前完成", 10, "2021年12月底前", 1, 1, "2021年12月底前"),
        Rule("3.4.1", "产出", "产出成本", "投入资金≤49万元", 10, "≤49万元", 49, 48.83m, "48.83万元", atMost: true),
        Rule("4.1.1", "效益", "社会效益", "业务保障能力", 10, "24小时电话接通率", 100, 100, "100%"),
        new() { Code = "4.2.1", Level1 = "效益", Level2 = "满意度", Name = "社会公众或服务对象满意度", Weight = 10, TargetText = "≥95%", ValueText = "90%", Rule = EvaluationRule.Manual },
    ];

    [Fact]
    public async Task ZizhousEvaluation_IsMeasuredScoredByRuleAndByHand_NinetySixExcellent()
    {
        await GenerateYearAsync();
        var supervisor = await app.As("supervisor");
        var created = await supervisor.PostAsJsonAsync("/api/v1/evaluations", new { title = "12345 市民热线服务经费", year = 2021, platform = Platform, items = Zizhou() }, Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var evaluation = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = evaluation.GetProperty("id").GetGuid();
        var orders = evaluation.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("item").Str("code") == "3.1.1");
        Assert.Equal((1799m, true, 10m), (orders.GetProperty("value").GetDecimal(), orders.GetProperty("measured").GetBoolean(), orders.GetProperty("score").GetDecimal()));
        Assert.Equal(["3.2.1", "4.2.1"], evaluation.GetProperty("unscored").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(80m, evaluation.GetProperty("total").GetDecimal());

        // The evaluator's judgement, with reasons; only a supervisor scores, only manual items, within their weight.
        var url = $"/api/v1/evaluations/{id}/items";
        await Api.Problem(await (await app.As("dispatcher")).PutAsJsonAsync($"{url}/3.2.1/score", new { score = 8, reason = "x" }), HttpStatusCode.Forbidden);
        await Api.Problem(await supervisor.PutAsJsonAsync($"{url}/3.2.1/score", new { score = 8, reason = " " }), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.PutAsJsonAsync($"{url}/3.2.1/score", new { score = 11, reason = "超出分值" }), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.PutAsJsonAsync($"{url}/3.1.1/score", new { score = 5, reason = "按规则计分的指标" }), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await supervisor.PutAsJsonAsync($"{url}/9.9.9/score", new { score = 5, reason = "无此指标" }), HttpStatusCode.NotFound);
        Assert.True((await supervisor.PutAsJsonAsync($"{url}/3.2.1/score", new { score = 8, reason = "配套设施完善率 98%，未达到 100%" })).IsSuccessStatusCode);
        var scored = await (await supervisor.PutAsJsonAsync($"{url}/4.2.1/score", new { score = 8, reason = "满意度 90%，未达到 95%：宣传力度不够" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((96m, "优", "Excellent"), (scored.GetProperty("total").GetDecimal(), scored.Str("grade"), scored.Str("gradeEn")));
        Assert.Equal(38m, scored.GetProperty("level1Scores").GetProperty("产出").GetDecimal());
        var satisfaction = scored.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("item").Str("code") == "4.2.1");
        Assert.Contains("宣传力度不够", satisfaction.Str("explanation"));

        // Exported in the seed's shape: one row per third-level indicator, then the total and the grade.
        var xlsx = await supervisor.GetAsync($"/api/v1/evaluations/{id}?format=xlsx");
        var rows = MiniExcel.Query(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync()), useHeaderRow: true, sheetName: "绩效评价指标评分")
            .Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(18, rows.Count);
        Assert.Equal("全年完成工单", rows[11]["三级指标"]);
        Assert.Equal("总分", rows[^1]["一级指标"]);
        Assert.Equal(96m, Convert.ToDecimal(rows[^1]["得分"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("优", (string)rows[^1]["评分说明"]);

        // On an English request the workbook's headings, total and explanations are English; the indicators' own names are data.
        var english = await supervisor.GetAsync($"/api/v1/evaluations/{id}?format=xlsx&culture=en&ui-culture=en");
        var enRows = MiniExcel.Query(new MemoryStream(await english.Content.ReadAsByteArrayAsync()), useHeaderRow: true, sheetName: "Performance evaluation")
            .Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(18, enRows.Count);
        Assert.Equal("全年完成工单", enRows[11]["Level 3 indicator"]);
        Assert.Equal("Total", enRows[^1]["Level 1 indicator"]);
        Assert.StartsWith("Grade: Excellent", (string)enRows[^1]["How it was scored"]);
        Assert.DoesNotMatch(@"[\u3400-\u9FFF]", string.Join(" ", enRows[0].Keys));

        // A system whose weights do not add up to 100 is refused.
        var broken = Zizhou();
        broken.RemoveAt(0);
        await Api.Problem(await supervisor.PutAsJsonAsync(url, broken, Json), HttpStatusCode.UnprocessableEntity);
    }

    static readonly SemaphoreSlim Once = new(1, 1);

    /// <summary>1,799 requests in 2021, each answered and closed at intake, through the domain's transitions and projections.</summary>
    async Task GenerateYearAsync()
    {
        await Once.WaitAsync();
        try
        {
            using var scope = app.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<CityLoopDb>();
            if (await db.Set<CaseFact>().AnyAsync(f => f.PlatformCode == Platform)) return;
            var deadlines = scope.ServiceProvider.GetRequiredService<IDeadlinePolicy>();
            var projections = scope.ServiceProvider.GetServices<ICaseProjection>().OrderBy(p => p.Order).ToArray();
            var agent = new Actor("gen-agent", "gen-agent", new HashSet<Role> { Role.HotlineAgent }, null);
            var start = new DateTimeOffset(2021, 1, 1, 9, 0, 0, TimeSpan.FromHours(8));
            var batch = new List<Case>();
            for (var i = 0; i < 1799; i++)
            {
                var now = start.AddMinutes(i * 290);
                TransitionContext Ctx() => new(agent, now = now.AddMinutes(5), deadlines);
                var c = Case.Create(new NewCase { Source = CaseSource.Hotline, RequestType = RequestType.Enquiry, Description = "子洲生成工单", Address = "子洲县" },
                    $"{Platform}-2021-{i + 1:00000}", Platform, null, null, Ctx());
                c.Perform(CaseAction.AnswerDirectly, new ActionInput { Answer = "已答复" }, Ctx());
                db.Cases.Add(c);
                foreach (var e in c.NewEvents)
                    foreach (var p in projections) await p.ApplyAsync(c, e, default);
                db.CaseEvents.AddRange(c.NewEvents);
                batch.Add(c);
                if (batch.Count == 500 || i == 1798)
                {
                    await db.SaveChangesAsync();
                    foreach (var saved in batch) saved.AcceptEvents();
                    batch.Clear();
                    db.ChangeTracker.Clear();
                }
            }
        }
        finally { Once.Release(); }
    }
}

[Collection("sqlite")]
public sealed class EvaluationTests_Sqlite(SqliteApp app) : EvaluationTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class EvaluationTests_Postgres(PostgresApp app) : EvaluationTests<PostgresApp>(app), IClassFixture<PostgresApp>;
