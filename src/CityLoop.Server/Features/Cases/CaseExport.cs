using System.Globalization;
using System.Text;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MiniExcelLibs;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// Case-list exports of any size (怀化 had 154,337 reports in a year): the list's filter and the reader's own
/// visibility and masking, every matching case, oldest first. CSV streams straight to the response as rows are read;
/// the workbook is written row by row to a temporary file (a zip cannot be sent before it is complete) and then sent,
/// so memory stays flat either way. Deadlines are local times with the on-time verdict; formulas are neutralised; the
/// export is audited with its row count (and marked aborted if the client went away).
/// </summary>
public static class CaseExport
{
    /// <summary>The columns, with the CSV's machine names first (kept from the first version) and the workbook's headings.</summary>
    static readonly (string Key, string Zh, string En)[] Columns =
    [
        ("number", "案件编号", "Number"), ("state", "状态", "State"), ("source", "来源渠道", "Channel"), ("request_type", "诉求类型", "Request type"),
        ("category", "类别代码", "Category code"), ("description", "问题描述", "Description"), ("address", "地址", "Address"),
        ("reporter", "反映人", "Reporter"), ("phone", "联系电话", "Phone"), ("lead_department", "主办部门代码", "Lead department code"),
        ("created_at", "受理时间", "Received"), ("closed_at", "结案时间", "Closed"),
        ("category_name", "类别", "Category"), ("street", "街道", "Street"), ("community", "社区", "Community"),
        ("lead_department_name", "主办部门", "Lead department"), ("phase_due_at", "当前环节时限", "Current phase due"),
        ("handling_due_at", "处置时限", "Handling due"), ("overdue", "是否超期", "Overdue"), ("on_time", "按期办结", "Closed on time"),
    ];

    public static async Task Write(HttpContext http, CurrentActor current, CaseQueries queries, CityLoopDb db, Audit audit, ReferenceCache reference,
        IOptions<PlatformOptions> platform, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!CaseQueries.CanReadCases(actor)) throw new CaseForbiddenException("Your roles do not give access to cases.");
        var format = (http.Request.Query["format"].FirstOrDefault() ?? "csv").Trim().ToLowerInvariant();
        if (format is not ("csv" or "xlsx")) throw CaseValidationException.Single("format", "An export is csv or xlsx.");
        var filter = CaseEndpoints.ParseFilter(http.Request.Query);
        var rows = queries.Filter(queries.Visible(actor, db.Cases.AsNoTracking()), filter).OrderBy(c => c.CreatedAt).ThenBy(c => c.Number);
        var names = await db.DepartmentNamesAsync(ct);
        var zone = platform.Value.Zone;
        var english = Ui.English;
        string? Local(DateTimeOffset? t) => t is { } v ? TimeZoneInfo.ConvertTime(v, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : null;
        string YesNo(bool? b) => b is null ? "" : b.Value ? (english ? "yes" : "是") : (english ? "no" : "否");
        string?[] Cells(Case c)
        {
            var r = CaseQueries.Reporter(c, actor);
            var catalogue = reference.Catalogue.For(c.CatalogueVersion) ?? reference.Catalogue.Current;
            var closed = c.State == CaseState.Closed;
            return
            [
                c.Number, c.State.Api(), Kebab.From(c.Source.ToString()), Kebab.From(c.RequestType.ToString()), c.CategoryCode, c.Description,
                c.Address, r.Name, r.Phone, c.LeadDepartmentCode, c.CreatedAt.ToString("O"), c.ClosedAt?.ToString("O"),
                c.CategoryCode is { } k ? catalogue?.Find(k)?.Name : null,
                c.StreetCode is { } s ? reference.Geo.Divisions.Find(s)?.Name ?? s : null,
                c.CommunityCode is { } m ? reference.Geo.Divisions.Find(m)?.Name ?? m : null,
                c.LeadDepartmentCode is { } d ? names.GetValueOrDefault(d) ?? d : null,
                Local(c.CurrentDueAt), Local(c.HandlingDueAt), YesNo(c.IsOverdue), closed ? YesNo(!c.IsOverdue) : "",
            ];
        }

        var stamp = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        var fileName = $"cases-{stamp}.{format}";
        var count = 0;
        var completed = false;
        try
        {
            if (format == "csv")
            {
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName, FileName = fileName }.ToString();
                await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024);
                await writer.WriteAsync(string.Join(',', Columns.Select(c => c.Key)) + "\n");
                await foreach (var c in rows.AsAsyncEnumerable().WithCancellation(ct))
                {
                    await writer.WriteAsync(string.Join(',', Cells(c).Select(CaseEndpoints.Csv)) + "\n");
                    if (++count % 1000 == 0) await writer.FlushAsync(ct);
                }
                await writer.FlushAsync(ct);
            }
            else
            {
                var path = Path.Combine(Path.GetTempPath(), $"cityloop-export-{Guid.NewGuid():N}.xlsx");
                await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
                IEnumerable<IDictionary<string, object?>> Sheet()
                {
                    foreach (var c in rows.AsEnumerable())
                    {
                        ct.ThrowIfCancellationRequested();
                        count++;
                        var cells = Cells(c).Select(CaseEndpoints.Formula).ToArray();
                        var row = new Dictionary<string, object?>(Columns.Length);
                        for (var i = 0; i < Columns.Length; i++) row[english ? Columns[i].En : Columns[i].Zh] = cells[i];
                        yield return row;
                    }
                }
                // MiniExcel pulls the rows one at a time; the synchronous query runs off the request's thread.
                await Task.Run(() => file.SaveAs(Sheet(), sheetName: english ? "Cases" : "案件", excelType: ExcelType.XLSX), ct);
                if (count == 0)
                {
                    // MiniExcel writes no header row for an empty sequence: give the reader the headings anyway.
                    file.SetLength(0);
                    var header = new Dictionary<string, object?>();
                    foreach (var col in Columns) header[col.Key] = english ? col.En : col.Zh;
                    file.SaveAs(new[] { header }, printHeader: false, sheetName: english ? "Cases" : "案件", excelType: ExcelType.XLSX);
                }
                file.Position = 0;
                http.Response.ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName, FileName = fileName }.ToString();
                http.Response.ContentLength = file.Length;
                await file.CopyToAsync(http.Response.Body, ct);
            }
            completed = true;
        }
        finally
        {
            await audit.WriteAsync(actor.Id, actor.Name, "export", "cases", result: completed ? "success" : "failure",
                detail: $"{count} rows, {format}{(completed ? "" : ", aborted")}; {Privacy.AuditText.RedactPhones(http.Request.QueryString.ToString())}");
        }
    }
}
