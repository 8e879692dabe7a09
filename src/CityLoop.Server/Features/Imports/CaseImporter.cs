using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Clock;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Imports;

/// <summary>A rejected source row: its number (CSV line, sheet row, JSON line), the column or step at fault, and why.</summary>
/// <summary>
/// A refused row: <see cref="Message"/> in English (the CLI, API clients), <see cref="MessageZh"/> in Chinese where the
/// importer wrote it (errors that come from the workflow have their own message only); <see cref="Text"/> for the page.
/// </summary>
public sealed record CaseImportError(long Row, string Column, string Message, string? MessageZh = null)
{
    public string Text => Shared.Ui.Pick(MessageZh ?? Message, Message);
}

public sealed record ImportProgress(long Rows, long Created, long AlreadyImported, long Rejected, double? Fraction);

/// <summary>What an import did: rows read, cases created, rows already imported by an earlier run, rejections, flags.</summary>
public sealed class CaseImportReport
{
    /// <summary>Only the first errors are kept in full (the count is exact), so a broken million-row file stays in bounds.</summary>
    public const int MaxErrorsKept = 1000;

    public string Origin { get; init; } = "";
    public string File { get; init; } = "";
    public long Rows { get; set; }
    public long Created { get; set; }
    public long AlreadyImported { get; set; }
    public long Rejected { get; set; }
    /// <summary>Rows imported with something missing: place-missing, category-missing, category-unmapped, department-unmapped, reply-verdict-unknown.</summary>
    public SortedDictionary<string, long> Flags { get; } = new(StringComparer.Ordinal);
    public List<CaseImportError> Errors { get; } = [];
    public double Seconds { get; set; }
    public double RowsPerSecond => Seconds > 0 ? Math.Round(Rows / Seconds, 1) : 0;

    public void Reject(CaseImportError error)
    {
        Rejected++;
        if (Errors.Count < MaxErrorsKept) Errors.Add(error);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{File} ({Origin}): {Rows:N0} rows read, {Created:N0} cases created, {AlreadyImported:N0} already imported, {Rejected:N0} rejected");
        sb.Append(CultureInfo.InvariantCulture, $" in {Seconds:N1} s ({RowsPerSecond:N0} rows/s)");
        foreach (var (flag, n) in Flags) sb.Append(CultureInfo.InvariantCulture, $"\n  flagged {flag}: {n:N0}");
        foreach (var e in Errors) sb.Append(CultureInfo.InvariantCulture, $"\n  row {e.Row}, {e.Column}: {e.Message}");
        if (Rejected > Errors.Count) sb.Append(CultureInfo.InvariantCulture, $"\n  … {Rejected - Errors.Count:N0} more rejected rows not listed");
        return sb.ToString();
    }
}

/// <summary>One imported source row: its stable key within its origin, and the case it became.</summary>
public sealed class CaseImportRow
{
    public string Origin { get; set; } = "";
    public string SourceKey { get; set; } = "";
    public Guid CaseId { get; set; }
    public string CaseNumber { get; set; } = "";
    public DateTimeOffset ImportedAt { get; set; }
    public string? Flags { get; set; }
}

sealed class CaseImportRowConfiguration : IEntityTypeConfiguration<CaseImportRow>
{
    public void Configure(EntityTypeBuilder<CaseImportRow> e)
    {
        e.ToTable("case_imports");
        e.HasKey(x => new { x.Origin, x.SourceKey });
        // The mapping's origin (≤ 64), on a sub-centre followed by "@" and its code (migration 0026).
        e.Property(x => x.Origin).HasMaxLength(80);
        e.Property(x => x.SourceKey).HasMaxLength(200);
        e.Property(x => x.CaseNumber).HasMaxLength(40);
        e.Property(x => x.Flags).HasMaxLength(200);
        e.HasIndex(x => x.CaseId);
    }
}

