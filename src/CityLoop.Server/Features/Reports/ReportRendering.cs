using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Shared;
using MiniExcelLibs;

namespace CityLoop.Server.Features.Reports;

/// <summary>
/// The one template of a report: the page shows <see cref="Body"/> inside the desk layout, and the PDF is
/// <see cref="Document"/> (the same body with its style) printed by Chromium. Text is in the request's language.
/// </summary>
public static class ReportHtml
{
    static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);
    static string E(string? s) => Encoder.Encode(s ?? "");

    public static string KindName(string kind) => kind switch
    {
        "weekly" => Ui.Pick("周报", "Weekly report"),
        "half-monthly" => Ui.Pick("半月报", "Half-monthly report"),
        "monthly" => Ui.Pick("月报", "Monthly report"),
        _ => Ui.Pick("年报", "Annual report"),
    };

    /// <summary>The report's title, naming its platform (the city's or a sub-centre's) where the report knows it.</summary>
    public static string Title(ReportContent r) => (r.PlatformName is { } name ? name + " · " : "") +
        Ui.Pick($"城市管理运行{KindName(r.Kind)}（{r.PeriodKey}）", $"City management {KindName(r.Kind).ToLowerInvariant()} ({r.PeriodKey})");

    public static string Value(decimal? v, string unit) => v is not { } x ? "—"
        : unit == "percent" ? x.ToString("0.00", CultureInfo.InvariantCulture) + "%" : x.ToString("0.##", CultureInfo.InvariantCulture);

    static string Change(decimal? c, string unit) => c is not { } x ? "—"
        : (x > 0 ? "+" : "") + x.ToString(unit == "percent" ? "0.00" : "0.##", CultureInfo.InvariantCulture) + (unit == "percent" ? Ui.Pick(" 个百分点", " pts") : "");

    public const string Style = """
        .report { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1f2933; font-size: 13px; }
        .report h1 { font-size: 22px; text-align: center; margin: 0 0 4px; }
        .report .meta { text-align: center; color: #5b6b7b; margin-bottom: 14px; font-size: 12px; }
        .report h2 { font-size: 16px; border-left: 4px solid #1f5f99; padding-left: 8px; margin: 18px 0 8px; page-break-after: avoid; }
        .report table { width: 100%; border-collapse: collapse; margin-bottom: 8px; page-break-inside: auto; }
        .report th, .report td { border: 1px solid #c9d3dd; padding: 4px 6px; text-align: left; vertical-align: top; }
        .report th { background: #e9eef4; font-weight: 600; }
        .report td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .report .how { color: #5b6b7b; font-size: 11px; }
        .report .bars { display: flex; align-items: flex-end; gap: 2px; height: 120px; border-bottom: 1px solid #c9d3dd; margin: 6px 0 2px; }
        .report .bar { flex: 1; background: #1f5f99; min-height: 1px; }
        .report .axis { display: flex; justify-content: space-between; font-size: 10px; color: #5b6b7b; }
        .report .provisional { color: #a12828; text-align: center; font-weight: 600; }
        @media print { .report { font-size: 11px; } @page { size: A4; margin: 14mm 12mm; } }
        """;

    /// <summary>A whole HTML document, for Chromium to print.</summary>
    public static string Document(ReportContent r) =>
        $"<!DOCTYPE html><html lang=\"{Ui.Pick("zh-CN", "en")}\"><head><meta charset=\"utf-8\"><title>{E(Title(r))}</title><style>{Style}</style></head><body>{Body(r)}</body></html>";

    static string PlatformText(ReportContent r) => r.PlatformName is { } name ? Ui.Pick($"{name}（{r.Platform}）", $"{name} ({r.Platform})") : r.Platform;

    public static string Body(ReportContent r)
    {
        var h = new StringBuilder();
        h.Append("<article class=\"report\" id=\"report\">");
        h.Append($"<h1>{E(Title(r))}</h1>");
        h.Append($"<div class=\"meta\">{E(Ui.Pick($"统计期 {r.FirstDay:yyyy-MM-dd} 至 {r.LastDay:yyyy-MM-dd} · 平台 {PlatformText(r)} · 截止 {Local(r.CutOff)} · 对比上期 {r.PreviousKey}", $"Period {r.FirstDay:yyyy-MM-dd} to {r.LastDay:yyyy-MM-dd} · platform {PlatformText(r)} · cut-off {Local(r.CutOff)} · compared with {r.PreviousKey}"))}</div>");
        if (r.Provisional)
            h.Append($"<p class=\"provisional\">{E(Ui.Pick("统计期尚未结束：本报表为临时数据，不归档。", "The period has not ended: these figures are provisional and not archived."))}</p>");

        h.Append($"<h2>{E(Ui.Pick("一、主要指标", "1. Headline figures"))}</h2><table id=\"figures\"><thead><tr>");
        foreach (var th in new[] { Ui.Pick("指标", "Figure"), Ui.Pick("本期", "This period"), Ui.Pick("分子 / 分母", "Numerator / denominator"), Ui.Pick("上期", "Previous"), Ui.Pick("变化", "Change"), Ui.Pick("如何计算", "How it is computed") })
            h.Append($"<th>{E(th)}</th>");
        h.Append("</tr></thead><tbody>");
        foreach (var f in r.Figures)
        {
            var name = Ui.Pick(f.NameZh, f.NameEn);
            h.Append($"<tr data-figure=\"{E(f.Id)}\"><td>{E(name)}</td><td class=\"n\">{E(Value(f.Value, f.Unit))}</td>");
            h.Append($"<td class=\"n\">{f.Numerator}{(f.Denominator is { } d ? " / " + d : "")}</td><td class=\"n\">{E(Value(f.Previous, f.Unit))}</td>");
            h.Append($"<td class=\"n\">{E(Change(f.Change, f.Unit))}</td><td class=\"how\">{E(Ui.Pick(f.HowZh, f.HowEn))}{(f.Source is null ? "" : E(Ui.Pick($"（{f.Source}口径）", $" ({f.Source})")))}</td></tr>");
        }
        h.Append("</tbody></table>");

        h.Append($"<h2>{E(Ui.Pick("二、受理趋势", "2. Requests over the period"))}</h2>");
        var max = Math.Max(1, r.Trend.Rows.Count == 0 ? 1 : r.Trend.Rows.Max(x => x.Count));
        h.Append("<div class=\"bars\" id=\"trend\">");
        foreach (var row in r.Trend.Rows)
            h.Append($"<div class=\"bar\" title=\"{E(row.Key)}: {row.Count}\" style=\"height:{(100.0 * row.Count / max).ToString("0.#", CultureInfo.InvariantCulture)}%\"></div>");
        h.Append("</div>");
        if (r.Trend.Rows.Count > 0)
            h.Append($"<div class=\"axis\"><span>{E(r.Trend.Rows[0].Key)}</span><span>{E(Ui.Pick($"最高 {max} 件", $"peak {max}"))}</span><span>{E(r.Trend.Rows[^1].Key)}</span></div>");

        var section = 3;
        foreach (var b in r.Breakdowns)
        {
            var (zh, en) = b.Id switch
            {
                "requestType" => ("按诉求类型", "By request type"), "source" => ("按渠道", "By channel"), "category" => ("按案件类别（前 15）", "By category (top 15)"),
                "street" => ("按街道", "By street"), _ => ("按承办部门（派遣数）", "By department (cases dispatched)"),
            };
            h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、{zh}", $"{section - 1}. {en}"))}</h2>");
            Table(h, "breakdown-" + b.Id, [Ui.Pick("项目", "Item"), Ui.Pick("件数", "Cases")], b.Rows.Select(x => new[] { x.Name, x.Count.ToString(CultureInfo.InvariantCulture) }));
        }

        h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、三率（按承办单位）", $"{section - 1}. Three rates (by unit)"))}</h2>");
        h.Append($"<p class=\"how\">{E(Ui.Pick(r.ThreeRatesHowZh, r.ThreeRatesHowEn))}</p>");
        var totalRow = new[] { Ui.Pick("全平台", "Whole platform"), "", r.ThreeRates.FollowedUp.ToString(CultureInfo.InvariantCulture), Value(r.ThreeRates.Response, "percent"),
            Value(r.ThreeRates.Resolution, "percent"), Value(r.ThreeRates.Satisfaction, "percent"), Value(r.ThreeRates.Composite, "count") };
        Table(h, "three-rates", [Ui.Pick("承办单位", "Unit"), Ui.Pick("排名", "Rank"), Ui.Pick("回访数", "Follow-ups"), Ui.Pick("响应率", "Response"), Ui.Pick("解决率", "Resolution"), Ui.Pick("满意率", "Satisfaction"), Ui.Pick("综合得分", "Composite")],
            r.ThreeRateRanking.Select(x => new[] { x.Name, x.Rank?.ToString(CultureInfo.InvariantCulture) ?? "—", x.FollowedUp.ToString(CultureInfo.InvariantCulture),
                Value(x.Response, "percent"), Value(x.Resolution, "percent"), Value(x.Satisfaction, "percent"), Value(x.Composite, "count") }).Append(totalRow));

        h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、部门考核排名", $"{section - 1}. Department ranking"))}</h2>");
        h.Append($"<p class=\"how\">{E(Ui.Pick(r.AssessmentHowZh, r.AssessmentHowEn))}</p>");
        Table(h, "departments", [Ui.Pick("排名", "Rank"), Ui.Pick("部门", "Department"), Ui.Pick("得分", "Score"), Ui.Pick("等级", "Grade"), Ui.Pick("上期", "Previous")],
            r.Departments.Select(x => new[] { x.Rank?.ToString(CultureInfo.InvariantCulture) ?? "—", x.Name, Value(x.Score, "count"), x.Grade ?? "—", Value(x.PreviousScore, "count") }));

        foreach (var people in r.People ?? [])
        {
            h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、{people.NameZh}排名", $"{section - 1}. {people.NameEn} ranking"))}</h2>");
            h.Append($"<p class=\"how\">{E(Ui.Pick(people.HowZh, people.HowEn))}</p>");
            var termNames = people.Rows.FirstOrDefault()?.Terms.Select(t => Ui.Pick(t.NameZh, t.NameEn)).ToArray() ?? [];
            Table(h, "people-" + people.Subject, [Ui.Pick("排名", "Rank"), Ui.Pick("姓名 / 单位", "Name"), .. termNames, Ui.Pick("得分", "Score"), Ui.Pick("等级", "Grade"), Ui.Pick("上期", "Previous")],
                people.Rows.Select(x => new[] { x.Rank?.ToString(CultureInfo.InvariantCulture) ?? "—", x.Name }
                    .Concat(x.Terms.Select(t => t.VolumeScore is not null ? t.Numerator.ToString(CultureInfo.InvariantCulture) : Value(t.Rate, "percent")))
                    .Concat([Value(x.Score, "count"), x.Grade ?? "—", Value(x.PreviousScore, "count")]).ToArray()));
        }

        h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、每月一题：反复出现的问题", $"{section - 1}. Recurring problems"))}</h2>");
        Table(h, "topics", [Ui.Pick("类别", "Category"), Ui.Pick("地点", "Place"), Ui.Pick("件数", "Cases"), Ui.Pick("案件", "Case numbers")],
            r.Topics.Select(t => new[] { t.CategoryName, t.PlaceName, t.Cases.ToString(CultureInfo.InvariantCulture), string.Join(" ", t.Items.Take(10).Select(i => i.Number)) + (t.Items.Count > 10 ? " …" : "") }));

        h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、超期案件", $"{section - 1}. Overdue cases"))}</h2>");
        CaseTable(h, "overdue", r.Overdue);
        h.Append($"<h2>{E(Ui.Pick($"{Numeral(section++)}、重复诉求", $"{section - 1}. Repeat requests"))}</h2>");
        CaseTable(h, "repeats", r.Repeats);
        if (r.Corrections is { Count: > 0 } corrections)
        {
            h.Append($"<h2 id=\"corrections-heading\">{E(Ui.Pick($"{Numeral(section++)}、对以前各期的更正", $"{section - 1}. Corrections to earlier periods"))}</h2>");
            h.Append($"<p class=\"how\">{E(Ui.Pick("以前各期的报表按其截止时间归档、不再改变；截止后才记录的事件在此列出，并列出因此变化的指标（已发布值 → 现值）。",
                "Earlier reports stay as archived at their cut-off; events recorded after it are listed here with the figures they changed (published → now)."))}</p>");
            foreach (var c in corrections)
            {
                h.Append($"<h3>{E(Ui.Pick($"{c.PeriodKey}（截止 {Local(c.CutOff)}）", $"{c.PeriodKey} (cut-off {Local(c.CutOff)})"))}</h3>");
                Table(h, "corrections-" + c.PeriodKey, [Ui.Pick("指标", "Figure"), Ui.Pick("已发布", "Published"), Ui.Pick("分子 / 分母", "Numerator / denominator"), Ui.Pick("更正后", "Corrected"), Ui.Pick("分子 / 分母", "Numerator / denominator")],
                    c.Figures.Select(f => new[] { Ui.Pick(f.NameZh, f.NameEn), Value(f.Published, f.Unit), $"{f.PublishedNumerator}{(f.PublishedDenominator is { } pd ? " / " + pd : "")}",
                        Value(f.Corrected, f.Unit), $"{f.Numerator}{(f.Denominator is { } d ? " / " + d : "")}" }));
                Table(h, "late-events-" + c.PeriodKey, [Ui.Pick("案件编号", "Case"), Ui.Pick("事件", "Event"), Ui.Pick("时间", "At")],
                    c.Events.Select(e => new[] { e.Number, Labels.Action(e.Action), Local(e.At) }));
            }
        }
        h.Append("</article>");
        return h.ToString();
    }

    static string Local(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    static string Numeral(int n) => n switch { 1 => "一", 2 => "二", 3 => "三", 4 => "四", 5 => "五", 6 => "六", 7 => "七", 8 => "八", 9 => "九", 10 => "十", 11 => "十一", 12 => "十二", _ => n.ToString(CultureInfo.InvariantCulture) };

    static void CaseTable(StringBuilder h, string id, IReadOnlyList<ReportCase> cases)
    {
        if (cases.Count == 0)
        {
            h.Append($"<p class=\"how\" id=\"{id}\">{E(Ui.Pick("无。", "None."))}</p>");
            return;
        }
        Table(h, id, [Ui.Pick("案件编号", "Case"), Ui.Pick("类别", "Category"), Ui.Pick("街道", "Street"), Ui.Pick("承办部门", "Department"), Ui.Pick("状态", "State")],
            cases.Select(c => new[] { c.Number, c.Category ?? "—", c.Street ?? "—", c.Department ?? "—", Labels.State(c.State) }));
    }

    static void Table(StringBuilder h, string id, string[] heads, IEnumerable<string[]> rows)
    {
        h.Append($"<table id=\"{E(id)}\"><thead><tr>");
        foreach (var th in heads) h.Append($"<th>{E(th)}</th>");
        h.Append("</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            h.Append("<tr>");
            foreach (var cell in row)
                h.Append(cell.Length is > 0 and < 16 && (char.IsDigit(cell[0]) || cell[0] == '+') ? $"<td class=\"n\">{E(cell)}</td>" : $"<td>{E(cell)}</td>");
            h.Append("</tr>");
        }
        if (!any) h.Append($"<tr><td colspan=\"{heads.Length}\">{E(Ui.Pick("无。", "None."))}</td></tr>");
        h.Append("</tbody></table>");
    }
}

