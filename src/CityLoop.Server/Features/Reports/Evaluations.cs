using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using MiniExcelLibs;

namespace CityLoop.Server.Features.Reports;

/// <summary>A 绩效评价 self-report: its editable indicator system (JSON) for one platform and year.</summary>
public sealed class EvaluationRecord
{
    public Guid Id { get; set; }
    public string PlatformCode { get; set; } = "";
    public int Year { get; set; }
    public string Title { get; set; } = "";
    public string Items { get; set; } = "[]";
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

sealed class EvaluationRecordConfiguration : IEntityTypeConfiguration<EvaluationRecord>
{
    public void Configure(EntityTypeBuilder<EvaluationRecord> e)
    {
        e.ToTable("evaluations");
        e.HasKey(x => x.Id);
        e.Property(x => x.PlatformCode).HasMaxLength(32);
        e.Property(x => x.Title).HasMaxLength(200);
        e.HasIndex(x => new { x.PlatformCode, x.Year });
    }
}

public sealed record NewEvaluationRequest(string Title, int Year, string? Platform, List<EvaluationItem>? Items);
public sealed record ManualScoreRequest(decimal Score, string Reason);

public sealed record EvaluationRowDto(EvaluationItem Item, decimal? Value, bool Measured, decimal? Score, string Explanation, string ExplanationEn);

public sealed record EvaluationDto(Guid Id, string Title, int Year, string Platform, DateTimeOffset UpdatedAt, string UpdatedBy,
    IReadOnlyList<EvaluationRowDto> Rows, IReadOnlyDictionary<string, decimal> Level1Scores, decimal Total, decimal FullMarks, string Grade,
    string GradeEn, IReadOnlyList<string> Unscored);

/// <summary>
/// The performance-evaluation self-report (绩效评价): an indicator system that supervisors edit, values filled from the
/// platform's figures over the year where an item names a catalogue indicator, manual scores entered by an evaluator
/// (a supervisor) with a reason, scored by <see cref="Evaluation"/>.
/// </summary>
public sealed class EvaluationService(CityLoopDb db, IndicatorQueries indicators, IOptions<PlatformOptions> platform, TimeProvider clock)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    static void Read(Actor actor)
    {
        if (!actor.Roles.Any(RankingQueries.Readers.Contains))
            throw new CaseForbiddenException("Evaluations are for supervisors, shift leaders and dispatchers.");
    }

    /// <summary>Editing the system and scoring by hand is the evaluator's work: a supervisor's.</summary>
    static void Write(Actor actor)
    {
        if (!actor.Roles.Contains(Role.Supervisor)) throw new CaseForbiddenException("Only a supervisor edits and scores an evaluation.");
    }

    /// <summary>A starting system in the seeds' shape: the platform fills 产出 and 效益, people score 决策 and 过程.</summary>
    public static List<EvaluationItem> Template() =>
    [
        new() { Code = "1.1.1", Level1 = "决策", Level2 = "项目立项", Name = "立项依据充分性", Weight = 10, TargetText = "依据充分", Rule = EvaluationRule.Manual },
        new() { Code = "1.2.1", Level1 = "决策", Level2 = "绩效目标", Name = "绩效目标合理性", Weight = 10, TargetText = "目标明确合理", Rule = EvaluationRule.Manual },
        new() { Code = "2.1.1", Level1 = "过程", Level2 = "资金管理", Name = "预算执行率", Weight = 10, TargetText = "100%", Rule = EvaluationRule.Manual },
        new() { Code = "2.2.1", Level1 = "过程", Level2 = "组织实施", Name = "管理制度健全性", Weight = 10, TargetText = "制度健全", Rule = EvaluationRule.Manual },
        new() { Code = "3.1.1", Level1 = "产出", Level2 = "产出数量", Name = "采集案件数量", Weight = 10, TargetText = "≥2500件", Target = 2500, Rule = EvaluationRule.Full, Measure = "reported" },
        new() { Code = "3.2.1", Level1 = "产出", Level2 = "产出质量", Name = "处置率", Weight = 10, TargetText = "≥95%", Target = 95, Rule = EvaluationRule.Proportional, Measure = "disposal-rate" },
        new() { Code = "3.3.1", Level1 = "产出", Level2 = "产出时效", Name = "按期处置率", Weight = 10, TargetText = "≥90%", Target = 90, Rule = EvaluationRule.Proportional, Measure = "disposed-on-time-rate" },
        new() { Code = "3.4.1", Level1 = "产出", Level2 = "产出质量", Name = "结案率", Weight = 10, TargetText = "≥95%", Target = 95, Rule = EvaluationRule.Proportional, Measure = "archive-rate" },
        new() { Code = "4.1.1", Level1 = "效益", Level2 = "社会效益", Name = "办结率", Weight = 10, TargetText = "≥95%", Target = 95, Rule = EvaluationRule.Proportional, Measure = "completion-rate" },
        new() { Code = "4.2.1", Level1 = "效益", Level2 = "满意度", Name = "社会公众或服务对象满意度", Weight = 10, TargetText = "≥95%", Target = 95, Rule = EvaluationRule.Proportional, Measure = "satisfaction-rate" },
    ];