/// <summary>
/// Historical cases from another system or open data, through a <see cref="ImportMapping"/>: each row becomes a case
/// created by the domain at the source's time, then either the source's own steps performed through the transition
/// table (an illegal history rejects the row) or one import event with the facts the source gives. No hooks run —
/// follow-up tasks, notifications and repeat detection act on live cases, not on history — but every projection does,
/// so the figures count imports exactly as a rebuild from the events would. Rows stream in batches, one transaction
/// each; a row's stable key (origin + source id, or a hash of the row) makes a re-run add nothing.
/// </summary>
public sealed class CaseImporter(CityLoopDb db, CaseCommands commands, ActionReferences references, IDeadlinePolicy deadlines,
    IPlaceResolver places, ReferenceCache reference, IOptions<PlatformOptions> platform, TimeProvider clock)
{
    readonly PlatformOptions _platform = platform.Value;
    /// <summary>The platform the cases land on: the root's code, or the sub-centre's the import is for.</summary>
    string _code = platform.Value.Code;
    /// <summary>The sub-centre the import is for (its <c>platform_code</c> column value), null at the root.</summary>
    string? _subCentre;

    /// <summary>
    /// Imports the file's rows as cases of the root platform, or of the sub-centre <paramref name="subCentre"/> (decision
    /// 026, addendum 2: a sub-centre's administrator loads their own old system's history onto their own platform, with
    /// their platform's departments, calendar and case numbers). A re-run is recognised per platform: the same origin
    /// and source id on two sub-centres are two cases.
    /// </summary>
    public async Task<CaseImportReport> ImportAsync(Stream stream, string fileName, ImportMapping mapping, Action<ImportProgress>? progress = null,
        int batchSize = 500, CancellationToken ct = default, string? subCentre = null)
    {
        _subCentre = subCentre;
        _code = subCentre ?? _platform.Code;
        var format = mapping.FormatFor(fileName);
        var report = new CaseImportReport { Origin = mapping.Origin, File = Path.GetFileName(fileName) };
        var departments = subCentre is null ? db.Departments.AsNoTracking().Where(d => d.PlatformCode == null)
            : db.Departments.AsNoTracking().Where(d => d.PlatformCode == subCentre);
        var run = new Run(mapping, await departments.Select(d => d.Code).ToListAsync(ct), reference.Catalogue.Current,
            new ImportDeadlines(deadlines, reference.Calendars.PlatformOf(subCentre), _platform.Zone));
        var watch = Stopwatch.StartNew();
        var batch = new List<Prepared>(batchSize);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        // A workbook is a zip read out of order: only text files tell how far the reading has come.
        double? Fraction() => format != "xlsx" && stream.CanSeek && stream.Length > 0 ? Math.Min(1, (double)stream.Position / stream.Length) : null;

        foreach (var row in SourceRows.Read(stream, format, mapping))
        {
            ct.ThrowIfCancellationRequested();
            report.Rows++;
            if (row.Unreadable is not null)
            {
                report.Reject(new CaseImportError(row.Number, "*", row.Unreadable, row.UnreadableZh));
                continue;
            }
            var prepared = run.Prepare(row, out var error);
            if (prepared is null)
            {
                report.Reject(error!);
                continue;
            }
            // The same row twice in one file is one case.
            if (!keys.Add(prepared.Key))
            {
                report.AlreadyImported++;
                continue;
            }
            batch.Add(prepared);
            if (batch.Count >= batchSize)
            {
                await SaveBatchAsync(batch, run, report, ct);
                batch.Clear();
                keys.Clear();
                report.Seconds = watch.Elapsed.TotalSeconds;
                progress?.Invoke(new ImportProgress(report.Rows, report.Created, report.AlreadyImported, report.Rejected, Fraction()));
            }
        }
        if (batch.Count > 0) await SaveBatchAsync(batch, run, report, ct);
        report.Seconds = watch.Elapsed.TotalSeconds;
        progress?.Invoke(new ImportProgress(report.Rows, report.Created, report.AlreadyImported, report.Rejected, 1));
        return report;
    }

    async Task SaveBatchAsync(List<Prepared> batch, Run run, CaseImportReport report, CancellationToken ct)
    {
        var origin = StoredOrigin(run.Mapping.Origin);
        var keys = batch.Select(p => p.Key).ToList();
        var existing = (await db.Set<CaseImportRow>().AsNoTracking().Where(r => r.Origin == origin && keys.Contains(r.SourceKey))
            .Select(r => r.SourceKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var built = new List<(Prepared Row, Case Case)>(batch.Count);
        foreach (var p in batch)
        {
            if (existing.Contains(p.Key))
            {
                report.AlreadyImported++;
                continue;
            }
            try
            {
                built.Add((p, await BuildAsync(p, run, ct)));
            }
            catch (Exception ex) when (ex is CaseValidationException or CaseRuleException or CaseForbiddenException or ImportRowException)
            {
                report.Reject(new CaseImportError(p.Number, ex is ImportRowException r ? r.Column : p.FailedStep ?? "*", Message(ex), (ex as ImportRowException)?.Chinese));
            }
        }
        if (built.Count == 0) return;
        try
        {
            await StageAndSaveAsync(built, ct);
            Count(built, report);
        }
        catch (DbUpdateException)
        {
            // One row the database refused (a concurrent run of the same file, a value too long): save the rows one by one.
            db.ChangeTracker.Clear();
            foreach (var item in built)
            {
                try
                {
                    await StageAndSaveAsync([item], ct);
                    Count([item], report);
                }
                catch (DbUpdateException ex)
                {
                    db.ChangeTracker.Clear();
                    report.Reject(new CaseImportError(item.Row.Number, "*", "The database refused the row: " + (ex.InnerException?.Message ?? ex.Message),
                        "数据库拒绝了该行：" + (ex.InnerException?.Message ?? ex.Message)));
                }
            }
        }
    }

    static void Count(IEnumerable<(Prepared Row, Case Case)> saved, CaseImportReport report)
    {
        foreach (var (row, _) in saved)
        {
            report.Created++;
            foreach (var flag in row.Flags) report.Flags[flag] = report.Flags.GetValueOrDefault(flag) + 1;
        }
    }

    async Task StageAndSaveAsync(IReadOnlyList<(Prepared Row, Case Case)> items, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var (row, c) in items)
            {
                await commands.StageImportedAsync(c, ct);
                db.Set<CaseImportRow>().Add(new CaseImportRow
                {
                    Origin = StoredOrigin(row.Origin), SourceKey = row.Key, CaseId = c.Id, CaseNumber = c.Number, ImportedAt = now,
                    Flags = row.Flags.Count == 0 ? null : string.Join(",", row.Flags),
                });
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
        foreach (var (_, c) in items) c.AcceptEvents();
        db.ChangeTracker.Clear();
    }

    /// <summary>The case as the source recorded it, through the domain: created at its time, then its steps or its facts.</summary>
    async Task<Case> BuildAsync(Prepared p, Run run, CancellationToken ct)
    {
        var importer = new Actor("import:" + p.Origin, "导入 " + p.Origin, new HashSet<Role> { Role.Importer }, null, IsSystem: true);
        var ctx = new TransitionContext(importer, p.CreatedAt, run.Deadlines, WorkflowSettings.Default);
        var place = p.Case.Latitude is not null ? places.Resolve(p.Case.Latitude, p.Case.Longitude) : null;
        var c = Case.Create(p.Case, Number(p), _code, place, null, ctx);
        if (p.Facts is { } facts)
        {
            c.RecordImportedFacts(facts, ctx);
            if (facts.RepliedAt is not null && c.NewEvents[^1].Payload?.Contains("\"onTime\"", StringComparison.Ordinal) != true)
                p.Flags.Add("reply-verdict-unknown");
        }
        var previous = p.CreatedAt;
        for (var i = 0; i < p.Steps.Count; i++)
        {
            var step = p.Steps[i];
            p.FailedStep = $"step {i + 1} ({step.Action.Name()})";
            if (step.At < previous) throw new ImportRowException(p.FailedStep, $"其时间 {step.At:yyyy-MM-dd HH:mm:ss zzz} 早于前一步骤。", $"Its time {step.At:yyyy-MM-dd HH:mm:ss zzz} is earlier than the step before it.");
            previous = step.At;
            var actor = ActorFor(c, step.Action, importer, ctx with { Now = step.At }, step.Input);
            var stepCtx = ctx with { Actor = actor, Now = step.At };
            var input = await references.CheckAsync(c, step.Action, step.Input, stepCtx, ct);
            c.Perform(step.Action, input, stepCtx);
        }
        p.FailedStep = null;
        return c;
    }

    /// <summary>
    /// The source says who acted only by the step itself: the importer acts in the first role the transition table
    /// allows for it now (a department's role in the case's department), so the table still decides what is legal.
    /// </summary>
    static Actor ActorFor(Case c, CaseAction action, Actor importer, TransitionContext ctx, ActionInput input)
    {
        var transition = TransitionTable.Find(action, c.State)
            ?? throw new CaseRuleException("TransitionNotAllowed", $"'{action.Name()}' is not allowed while the case is {Domain.Kebab.From(c.State.ToString())}.", c.State);
        string? firstReason = null;
        foreach (var role in transition.Roles)
        {
            var department = Roles.DepartmentBound.Contains(role) ? c.LeadDepartmentCode : null;
            var actor = importer with { Roles = new HashSet<Role> { role }, DepartmentCode = department };
            var why = c.WhyNot(action, actor, out _, out _, ctx);
            if (why is null) return actor;
            firstReason ??= why;
        }
        throw new CaseRuleException("TransitionNotAllowed", firstReason!, c.State);
    }

    /// <summary>Deterministic, so a re-run names the same case; "I" keeps import numbers apart from the live sequence's.</summary>
    string Number(Prepared p)
    {
        var day = TimeZoneInfo.ConvertTime(p.CreatedAt, _platform.Zone).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(p.Origin + "\u001f" + p.Key)))[..10];
        return $"{_code}-{day}-I{hash}";
    }

    /// <summary>The origin a re-run is recognised by: the mapping's at the root, "origin@code" on a sub-centre.</summary>
    string StoredOrigin(string origin) => _subCentre is null ? origin : origin + "@" + _subCentre;

    static string Message(Exception ex) => ex is CaseValidationException v
        ? string.Join(" ", v.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))
        : ex.Message;

    /// <summary>A row mapped to what the domain needs, before anything is written.</summary>
    sealed class Prepared
    {
        public required long Number { get; init; }
        public required string Origin { get; init; }
        public required string Key { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public required NewCase Case { get; init; }
        public ImportedFacts? Facts { get; init; }
        public List<Step> Steps { get; } = [];
        public List<string> Flags { get; } = [];
        public string? FailedStep { get; set; }
    }

    sealed record Step(CaseAction Action, DateTimeOffset At, ActionInput Input);

    /// <summary>A row the import refuses, told in both languages (the report is read on a Chinese or an English page, the CLI prints English).</summary>
    sealed class ImportRowException(string column, string zh, string en) : Exception(en)
    {
        public string Column { get; } = column;
        public string Chinese { get; } = zh;
    }

    /// <summary>What one import run knows once: the mapping, departments, the catalogue and the import's deadlines.</summary>
    sealed class Run(ImportMapping mapping, List<string> departments, Domain.Catalogue.CatalogueVersion? catalogue, IDeadlinePolicy deadlines)
    {
        readonly HashSet<string> _departments = departments.ToHashSet(StringComparer.Ordinal);
        public ImportMapping Mapping { get; } = mapping;
        public IDeadlinePolicy Deadlines { get; } = deadlines;

        public Prepared? Prepare(SourceRow row, out CaseImportError? error)
        {
            error = null;
            try
            {
                return PrepareOrThrow(row);
            }
            catch (ImportRowException ex)
            {
                error = new CaseImportError(row.Number, ex.Column, ex.Message, ex.Chinese);
                return null;
            }
        }

        Prepared PrepareOrThrow(SourceRow row)
        {
            var m = Mapping;
            var values = row.Values;
            string? Field(string name) => m.Fields.TryGetValue(name, out var col) ? col.From(values) : null;
            string Column(string name) => m.Fields.TryGetValue(name, out var col) ? string.Join("|", col.Columns) : name;
            var flags = new List<string>();

            var key = m.Key.Count > 0
                ? string.Join("\u001f", m.Key.Select(k => values.GetValueOrDefault(k)?.Trim() ?? ""))
                : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u001f", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Key + "=" + v.Value)))))[..40];
            if (m.Key.Count > 0 && key.Replace("\u001f", "", StringComparison.Ordinal).Length == 0)
                throw new ImportRowException(string.Join("|", m.Key), "该行的编号为空。", "The row's id is empty.");
            if (key.Length > 200) throw new ImportRowException(string.Join("|", m.Key), "该行的编号超过 200 个字符。", "The row's id is longer than 200 characters.");

            var createdText = Field("createdAt") ?? throw new ImportRowException(Column("createdAt"), "缺少受理时间。", "When the case was received is missing.");
            var createdAt = Date(createdText, Column("createdAt"));

            var description = Field("description") ?? Field("title") ?? throw new ImportRowException(Column("description"), "问题描述为空。", "The description is empty.");
            var requestType = Enum<RequestType>("requestType", Field("requestType"), Column("requestType"))
                ?? throw new ImportRowException(Column("requestType"), "缺少诉求类型（请映射该列或给出默认值）。", "The request type is missing (map it, or give a default).");
            var urgency = Enum<Urgency>("urgency", Field("urgency"), Column("urgency")) ?? Urgency.Normal;

            double? lat = Number(Field("latitude"), Column("latitude")), lon = Number(Field("longitude"), Column("longitude"));
            // Open data often writes 0,0 or leaves one half out: no place rather than a wrong one.
            if (lat is null || lon is null || (lat == 0 && lon == 0)) lat = lon = null;
            var address = Field("address");
            if (lat is null && address is null) flags.Add("place-missing");

            var category = Category(Field("category"), Column("category"), flags);
            var input = new NewCase
            {
                Source = CaseSource.Import,
                RequestType = requestType,
                Description = description,
                Title = m.Fields.ContainsKey("description") ? Field("title") : null,
                CategoryCode = category,
                Latitude = lat,
                Longitude = lon,
                Address = address,
                Urgency = urgency,
                ExternalId = Field("sourceId") is { } id ? Clip(id, Domain.Cases.InputLimits.ExternalId) : null,
                ImportOrigin = m.Origin,
            };

            ImportedFacts? facts = null;
            if (!m.HasSteps)
            {
                var department = Department(Field("department"), Column("department"), flags);
                DateTimeOffset? replied = Field("repliedAt") is { } r ? Date(r, Column("repliedAt")) : null;
                DateTimeOffset? closed = Field("closedAt") is { } cl ? Date(cl, Column("closedAt")) : null;
                if (replied < createdAt) throw new ImportRowException(Column("repliedAt"), "答复时间早于案件受理时间。", "The reply is earlier than the case's creation.");
                if (closed < createdAt) throw new ImportRowException(Column("closedAt"), "结案时间早于案件受理时间。", "The closure is earlier than the case's creation.");
                // Even a row that gives only its creation says the workflow is unknown: the facts event records that.
                facts = new ImportedFacts(replied, Field("reply"), closed, department);
            }
            var prepared = new Prepared { Number = row.Number, Origin = m.Origin, Key = key, CreatedAt = createdAt, Case = input, Facts = facts };
            prepared.Flags.AddRange(flags);
            foreach (var step in Steps(values)) prepared.Steps.Add(step);
            return prepared;
        }

        IEnumerable<Step> Steps(IReadOnlyDictionary<string, string?> values)
        {
            var m = Mapping;
            var raw = new List<(string Action, string Column, string? At, Dictionary<string, string?> Fields)>();
            foreach (var s in m.Steps)
            {
                var at = values.GetValueOrDefault(s.At);
                if (string.IsNullOrWhiteSpace(at)) continue;
                raw.Add((s.Action, s.At, at, s.Fields.ToDictionary(f => f.Key, f => f.Value.From(values))));
            }
            if (m.HistoryColumn is { } hc && values.GetValueOrDefault(hc) is { Length: > 0 } json)
            {
                JsonDocument doc;
                try { doc = JsonDocument.Parse(json); }
                catch (JsonException ex) { throw new ImportRowException(hc, $"办理过程不是由步骤组成的 JSON 数组：{ex.Message}", $"The history is not a JSON array of steps: {ex.Message}"); }
                using (doc)
                {
                    if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new ImportRowException(hc, "办理过程应为由步骤组成的 JSON 数组。", "The history is a JSON array of steps.");
                    var n = 0;
                    foreach (var s in doc.RootElement.EnumerateArray())
                    {
                        n++;
                        if (s.ValueKind != JsonValueKind.Object) throw new ImportRowException($"{hc}[{n}]", "每个步骤是含 'action' 和 'at' 的对象。", "A step is an object with 'action' and 'at'.");
                        var fields = new Dictionary<string, string?>();
                        string? action = null, at = null;
                        foreach (var p in s.EnumerateObject())
                        {
                            var text = p.Value.ValueKind switch
                            {
                                JsonValueKind.String => p.Value.GetString(),
                                JsonValueKind.Null => null,
                                JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())),
                                _ => p.Value.GetRawText(),
                            };
                            if (p.NameEquals("action")) action = text;
                            else if (p.NameEquals("at")) at = text;
                            else if (ImportMapping.StepFields.Contains(p.Name)) fields[p.Name] = text;
                            else throw new ImportRowException($"{hc}[{n}].{p.Name}", $"“{p.Name}”不是步骤的字段。", $"'{p.Name}' is not a step field.");
                        }
                        raw.Add((action ?? "", $"{hc}[{n}]", at, fields));
                    }
                }
            }
            var i = 0;
            foreach (var (actionName, column, atText, fields) in raw)
            {
                i++;
                if (!TransitionTable.TryParseAction(actionName, out var action))
                    throw new ImportRowException(column, $"“{actionName}”不是流程中的操作。", $"'{actionName}' is not a workflow action.");
                if (string.IsNullOrWhiteSpace(atText)) throw new ImportRowException(column, $"第 {i} 步（{actionName}）缺少时间。", $"Step {i} ({actionName}) has no time.");
                var at = Date(atText, column);
                foreach (var (k, v) in m.StepDefaults) if (!fields.TryGetValue(k, out var given) || string.IsNullOrWhiteSpace(given)) fields[k] = v;
                yield return new Step(action, at, StepInput(fields, column));
            }
        }

        ActionInput StepInput(Dictionary<string, string?> f, string column)
        {
            string? S(string name) => f.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
            bool? B(string name) => S(name) is not { } v ? null : v.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "y" or "是" => true,
                "false" or "0" or "no" or "n" or "否" => false,
                _ => throw new ImportRowException($"{column}.{name}", $"“{v}”不是“是”或“否”。", $"'{v}' is not yes or no."),
            };
            var lead = S("leadDepartment");
            if (lead is not null) lead = MapValue("department", lead) ?? throw new ImportRowException($"{column}.leadDepartment", $"“{lead}”不在单位映射中。", $"'{lead}' is not in the department map.");
            var category = S("categoryCode");
            if (category is not null) category = MapValue("category", category) ?? throw new ImportRowException($"{column}.categoryCode", $"“{category}”不在类别映射中。", $"'{category}' is not in the category map.");
            return new ActionInput
            {
                Opinion = S("opinion"), Reason = S("reason"), Answer = S("answer"), Result = S("result"), Comment = S("comment"),
                Target = S("target"), TargetCase = S("targetCase"), Inspector = S("inspector"), Upheld = B("upheld"),
                CategoryCode = category, StandardItem = S("standardItem"), LeadDepartment = lead,
                AssistingDepartments = S("assistingDepartments")?.Split([',', ';', '、'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(d => MapValue("department", d) ?? d).ToList(),
                DueAt = S("dueAt") is { } due ? Date(due, $"{column}.dueAt") : null,
                Confirmed = B("confirmed"), Contacted = B("contacted"), Resolved = B("resolved"),
                Satisfaction = S("satisfaction") is { } sat ? Satisfaction(sat, $"{column}.satisfaction") : null,
            };
        }

        static Satisfaction Satisfaction(string text, string column) => text switch
        {
            "非常满意" => Domain.Cases.Satisfaction.VerySatisfied,
            "满意" => Domain.Cases.Satisfaction.Satisfied,
            "基本满意" => Domain.Cases.Satisfaction.BasicallySatisfied,
            "不满意" => Domain.Cases.Satisfaction.Dissatisfied,
            _ when Domain.Kebab.TryParse<Satisfaction>(text, out var s) => s,
            _ => throw new ImportRowException(column, $"“{text}”不是满意度（very-satisfied、satisfied、basically-satisfied、dissatisfied）。", $"'{text}' is not a satisfaction (very-satisfied, satisfied, basically-satisfied, dissatisfied)."),
        };

        /// <summary>The source value through the field's value map (identity without a map); null: the map has no entry.</summary>
        string? MapValue(string field, string value) =>
            Mapping.Values.TryGetValue(field, out var map) ? (map.TryGetValue(value, out var mapped) ? mapped : null) : value;

        DateTimeOffset Date(string text, string column) =>
            Mapping.TryParseDate(text, out var value) ? value
                : throw new ImportRowException(column, $"“{Clip(text, 40)}”不符合映射中的日期格式（{string.Join("、", Mapping.DateFormats)}）。", $"'{Clip(text, 40)}' is not a date in the mapping's formats ({string.Join(", ", Mapping.DateFormats)}).");

        static double? Number(string? text, string column) =>
            text is null ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
            : throw new ImportRowException(column, $"“{Clip(text, 40)}”不是数字。", $"'{Clip(text, 40)}' is not a number.");

        T? Enum<T>(string field, string? raw, string column) where T : struct, System.Enum
        {
            var text = raw is null ? Mapping.Defaults.GetValueOrDefault(field) : MapValue(field, raw) ?? Mapping.Defaults.GetValueOrDefault(field);
            if (text is null) return null;
            return Domain.Kebab.TryParse<T>(text, out var v) ? v
                : throw new ImportRowException(column, $"“{Clip(text, 40)}”不是以下之一：{string.Join("、", System.Enum.GetValues<T>().Select(x => Domain.Kebab.From(x.ToString())))}。", $"'{Clip(text, 40)}' is not one of {string.Join(", ", System.Enum.GetValues<T>().Select(x => Domain.Kebab.From(x.ToString())))}.");
        }

        string? Category(string? raw, string column, List<string> flags)
        {
            var code = raw is null ? Mapping.Defaults.GetValueOrDefault("category") : MapValue("category", raw);
            if (code is null)
            {
                flags.Add(raw is null ? "category-missing" : "category-unmapped");
                return null;
            }
            var category = catalogue?.Find(code) ?? catalogue?.Find(code.ToUpperInvariant());
            if (category is null) throw new ImportRowException(column, $"“{Clip(code, 40)}”不是目录中的类别。", $"'{Clip(code, 40)}' is not a category of the catalogue.");
            if (!category.IsLeaf) throw new ImportRowException(column, $"“{category.Name}”是类别分组而非类别：请映射到其下的某个类别。", $"'{category.Name}' is a group, not a category: map it to one of its categories.");
            return category.Key;
        }

        string? Department(string? raw, string column, List<string> flags)
        {
            var code = raw is null ? Mapping.Defaults.GetValueOrDefault("department") : MapValue("department", raw);
            if (code is null)
            {
                if (raw is not null) flags.Add("department-unmapped");
                return null;
            }
            return _departments.Contains(code) ? code : throw new ImportRowException(column, $"“{Clip(code, 40)}”不是单位。", $"'{Clip(code, 40)}' is not a department.");
        }

        static string Clip(string s, int max) => s.Length <= max ? s : s[..max];
    }
}

