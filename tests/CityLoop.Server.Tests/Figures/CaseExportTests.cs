using System.Net;
using CityLoop.Server.Tests.Infrastructure;
using MiniExcelLibs;

namespace CityLoop.Server.Tests.Figures;

/// <summary>Case-list exports: every matching case (no row cap), the reader's masking, deadlines and verdicts, audited.</summary>
public abstract class CaseExportTests<TApp>(TApp app) where TApp : AppFixture
{
    [Fact]
    public async Task Export_GivesEveryMatchingCase_AsCsvAndWorkbook_MaskedForTheReader_AndIsAudited()
    {
        var marker = "导出核对" + Guid.NewGuid().ToString("N")[..6];
        var agent = await app.As("agent");
        var numbers = new List<string>();
        for (var i = 0; i < 25; i++)
            numbers.Add((await Api.CreateCase(agent, Api.Report(description: $"{marker} 第{i}件 井盖缺失", phone: "13812345678"))).Str("number"));

        var dispatcher = await app.As("dispatcher");
        var csv = await dispatcher.GetAsync($"/api/v1/cases/export?q={Uri.EscapeDataString(marker)}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("attachment", csv.Content.Headers.ContentDisposition?.DispositionType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("number,state,source,request_type,category,description,address,reporter,phone,lead_department,created_at,closed_at,category_name,street,community,lead_department_name,phase_due_at,handling_due_at,overdue,on_time", lines[0]);
        // Every case, oldest first — more than one page of the list (20).
        Assert.Equal(numbers, lines.Skip(1).Select(l => l.Split(',')[0]).ToList());
        Assert.All(lines.Skip(1), l => Assert.Contains(",138****5678,", l));
        Assert.DoesNotContain("13812345678", string.Join('\n', lines));

        var xlsx = await dispatcher.GetAsync($"/api/v1/cases/export?format=xlsx&q={Uri.EscapeDataString(marker)}");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
        var rows = MiniExcel.Query(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync()), useHeaderRow: true, sheetName: "案件")
            .Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(numbers, rows.Select(r => r["案件编号"]?.ToString() ?? "").ToList());
        Assert.All(rows, r => Assert.Equal("138****5678", r["联系电话"]?.ToString()));
        Assert.All(rows, r => Assert.Equal("否", r["是否超期"]?.ToString()));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r["当前环节时限"]?.ToString())));

        // The agent, who talks to the caller, exports the number in clear; nothing matches → the headings alone.
        var clear = await (await app.As("agent")).GetStringAsync($"/api/v1/cases/export?q={Uri.EscapeDataString(marker)}");
        Assert.Contains(",13812345678,", clear);
        var none = await dispatcher.GetAsync("/api/v1/cases/export?format=xlsx&q=" + Uri.EscapeDataString("不存在的导出内容" + marker));
        var empty = MiniExcel.Query(new MemoryStream(await none.Content.ReadAsByteArrayAsync()), sheetName: "案件").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal("案件编号", Assert.Single(empty)["A"]?.ToString());

        await Api.Problem(await dispatcher.GetAsync("/api/v1/cases/export?format=pdf"), HttpStatusCode.UnprocessableEntity);
        var audit = await Api.Get(await app.As("auditor"), "/api/v1/admin/audit?action=export&pageSize=500");
        var details = audit.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("detail").GetString() ?? "").ToList();
        Assert.Contains(details, d => d.StartsWith("25 rows, csv", StringComparison.Ordinal));
        Assert.Contains(details, d => d.StartsWith("25 rows, xlsx", StringComparison.Ordinal));
    }
}

[Collection("sqlite")]
public sealed class CaseExportTests_Sqlite(SqliteApp app) : CaseExportTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class CaseExportTests_Postgres(PostgresApp app) : CaseExportTests<PostgresApp>(app), IClassFixture<PostgresApp>;