    public async Task<IReadOnlyList<EvaluationDto>> ListAsync(Actor actor, CancellationToken ct)
    {
        Read(actor);
        var records = await db.Set<EvaluationRecord>().AsNoTracking().OrderByDescending(e => e.Year).ThenBy(e => e.Title).Take(100).ToListAsync(ct);
        var result = new List<EvaluationDto>();
        foreach (var r in records) result.Add(await ScoreAsync(r, ct));
        return result;
    }

    public async Task<EvaluationDto> CreateAsync(Actor actor, NewEvaluationRequest request, CancellationToken ct)
    {
        Write(actor);
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Trim().Length > 200)
            throw CaseValidationException.Single("title", "Give the evaluation a title of at most 200 characters.");
        if (request.Year is < 2000 or > 2100) throw CaseValidationException.Single("year", "The year lies between 2000 and 2100.");
        var items = request.Items is { Count: > 0 } given ? given : Template();
        Check(items);
        var record = new EvaluationRecord
        {
            Id = Guid.NewGuid(), PlatformCode = string.IsNullOrWhiteSpace(request.Platform) ? platform.Value.Code : request.Platform.Trim(), Year = request.Year,
            Title = request.Title.Trim(), Items = JsonSerializer.Serialize(items, Json), UpdatedAt = clock.GetUtcNow(), UpdatedBy = actor.Name,
        };
        db.Add(record);
        await db.SaveChangesAsync(ct);
        return await ScoreAsync(record, ct);
    }

    public async Task<EvaluationDto> GetAsync(Actor actor, Guid id, CancellationToken ct)
    {
        Read(actor);
        return await ScoreAsync(await FindAsync(id, ct), ct);
    }

    public async Task<EvaluationDto> ReplaceItemsAsync(Actor actor, Guid id, List<EvaluationItem> items, CancellationToken ct)
    {
        Write(actor);
        Check(items);
        var record = await FindAsync(id, ct);
        record.Items = JsonSerializer.Serialize(items, Json);
        record.UpdatedAt = clock.GetUtcNow();
        record.UpdatedBy = actor.Name;
        await db.SaveChangesAsync(ct);
        return await ScoreAsync(record, ct);
    }

    public async Task<EvaluationDto> ScoreByHandAsync(Actor actor, Guid id, string code, ManualScoreRequest request, CancellationToken ct)
    {
        Write(actor);
        var record = await FindAsync(id, ct);
        var items = Items(record);
        var index = items.FindIndex(i => i.Code == code);
        if (index < 0) throw new NotFoundException($"The evaluation has no indicator '{code}'.");
        var item = items[index];
        if (item.Rule != EvaluationRule.Manual) throw CaseValidationException.Single("code", $"'{code}' is scored by its rule, not by hand.");
        if (string.IsNullOrWhiteSpace(request.Reason)) throw CaseValidationException.Single("reason", "A manual score gives the evaluator's reason.");
        if (request.Score < 0 || request.Score > item.Weight)
            throw CaseValidationException.Single("score", $"The score lies between 0 and {item.Weight:0.##}.");
        items[index] = item with { ManualScore = request.Score, ManualReason = request.Reason.Trim(), ScoredBy = actor.Name };
        record.Items = JsonSerializer.Serialize(items, Json);
        record.UpdatedAt = clock.GetUtcNow();
        record.UpdatedBy = actor.Name;
        await db.SaveChangesAsync(ct);
        return await ScoreAsync(record, ct);
    }

    static void Check(List<EvaluationItem>? items)
    {
        if (items is null || items.Any(i => i is null))
            throw CaseValidationException.Single("items", "Give the indicator system as a list of indicators.");
        var problems = Evaluation.Problems(items);
        if (problems.Count > 0) throw new CaseValidationException(new Dictionary<string, string[]> { ["items"] = problems.ToArray() });
    }

    async Task<EvaluationRecord> FindAsync(Guid id, CancellationToken ct) =>
        await db.Set<EvaluationRecord>().FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException("There is no such evaluation.");

    static List<EvaluationItem> Items(EvaluationRecord r) => JsonSerializer.Deserialize<List<EvaluationItem>>(r.Items, Json) ?? [];

    /// <summary>Fills measured values from the year's figures on the evaluation's platform, then scores every item.</summary>
    async Task<EvaluationDto> ScoreAsync(EvaluationRecord r, CancellationToken ct)
    {
        var items = Items(r);
        var filled = new List<(EvaluationItem Item, bool Measured)>();
        foreach (var item in items)
        {
            if (item.Measure is null || IndicatorCatalogue.Find(item.Measure) is not { } def)
            {
                filled.Add((item, false));
                continue;
            }
            var slice = new IndicatorSlice($"{r.Year:0000}-01-01", $"{r.Year:0000}-12-31", r.PlatformCode, null, null, null, null, null);
            var figure = await indicators.ValueAsync(def, slice, null, ct);
            var value = item.MeasurePart == "numerator" ? figure.Numerator : figure.Value;
            filled.Add((item with { Value = value }, true));
        }
        var result = Evaluation.Evaluate(filled.Select(f => f.Item).ToList());
        var rows = filled.Zip(result.Items, (f, s) => new EvaluationRowDto(f.Item, f.Item.Value, f.Measured, s.Score, s.Explanation, s.ExplanationEn)).ToList();
        return new EvaluationDto(r.Id, r.Title, r.Year, r.PlatformCode, r.UpdatedAt, r.UpdatedBy, rows, result.Level1Scores, result.Total,
            result.FullMarks, result.Grade, Evaluation.GradeEn(result.Grade), result.Unscored);
    }

    /// <summary>
    /// The scoring table in the seeds' shape: 一级指标, 分值, 二级指标, 三级指标, 分值, 目标值, 完成值, 得分, then 总分 and 评价等次 —
    /// headings, the total row and the explanations in the reader's language (the indicator system's own names are data).
    /// </summary>
    public static byte[] Workbook(EvaluationDto e)
    {
        string L1 = Ui.Pick("一级指标", "Level 1 indicator"), W1 = Ui.Pick("一级分值", "Level 1 points"), L2 = Ui.Pick("二级指标", "Level 2 indicator"),
            L3 = Ui.Pick("三级指标", "Level 3 indicator"), W = Ui.Pick("分值", "Points"), Target = Ui.Pick("全年目标值", "Target for the year"),
            Done = Ui.Pick("全年完成值", "Achieved in the year"), Score = Ui.Pick("得分", "Score"), Why = Ui.Pick("评分说明", "How it was scored");
        var rows = e.Rows.Select(r => new Dictionary<string, object?>
        {
            [L1] = r.Item.Level1,
            [W1] = e.Rows.Where(x => x.Item.Level1 == r.Item.Level1).Sum(x => x.Item.Weight),
            [L2] = r.Item.Level2,
            [L3] = r.Item.Name,
            [W] = r.Item.Weight,
            [Target] = r.Item.TargetText,
            [Done] = r.Item.ValueText ?? r.Value?.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
            [Score] = r.Score,
            [Why] = Ui.Pick(r.Explanation, r.ExplanationEn),
        }).ToList();
        rows.Add(new Dictionary<string, object?>
        {
            [L1] = Ui.Pick("总分", "Total"), [W1] = e.FullMarks, [L2] = null, [L3] = null, [W] = e.FullMarks, [Target] = null,
            [Done] = null, [Score] = e.Total, [Why] = Ui.Pick($"评价等次：{e.Grade}（100-90（含）分为优、90-80（含）分为良、80-70（含）分为中、70 分以下为差）",
                $"Grade: {e.GradeEn} (90–100 excellent, 80–90 good, 70–80 fair, below 70 poor)"),
        });
        using var stream = new MemoryStream();
        stream.SaveAs(new Dictionary<string, object> { [Ui.Pick("绩效评价指标评分", "Performance evaluation")] = rows }, excelType: ExcelType.XLSX);
        return stream.ToArray();
    }
}