/// <summary>The report as a workbook (MiniExcel): one sheet per table of the report, headings in the request's language.</summary>
public static class ReportXlsx
{
    public static byte[] Write(ReportContent r)
    {
        Dictionary<string, object?> Row(params (string Zh, string En, object? Value)[] cells)
        {
            var d = new Dictionary<string, object?>();
            foreach (var (zh, en, value) in cells) d[Ui.Pick(zh, en)] = value;
            return d;
        }
        var sheets = new Dictionary<string, object>
        {
            [Ui.Pick("主要指标", "Figures")] = r.Figures.Select(f => Row(("指标", "Figure", Ui.Pick(f.NameZh, f.NameEn)), ("编号", "Id", f.Id),
                ("本期", "This period", f.Value), ("单位", "Unit", f.Unit == "percent" ? "%" : Ui.Pick("件", "cases")), ("分子", "Numerator", f.Numerator),
                ("分母", "Denominator", f.Denominator), ("上期", "Previous", f.Previous), ("变化", "Change", f.Change), ("如何计算", "How", Ui.Pick(f.HowZh, f.HowEn)))).ToList(),
            [Ui.Pick("受理趋势", "Trend")] = r.Trend.Rows.Select(x => Row(("日期", "Date", x.Key), ("受理数", "Requests", x.Count))).ToList(),
        };
        foreach (var b in r.Breakdowns)
        {
            var name = b.Id switch
            {
                "requestType" => Ui.Pick("按诉求类型", "By type"), "source" => Ui.Pick("按渠道", "By channel"), "category" => Ui.Pick("按类别", "By category"),
                "street" => Ui.Pick("按街道", "By street"), _ => Ui.Pick("按部门", "By department"),
            };
            sheets[name] = b.Rows.Select(x => Row(("项目", "Item", x.Name), ("代码", "Code", x.Key), ("件数", "Cases", x.Count))).ToList();
        }
        sheets[Ui.Pick("三率", "Three rates")] = r.ThreeRateRanking.Append(r.ThreeRates with { Name = Ui.Pick("全平台", "Whole platform") })
            .Select(x => Row(("排名", "Rank", x.Rank), ("承办单位", "Unit", x.Name), ("回访数", "Follow-ups", x.FollowedUp), ("有效回访", "Reached", x.Valid),
                ("响应率", "Response", x.Response), ("解决率", "Resolution", x.Resolution), ("满意率", "Satisfaction", x.Satisfaction), ("综合得分", "Composite", x.Composite))).ToList();
        sheets[Ui.Pick("部门考核", "Departments")] = r.Departments.Select(x => Row(("排名", "Rank", x.Rank), ("部门", "Department", x.Name), ("得分", "Score", x.Score),
            ("等级", "Grade", x.Grade), ("上期", "Previous", x.PreviousScore))).ToList();
        foreach (var people in r.People ?? [])
            sheets[Ui.Pick(people.NameZh, people.NameEn)] = people.Rows.Count == 0 ? [Row(("姓名 / 单位", "Name", Ui.Pick("无", "None")))]
                : people.Rows.Select(x =>
                {
                    var row = Row(("排名", "Rank", x.Rank), ("姓名 / 单位", "Name", x.Name), ("得分", "Score", x.Score), ("等级", "Grade", x.Grade), ("上期", "Previous", x.PreviousScore));
                    foreach (var t in x.Terms) row[Ui.Pick(t.NameZh, t.NameEn)] = t.VolumeScore is not null ? t.Numerator : t.Rate;
                    return row;
                }).ToList();
        sheets[Ui.Pick("超期案件", "Overdue")] = CaseRows(r.Overdue);
        sheets[Ui.Pick("重复诉求", "Repeats")] = CaseRows(r.Repeats);
        if (r.Corrections is { Count: > 0 } corrections)
            sheets[Ui.Pick("以前各期更正", "Corrections")] = corrections.SelectMany(c =>
                c.Figures.Select(f => Row(("统计期", "Period", c.PeriodKey), ("指标", "Figure", Ui.Pick(f.NameZh, f.NameEn)), ("已发布", "Published", f.Published),
                        ("更正后", "Corrected", f.Corrected), ("案件编号", "Case", null), ("事件", "Event", null)))
                    .Concat(c.Events.Select(e => Row(("统计期", "Period", c.PeriodKey), ("指标", "Figure", null), ("已发布", "Published", null), ("更正后", "Corrected", null),
                        ("案件编号", "Case", e.Number), ("事件", "Event", Labels.Action(e.Action)))))).ToList();
        using var stream = new MemoryStream();
        stream.SaveAs(sheets, excelType: ExcelType.XLSX);
        return stream.ToArray();

        List<Dictionary<string, object?>> CaseRows(IReadOnlyList<ReportCase> cases) => cases.Count == 0
            ? [Row(("案件编号", "Case", Ui.Pick("无", "None")))]
            : cases.Select(c => Row(("案件编号", "Case", c.Number), ("类别", "Category", c.Category), ("街道", "Street", c.Street), ("承办部门", "Department", c.Department),
                ("状态", "State", Labels.State(c.State)))).ToList();
    }
}
