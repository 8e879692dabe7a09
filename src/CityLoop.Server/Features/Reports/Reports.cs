using System.Diagnostics;
using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Indicators;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Reports;

/// <summary>Report settings (section <c>Reports</c>).</summary>
public sealed class ReportOptions
{
    /// <summary>The headline figures, by catalogue id, in the order the report shows them.</summary>
    public List<string> Figures { get; set; } = [];
    public static readonly string[] DefaultFigures =
    [
        "reported", "acceptance-rate", "completion-rate", "completion-rate-own", "filed", "filing-rate", "dispatched", "disposal-rate",
        "disposed-on-time-rate", "archive-rate", "archived-on-time-rate", "overdue", "rework-rate", "follow-up-rate", "satisfaction-rate", "repeat-rate",
    ];
    /// <summary>Headless Chromium, which prints the report's HTML to PDF.</summary>
    public string Chromium { get; set; } = "/usr/bin/chromium";
    public int PdfTimeoutSeconds { get; set; } = 120;
    /// <summary>How many case numbers a figure's archived drill-down keeps.</summary>
    public int DrillDownLimit { get; set; } = 2000;

    public IReadOnlyList<string> Ids => Figures.Count > 0 ? Figures : DefaultFigures;
}

/// <summary>A report as archived: the figures as they stood at its cut-off. Files are renderings of this content.</summary>
public sealed class ArchivedReport
{
    public Guid Id { get; set; }
    public string PlatformCode { get; set; } = "";
    public string Kind { get; set; } = "";
    public string PeriodKey { get; set; } = "";
    public DateTimeOffset PeriodFrom { get; set; }
    public DateTimeOffset PeriodTo { get; set; }
    public DateTimeOffset CutOff { get; set; }
    public string GeneratedBy { get; set; } = "";
    public string Content { get; set; } = "";
    /// <summary>The last event in the log at the cut-off: later events are carried into the next report as corrections.</summary>
    public long? LastEventId { get; set; }
}

sealed class ArchivedReportConfiguration : IEntityTypeConfiguration<ArchivedReport>
{
    public void Configure(EntityTypeBuilder<ArchivedReport> e)
    {
        e.ToTable("archived_reports");
        e.HasKey(x => x.Id);
        e.Property(x => x.PlatformCode).HasMaxLength(32);
        e.Property(x => x.Kind).HasMaxLength(16);
        e.Property(x => x.PeriodKey).HasMaxLength(16);
        e.HasIndex(x => new { x.PlatformCode, x.Kind, x.PeriodKey }).IsUnique();
    }
}

public sealed record ReportFigure(string Id, string NameZh, string NameEn, string Unit, decimal? Value, long Numerator, long? Denominator,
    decimal? Previous, decimal? Change, string HowZh, string HowEn, string? Source, IReadOnlyList<string> Cases, bool CasesTruncated);

public sealed record ReportRow(string? Key, string Name, long Count);

public sealed record ReportBreakdown(string Id, string Indicator, IReadOnlyList<ReportRow> Rows);

public sealed record ReportCase(Guid Id, string Number, string? Category, string? Street, string? Department, string State);

public sealed record ReportContent(string Kind, string PeriodKey, DateOnly FirstDay, DateOnly LastDay, string PreviousKey, string Platform,
    DateTimeOffset CutOff, bool Provisional, IReadOnlyList<ReportFigure> Figures, ReportBreakdown Trend, IReadOnlyList<ReportBreakdown> Breakdowns,
    ThreeRateRowDto ThreeRates, IReadOnlyList<ThreeRateRowDto> ThreeRateRanking, string ThreeRatesHowZh, string ThreeRatesHowEn,
    IReadOnlyList<AssessmentRowDto> Departments, string AssessmentHowZh, string AssessmentHowEn, IReadOnlyList<TopicDto> Topics,
    IReadOnlyList<ReportCase> Overdue, IReadOnlyList<ReportCase> Repeats, IReadOnlyList<ReportPeople>? People = null,
    IReadOnlyList<ReportCorrection>? Corrections = null, string? PlatformName = null);

/// <summary>The assessment of one kind of person (inspectors, intake, shift leaders, dispatchers, companies) in a report.</summary>
public sealed record ReportPeople(string Subject, string NameZh, string NameEn, string HowZh, string HowEn, IReadOnlyList<AssessmentRowDto> Rows);

