using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CityLoop.Server.Tests.FollowThrough;
using CityLoop.Server.Tests.Infrastructure;
using MiniExcelLibs;

namespace CityLoop.Server.Tests.Figures;

/// <summary>
/// The periodic reports on both databases: built from the indicators, archived at their cut-off and unchanged by
/// later events, and read back from the PDF's text and the re-read workbook.
/// </summary>
public abstract class ReportTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset March(int day, int hour) => new(2026, 3, day, hour, 0, 0, TimeSpan.FromHours(8));
    static readonly DateTimeOffset April2 = new(2026, 4, 2, 9, 0, 0, TimeSpan.FromHours(8));

    static readonly SemaphoreSlim Once = new(1, 1);
    static readonly Dictionary<string, Guid> Open = [];

    /// <summary>March 2026: one case through the loop, one still with the department, one enquiry answered at intake; then
    /// the monthly report is archived on 2 April.</summary>
    async Task<Guid> ArchivedMarchAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (Open.TryGetValue(app.Provider + app.ConnectionString, out var id)) return id;
            var closed = await FollowThroughSteps.DispatchedAt(app, March(3, 9), Api.Report(phone: null));
            await FollowThroughSteps.Closed(app, closed);
            var open = await FollowThroughSteps.DispatchedAt(app, March(4, 9), Api.Report(phone: null));
            app.Clock.Set(March(5, 9));
            var enquiry = await Api.CreateCase(await app.As("agent"), Api.Report("咨询停水时间", "enquiry", phone: null));
            await Api.ActOk(await app.As("agent"), enquiry.Id(), "answer-directly", new { answer = "今晚 8 时恢复" });
            app.Clock.Set(April2);
            var report = await Api.Get(await app.As("supervisor"), "/api/v1/reports/monthly?period=2026-03");
            Assert.False(report.GetProperty("provisional").GetBoolean());
            Open[app.Provider + app.ConnectionString] = open;
            return open;
        }
        finally { Once.Release(); }
    }

    static JsonElement FigureOf(JsonElement report, string id) => report.GetProperty("figures").EnumerateArray().Single(f => f.Str("id") == id);

    [Fact]
    public async Task TheMonthlyReport_HoldsTheIndicatorsFigures_AndStaysAsArchivedAfterLaterEvents()
    {
        var open = await ArchivedMarchAsync();
        var supervisor = await app.As("supervisor");
        var report = await Api.Get(supervisor, "/api/v1/reports/monthly?period=2026-03");
        Assert.Equal(("monthly", "2026-03", "2026-02"), (report.Str("kind"), report.Str("periodKey"), report.Str("previousKey")));
        var completion = FigureOf(report, "completion-rate");
        Assert.Equal((2L, 3L, 66.67m), (completion.GetProperty("numerator").GetInt64(), completion.GetProperty("denominator").GetInt64(),
            completion.GetProperty("value").GetDecimal()));
        Assert.Equal(3, FigureOf(report, "reported").GetProperty("cases").GetArrayLength());
        Assert.False(string.IsNullOrWhiteSpace(completion.Str("howZh")));
        var byType = report.GetProperty("breakdowns").EnumerateArray().Single(b => b.Str("id") == "requestType").GetProperty("rows").EnumerateArray()
            .ToDictionary(r => r.Str("key"), r => r.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["complaint"] = 2, ["enquiry"] = 1 }, byType);
        Assert.Equal(31, report.GetProperty("trend").GetProperty("rows").GetArrayLength());

        // The open case closes in April: the live figure for March changes, the archived report does not.
        await FollowThroughSteps.Closed(app, open);
        var live = await Api.Get(supervisor, "/api/v1/indicators/completion-rate?from=2026-03-01&to=2026-03-31&platform=451202");
        Assert.Equal(100.00m, live.GetProperty("value").GetDecimal());
        var again = await Api.Get(supervisor, "/api/v1/reports/monthly?period=2026-03");
        Assert.Equal(66.67m, FigureOf(again, "completion-rate").GetProperty("value").GetDecimal());
        Assert.Equal(report.GetProperty("cutOff").GetDateTimeOffset(), again.GetProperty("cutOff").GetDateTimeOffset());
        Assert.Equal(April2, report.GetProperty("cutOff").GetDateTimeOffset());

        // Without a period: the latest complete month; the archive lists it.
        Assert.Equal("2026-03", (await Api.Get(supervisor, "/api/v1/reports/monthly")).Str("periodKey"));
        var archive = (await Api.Get(supervisor, "/api/v1/reports")).EnumerateArray().ToList();
        Assert.Contains(archive, a => a.Str("kind") == "monthly" && a.Str("period") == "2026-03");
    }

    [Fact]
    public async Task APeriodStillRunning_IsProvisional_AndNotArchived()
    {
        await ArchivedMarchAsync();
        var supervisor = await app.As("supervisor");
        var current = await Api.Get(supervisor, "/api/v1/reports/half-monthly?period=2026-04-H1");
        Assert.True(current.GetProperty("provisional").GetBoolean());
        Assert.DoesNotContain((await Api.Get(supervisor, "/api/v1/reports")).EnumerateArray(), a => a.Str("period") == "2026-04-H1");
        var weekly = await Api.Get(supervisor, "/api/v1/reports/weekly?period=2026-W10");
        Assert.Equal(("2026-03-02", "2026-03-08"), (weekly.Str("firstDay"), weekly.Str("lastDay")));
        Assert.Equal(3, FigureOf(weekly, "reported").GetProperty("numerator").GetInt64());
        await Api.Problem(await supervisor.GetAsync("/api/v1/reports/daily"), HttpStatusCode.NotFound);
        await Api.Problem(await supervisor.GetAsync("/api/v1/reports/monthly?period=2026-13"), HttpStatusCode.UnprocessableEntity);
        await Api.Problem(await (await app.As("handler")).GetAsync("/api/v1/reports/monthly"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task TheWorkbook_ReadBack_HoldsTheHeadingsAndFigures()
    {
        await ArchivedMarchAsync();
        var response = await (await app.As("supervisor")).GetAsync("/api/v1/reports/monthly?period=2026-03&format=xlsx");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var sheets = MiniExcel.GetSheetNames(new MemoryStream(bytes));
        Assert.Contains("主要指标", sheets);
        var rows = MiniExcel.Query(new MemoryStream(bytes), useHeaderRow: true, sheetName: "主要指标").Cast<IDictionary<string, object>>().ToList();
        var completion = rows.Single(r => (string)r["编号"] == "completion-rate");
        Assert.Equal("办结率", completion["指标"]);
        Assert.Equal(66.67m, Convert.ToDecimal(completion["本期"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3m, Convert.ToDecimal(completion["分母"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("三率", sheets);
        Assert.Contains("部门考核", sheets);
    }

    [Fact]
    public async Task ThePdf_PrintedByChromium_HoldsTheHeadingsAndFiguresInChinese()
    {
        await ArchivedMarchAsync();
        var response = await (await app.As("supervisor")).GetAsync("/api/v1/reports/monthly?period=2026-03&format=pdf");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        var file = Path.Combine(Path.GetTempPath(), $"cityloop-report-test-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(file, bytes);
        try
        {
            var text = await PdfText(file);
            Assert.Contains("城市管理运行月报（2026-03）", text);
            Assert.Contains("主要指标", text);
            Assert.Contains("办结率", text);
            Assert.Contains("66.67%", text);
            Assert.Contains("部门考核排名", text);
        }
        finally { File.Delete(file); }
    }

    /// <summary>The PDF's text by Debian's pdftotext (poppler-utils, installed by scripts/test.sh).</summary>
    static async Task<string> PdfText(string pdf)
    {
        var start = new ProcessStartInfo("pdftotext") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-enc");
        start.ArgumentList.Add("UTF-8");
        start.ArgumentList.Add(pdf);
        start.ArgumentList.Add("-");
        using var p = Process.Start(start)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        return text;
    }
}

[Collection("sqlite")]
public sealed class ReportTests_Sqlite(SqliteApp app) : ReportTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ReportTests_Postgres(PostgresApp app) : ReportTests<PostgresApp>(app), IClassFixture<PostgresApp>;