public static class EvaluationEndpoints
{
    public static void MapEvaluationEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/evaluations").WithTags("Evaluations").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("", async (CurrentActor current, EvaluationService s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(await current.GetAsync(), ct)))
            .WithName("ListEvaluations");
        g.MapPost("", async (NewEvaluationRequest request, CurrentActor current, EvaluationService s, CancellationToken ct) =>
        {
            var created = await s.CreateAsync(await current.GetAsync(), request, ct);
            return TypedResults.Created($"/api/v1/evaluations/{created.Id}", created);
        }).WithName("CreateEvaluation");
        g.MapGet("/{id:guid}", async Task<IResult> (Guid id, string? format, CurrentActor current, EvaluationService s, CancellationToken ct) =>
        {
            var e = await s.GetAsync(await current.GetAsync(), id, ct);
            return format?.Trim().ToLowerInvariant() switch
            {
                null or "" or "json" => TypedResults.Ok(e),
                "xlsx" => TypedResults.File(EvaluationService.Workbook(e), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"evaluation-{e.Year}.xlsx"),
                _ => throw CaseValidationException.Single("format", "The format is json or xlsx."),
            };
        }).WithName("GetEvaluation");
        g.MapPut("/{id:guid}/items", async (Guid id, List<EvaluationItem> items, CurrentActor current, EvaluationService s, CancellationToken ct) =>
            TypedResults.Ok(await s.ReplaceItemsAsync(await current.GetAsync(), id, items, ct))).WithName("ReplaceEvaluationItems");
        g.MapPut("/{id:guid}/items/{code}/score", async (Guid id, string code, ManualScoreRequest request, CurrentActor current, EvaluationService s,
            CancellationToken ct) => TypedResults.Ok(await s.ScoreByHandAsync(await current.GetAsync(), id, code, request, ct))).WithName("ScoreEvaluationItem");
    }
}