/// <summary>
/// The deadlines of history: a phase is timed only where the platform calendar has the holidays of the year it
/// started in; otherwise a verdict would count that year's holidays as working days, so there is none.
/// </summary>
sealed class ImportDeadlines(IDeadlinePolicy inner, WorkingCalendar calendar, TimeZoneInfo zone) : IDeadlinePolicy
{
    bool Known(DateTimeOffset instant) => calendar.HasExceptionsForYear(TimeZoneInfo.ConvertTime(instant, zone).Year);

    public DateTimeOffset? Due(Case c, CasePhase phase, DateTimeOffset start) => Known(start) ? inner.Due(c, phase, start) : null;
    public DateTimeOffset ExtendByPause(Case c, CasePhase phase, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset resumedAt) =>
        inner.ExtendByPause(c, phase, due, pausedAt, resumedAt);
    public DateTimeOffset? WarnAt(Case c, CasePhase phase, DateTimeOffset due) => Known(due) ? inner.WarnAt(c, phase, due) : null;
    public LimitType? KindOf(Case c, CasePhase phase) => inner.KindOf(c, phase);
    public TimeSpan BusinessTime(Case c, CasePhase phase, string? department, DateTimeOffset from, DateTimeOffset to) =>
        inner.BusinessTime(c, phase, department, from, to);
    public DateTimeOffset ExtensionLatestRequest(Case c, DateTimeOffset due) => inner.ExtensionLatestRequest(c, due);
    public DateTimeOffset? ReturnWindowEnd(Case c, DateTimeOffset dispatchedAt) => Known(dispatchedAt) ? inner.ReturnWindowEnd(c, dispatchedAt) : null;
    public DateTimeOffset WithinWorkingTime(Case c, CasePhase phase, DateTimeOffset instant) => inner.WithinWorkingTime(c, phase, instant);
}