/// <summary>A figure of an earlier archived report as published and as it stands at this report's cut-off.</summary>
public sealed record ReportCorrectedFigure(string Id, string NameZh, string NameEn, string Unit, decimal? Published, long PublishedNumerator,
    long? PublishedDenominator, decimal? Corrected, long Numerator, long? Denominator);

/// <summary>An event recorded after an earlier report's cut-off on a case of that report's period.</summary>
public sealed record ReportLateEvent(Guid CaseId, string Number, string Action, DateTimeOffset At);

/// <summary>
/// Corrections to an earlier period: the events recorded after its report's cut-off (and after the last report that
/// carried corrections) on cases of its period, and its headline figures that differ now from the published ones.
/// The earlier report itself stays as published.
/// </summary>
public sealed record ReportCorrection(string PeriodKey, DateTimeOffset CutOff, IReadOnlyList<ReportCorrectedFigure> Figures, IReadOnlyList<ReportLateEvent> Events);

public sealed record ArchivedReportDto(Guid Id, string Kind, string Period, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CutOff);

/// <summary>
/// The weekly, half-monthly, monthly and annual operations reports: built from the indicators, archived the first time a
/// complete period is asked for (its cut-off is that moment), and from then on read from the archive, so a published
/// report and its drill-down never change. A period still running gives a provisional report that is not archived.
/// </summary>
public sealed class ReportService(CityLoopDb db, IndicatorQueries indicators, RankingQueries rankings, ReferenceCache reference,
    IOptions<PlatformOptions> platform, IOptions<ReportOptions> options, TimeProvider clock)
{
    public static readonly IReadOnlyDictionary<string, PeriodKind> Kinds = new Dictionary<string, PeriodKind>
    {
        ["weekly"] = PeriodKind.Week, ["half-monthly"] = PeriodKind.HalfMonth, ["monthly"] = PeriodKind.Month, ["annual"] = PeriodKind.Year,
    };

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static PeriodKind KindOf(string kind) =>
        Kinds.TryGetValue(kind, out var k) ? k : throw new NotFoundException($"There is no '{kind}' report: weekly, half-monthly, monthly or annual.");

    public async Task<ReportContent> GetAsync(Actor actor, string kind, string? period, string? platformCode, CancellationToken ct)
    {
        // A sub-centre's staff read their own platform's reports (decision 026).
        var code = RankingQueries.Scope(actor, platformCode) ?? platform.Value.Code;
        var p = rankings.ResolvePeriod(Periods.Name(KindOf(kind)), period);
        // The printed report names its platform (decision 026, addendum 2); reports archived before kept the code only.
        var name = code == platform.Value.Code ? platform.Value.Name
            : await db.Set<PlatformRow>().AsNoTracking().Where(x => x.Code == code).Select(x => x.Name).FirstOrDefaultAsync(ct) ?? code;
        if (await FindAsync(code, kind, p.Key, ct) is { } archived) return archived with { PlatformName = archived.PlatformName ?? name };
        var now = clock.GetUtcNow();
        var range = rankings.Dto(p);
        // The log's watermark first: whatever is recorded after it belongs to the next report.
        var lastEvent = await db.Set<CaseEvent>().MaxAsync(e => (long?)e.Id, ct);
        var content = await BuildAsync(kind, p, code, now, ct);
        content = content with { Corrections = await CorrectionsAsync(kind, range, code, lastEvent, now, ct), PlatformName = name };
        if (range.To > now) return content with { Provisional = true };
        db.Add(new ArchivedReport
        {
            Id = Guid.NewGuid(), PlatformCode = code, Kind = kind, PeriodKey = p.Key, PeriodFrom = range.From, PeriodTo = range.To, CutOff = now,
            GeneratedBy = actor.Id, Content = JsonSerializer.Serialize(content, Json), LastEventId = lastEvent,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // Another request archived the same period first: its report is the published one.
            db.ChangeTracker.Clear();
            if (await FindAsync(code, kind, p.Key, ct) is { } first) return first with { PlatformName = first.PlatformName ?? name };
            throw;
        }
        return content;
    }

    async Task<ReportContent?> FindAsync(string code, string kind, string key, CancellationToken ct)
    {
        var stored = await db.Set<ArchivedReport>().AsNoTracking()
            .Where(r => r.PlatformCode == code && r.Kind == kind && r.PeriodKey == key).Select(r => r.Content).FirstOrDefaultAsync(ct);
        return stored is null ? null : JsonSerializer.Deserialize<ReportContent>(stored, Json);
    }

    /// <summary>
    /// The corrections this report carries: for each earlier archived report of the kind (the last twelve), the events
    /// recorded after its watermark — and after the watermark of the latest report before this one, which carried the
    /// ones before — up to this report's, on cases whose dates put them in that report's period; and the published
    /// headline figures that differ now. Reports archived before the watermark existed use their cut-off instant.
    /// </summary>
    async Task<IReadOnlyList<ReportCorrection>> CorrectionsAsync(string kind, PeriodDto range, string code, long? lastEvent, DateTimeOffset now,
        CancellationToken ct)
    {
        var earlier = await db.Set<ArchivedReport>().AsNoTracking()
            .Where(r => r.PlatformCode == code && r.Kind == kind && r.PeriodTo <= range.From)
            .OrderByDescending(r => r.PeriodFrom).Take(12).ToListAsync(ct);
        if (earlier.Count == 0 || lastEvent is null) return [];
        // The latest earlier report carried the corrections up to its own watermark.
        var carried = earlier[0];
        var result = new List<ReportCorrection>();
        foreach (var r in earlier.OrderBy(r => r.PeriodFrom))
        {
            var (sinceId, sinceAt) = r == carried ? (r.LastEventId, r.CutOff)
                : (Max(r.LastEventId, carried.LastEventId), r.CutOff > carried.CutOff ? r.CutOff : carried.CutOff);
            var (from, to) = (r.PeriodFrom, r.PeriodTo);
            var inPeriod = db.Set<CaseFact>().AsNoTracking().Where(f => f.PlatformCode == code && (
                (f.ReceivedAt >= from && f.ReceivedAt < to) || (f.FiledAt >= from && f.FiledAt < to) || (f.DispatchedAt >= from && f.DispatchedAt < to)
                || (f.HandlingDueAt >= from && f.HandlingDueAt < to) || (f.FinishedAt >= from && f.FinishedAt < to) || (f.ClosedAt >= from && f.ClosedAt < to)
                || (f.FollowedUpAt >= from && f.FollowedUpAt < to)));
            var events = db.Set<CaseEvent>().AsNoTracking().Where(e => e.PlatformCode == code && e.Id <= lastEvent);
            events = sinceId is { } id ? events.Where(e => e.Id > id) : events.Where(e => e.At > sinceAt);
            var late = await events.Join(inPeriod, e => e.CaseId, f => f.CaseId, (e, f) => new { e.Id, e.CaseId, f.CaseNumber, e.Action, e.At })
                .OrderBy(x => x.Id).Take(500).ToListAsync(ct);
            if (late.Count == 0) continue;
            var published = JsonSerializer.Deserialize<ReportContent>(r.Content, Json)!;
            var slice = new IndicatorSlice(published.FirstDay.ToString("yyyy-MM-dd"), published.LastDay.ToString("yyyy-MM-dd"), code, null, null, null, null, null);
            var figures = new List<ReportCorrectedFigure>();
            foreach (var f in published.Figures)
            {
                if (IndicatorCatalogue.Find(f.Id) is not { } def) continue;
                var now2 = await indicators.ValueAsync(def, slice, null, ct);
                if (now2.Value == f.Value && now2.Numerator == f.Numerator && now2.Denominator == f.Denominator) continue;
                figures.Add(new ReportCorrectedFigure(f.Id, f.NameZh, f.NameEn, f.Unit, f.Value, f.Numerator, f.Denominator, now2.Value, now2.Numerator, now2.Denominator));
            }
            result.Add(new ReportCorrection(r.PeriodKey, r.CutOff, figures,
                late.Select(x => new ReportLateEvent(x.CaseId, x.CaseNumber, x.Action, x.At)).ToList()));
        }
        return result;
    }

    static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    public async Task<IReadOnlyList<ArchivedReportDto>> ArchiveAsync(Actor actor, string? platformCode, CancellationToken ct)
    {
        var code = RankingQueries.Scope(actor, platformCode) ?? platform.Value.Code;
        var rows = await db.Set<ArchivedReport>().AsNoTracking().Where(r => r.PlatformCode == code)
            .Select(r => new ArchivedReportDto(r.Id, r.Kind, r.PeriodKey, r.PeriodFrom, r.PeriodTo, r.CutOff)).ToListAsync(ct);
        return rows.OrderByDescending(r => r.From).ThenBy(r => r.Kind, StringComparer.Ordinal).Take(200).ToList();
    }

    async Task<ReportContent> BuildAsync(string kind, Period p, string code, DateTimeOffset now, CancellationToken ct)
    {
        var slice = new IndicatorSlice(p.Start.ToString("yyyy-MM-dd"), p.End.AddDays(-1).ToString("yyyy-MM-dd"), code, null, null, null, null, null);
        var range = rankings.Dto(p);
        var limit = Math.Max(0, options.Value.DrillDownLimit);
        var figures = new List<ReportFigure>();
        foreach (var id in options.Value.Ids)
        {
            var def = IndicatorQueries.Find(id);
            var v = await indicators.ValueAsync(def, slice, null, ct, "previous");
            var before = v.Comparisons![0];
            var numbers = await indicators.Filter(slice, def.Date, range.From, range.To).Where(f => EF.Property<int>(f, def.Numerator) > 0)
                .OrderBy(f => f.CaseNumber).Select(f => f.CaseNumber).Take(limit + 1).ToListAsync(ct);
            figures.Add(new ReportFigure(def.Id, def.NameZh, def.NameEn, Kebab.From(def.Unit.ToString()), v.Value, v.Numerator, v.Denominator,
                before.Value, before.Change, def.HowZh, def.HowEn, def.Source, numbers.Take(limit).ToList(), numbers.Count > limit));
        }

        var departments = await db.DepartmentNamesAsync(ct);
        var catalogue = reference.Catalogue.Current;
        var divisions = reference.Geo.Divisions;
        string Name(string by, string? key) => key is null ? "—" : by switch
        {
            "department" => departments.GetValueOrDefault(key, key),
            "street" => divisions.Find(key)?.Name ?? key,
            "category" => catalogue?.Find(key)?.Name ?? key,
            "requestType" => Kebab.TryParse<RequestType>(key, out var t) ? Shared.Labels.RequestType(t) : key,
            "source" => Kebab.TryParse<CaseSource>(key, out var s) ? Shared.Labels.Source(s) : key,
            _ => key,
        };
        async Task<ReportBreakdown> Breakdown(string indicator, string by, int top = 0)
        {
            var v = await indicators.ValueAsync(IndicatorQueries.Find(indicator), slice, by, ct);
            var rows = v.Groups!.Select(g => new ReportRow(g.Key, Name(by, g.Key), g.Numerator));
            if (!Periods.Names.ContainsKey(by)) rows = rows.OrderByDescending(r => r.Count).ThenBy(r => r.Key, StringComparer.Ordinal);
            if (top > 0) rows = rows.Take(top);
            return new ReportBreakdown(by, indicator, rows.ToList());
        }
        var trend = await Breakdown("reported", p.Kind == PeriodKind.Year ? "month" : "day");
        var breakdowns = new List<ReportBreakdown>
        {
            await Breakdown("reported", "requestType"), await Breakdown("reported", "source"), await Breakdown("reported", "category", 15),
            await Breakdown("reported", "street"), await Breakdown("dispatched", "department"),
        };
        var three = await rankings.ThreeRatesAsync(p, "department", code, ct);
        var assessment = await rankings.AssessAsync("department", p, code, ct);
        var people = new List<ReportPeople>();
        foreach (var subject in AssessmentScheme.Subjects.Where(AssessmentScheme.IsPersonal))
        {
            var a = await rankings.AssessAsync(subject, p, code, ct);
            people.Add(new ReportPeople(subject, a.NameZh, a.NameEn, a.HowZh, a.HowEn, a.Rows.Where(r => r.Score is not null).ToList()));
        }
        var topics = await rankings.TopicsAsync(p, 5, code, ct);

        async Task<List<ReportCase>> Cases(IQueryable<CaseFact> rows) =>
            (await rows.OrderBy(f => f.CaseNumber).Take(200)
                .Select(f => new { f.CaseId, f.CaseNumber, f.CategoryCode, f.StreetCode, f.LeadDepartmentCode, f.State }).ToListAsync(ct))
            .Select(f => new ReportCase(f.CaseId, f.CaseNumber, f.CategoryCode is null ? null : Name("category", f.CategoryCode),
                f.StreetCode is null ? null : Name("street", f.StreetCode), f.LeadDepartmentCode is null ? null : Name("department", f.LeadDepartmentCode),
                Kebab.From(f.State.ToString()))).ToList();
        var received = indicators.Filter(slice, FactDate.Received, range.From, range.To);
        return new ReportContent(kind, p.Key, p.Start, p.End.AddDays(-1), p.Previous().Key, code, now, false, figures, trend, breakdowns,
            three.Total, three.Rows.Where(r => r.Rank is not null).ToList(), string.Join(" ", three.HowZh.Values), string.Join(" ", three.HowEn.Values),
            assessment.Rows.Where(r => r.Score is not null).ToList(), assessment.HowZh, assessment.HowEn, topics.Topics,
            await Cases(received.Where(f => f.Overdue == 1)), await Cases(received.Where(f => f.Repeat == 1)), people);
    }
}

/// <summary>Prints HTML to PDF with headless Chromium (RECIPES.md: the route that works here, no AGPL library).</summary>
public sealed class ReportPdf(IOptions<ReportOptions> options, ILogger<ReportPdf> log)
{
    // One browser at a time per node: a print takes a core for seconds, and parallel prints only queue on the CPU.
    readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<byte[]> PrintAsync(string html, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try { return await PrintOneAsync(html, ct); }
        finally { _gate.Release(); }
    }

    async Task<byte[]> PrintOneAsync(string html, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("cityloop-report-");
        try
        {
            var page = Path.Combine(dir.FullName, "report.html");
            var pdf = Path.Combine(dir.FullName, "report.pdf");
            await File.WriteAllTextAsync(page, html, ct);
            var start = new ProcessStartInfo(options.Value.Chromium)
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-pdf-header-footer", $"--user-data-dir={Path.Combine(dir.FullName, "profile")}", $"--print-to-pdf={pdf}",
                         new Uri(page).AbsoluteUri,
                     })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Chromium ({options.Value.Chromium}) did not start.");
            var stderr = process.StandardError.ReadToEndAsync(ct);
            _ = process.StandardOutput.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.PdfTimeoutSeconds));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            if (!File.Exists(pdf))
            {
                log.LogError("Chromium printed no PDF (exit {Code}): {Error}", process.ExitCode, await stderr);
                throw new InvalidOperationException("Chromium printed no PDF.");
            }
            return await File.ReadAllBytesAsync(pdf, ct);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { /* a profile file still held; the temp dir is cleaned later */ }
        }
    }
}

public static class ReportEndpoints
{
    public static void MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/reports").WithTags("Reports").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("", Archive).WithName("ListReports");
        g.MapGet("/{kind}", Get).WithName("GetReport");
        // The page's CSP admits only this origin's style sheets: the report's one style, served as a file.
        app.MapGet("/reports/report.css", () => Results.Text(ReportHtml.Style, "text/css; charset=utf-8")).ExcludeFromDescription();
    }

    static async Task<Ok<IReadOnlyList<ArchivedReportDto>>> Archive(string? platform, CurrentActor current, ReportService reports, CancellationToken ct) =>
        TypedResults.Ok(await reports.ArchiveAsync(await current.GetAsync(), platform, ct));

    static async Task<IResult> Get(string kind, string? period, string? platform, string? format, CurrentActor current, ReportService reports,
        ReportPdf pdf, CancellationToken ct)
    {
        var content = await reports.GetAsync(await current.GetAsync(), kind, period, platform, ct);
        var name = $"cityloop-{content.Kind}-{content.PeriodKey}";
        switch (format?.Trim().ToLowerInvariant())
        {
            case null or "" or "json":
                return TypedResults.Ok(content);
            case "pdf":
                return TypedResults.File(await pdf.PrintAsync(ReportHtml.Document(content), ct), "application/pdf", name + ".pdf");
            case "xlsx":
                return TypedResults.File(ReportXlsx.Write(content), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx");
            default:
                throw CaseValidationException.Single("format", "The format is json, pdf or xlsx.");
        }
    }
}
