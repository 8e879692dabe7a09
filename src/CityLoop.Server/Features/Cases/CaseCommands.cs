using System.Security.Cryptography;
using System.Text;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Cases;

public sealed record IntakeResult(Case Case, bool Replayed, string? QueryCode);

/// <summary>
/// The one write path for cases: every channel, desk, import and peer platform creates and changes cases here,
/// through the domain's transition table, with the event appended in the same transaction.
/// </summary>
public sealed class CaseCommands(CityLoopDb db, TimeProvider clock, IDeadlinePolicy deadlines, IPlaceResolver places, IOptions<PlatformOptions> platform,
    ActionReferences references, IEnumerable<ICaseHook>? hooks = null)
{
    readonly PlatformOptions _platform = platform.Value;
    readonly ICaseHook[] _hooks = hooks?.ToArray() ?? [];

    public async Task<IntakeResult> IntakeAsync(NewCase input, Actor actor, string? idempotencyKey = null, string? requestHash = null, CancellationToken ct = default)
    {
        if (idempotencyKey is not null)
        {
            if (idempotencyKey.Length is 0 or > 200)
                throw CaseValidationException.Single("Idempotency-Key", "An idempotency key has 1 to 200 characters.");
            var replay = await ReplayAsync(actor.Id, idempotencyKey, requestHash!, ct);
            if (replay is not null) return new IntakeResult(replay, true, null);
        }

        var now = clock.GetUtcNow();
        var ctx = new TransitionContext(actor, now, deadlines);
        var queryCode = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        var place = input.Latitude is not null ? places.Resolve(input.Latitude, input.Longitude) : null;

        var strategy = db.Database.CreateExecutionStrategy();
        try
        {
            return await strategy.ExecuteAsync(async () =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var number = await NextNumberAsync(now, ct);
                foreach (var hook in _hooks) input = await hook.BeforeCreateAsync(input, now, ct);
                var c = Case.Create(input, number, _platform.Code, place, HashQueryCode(number, queryCode), ctx);
                db.Cases.Add(c);
                db.CaseEvents.AddRange(c.NewEvents);
                if (idempotencyKey is not null)
                    db.IdempotencyRecords.Add(new IdempotencyRecord { ClientId = actor.Id, Key = idempotencyKey, RequestHash = requestHash!, CaseId = c.Id, CreatedAt = now });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                c.AcceptEvents();
                return new IntakeResult(c, false, queryCode);
            });
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            // A concurrent retry with the same key won the race: answer with its case.
            db.ChangeTracker.Clear();
            var replay = await ReplayAsync(actor.Id, idempotencyKey, requestHash!, ct);
            if (replay is not null) return new IntakeResult(replay, true, null);
            throw;
        }
    }

    async Task<Case?> ReplayAsync(string clientId, string key, string requestHash, CancellationToken ct)
    {
        var record = await db.IdempotencyRecords.AsNoTracking().FirstOrDefaultAsync(r => r.ClientId == clientId && r.Key == key, ct);
        if (record is null) return null;
        if (record.CreatedAt < clock.GetUtcNow() - IdempotencyRetention(_platform))
        {
            // An expired key is free again: forget the old record so that this request creates a case.
            await db.IdempotencyRecords.Where(r => r.ClientId == clientId && r.Key == key).ExecuteDeleteAsync(ct);
            return null;
        }
        if (record.RequestHash != requestHash)
            throw new ConflictException("This Idempotency-Key was already used with a different request body.");
        return await db.Cases.AsNoTracking().FirstAsync(c => c.Id == record.CaseId, ct);
    }

    /// <summary>Date + per-day sequence, unique per platform: 451202-20261122-000042 (the date in the platform's zone).</summary>
    async Task<string> NextNumberAsync(DateTimeOffset now, CancellationToken ct)
    {
        var day = TimeZoneInfo.ConvertTime(now, _platform.Zone).ToString("yyyyMMdd");
        var conn = db.Database.GetDbConnection();
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandText = """
            INSERT INTO case_number_sequences (platform, day, last_value) VALUES (@p, @d, 1)
            ON CONFLICT (platform, day) DO UPDATE SET last_value = case_number_sequences.last_value + 1
            RETURNING last_value
            """;
        AddParam(cmd, "@p", _platform.Code);
        AddParam(cmd, "@d", day);
        var value = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
        return $"{_platform.Code}-{day}-{value:D6}";
    }

    public static TimeSpan IdempotencyRetention(PlatformOptions platform) => TimeSpan.FromHours(Math.Max(24, platform.IdempotencyHours));

    /// <summary>Forgets idempotency keys past their retention; the clock worker calls this as housekeeping.</summary>
    public async Task<int> PurgeIdempotencyKeysAsync(CancellationToken ct = default)
    {
        var cutoff = clock.GetUtcNow() - IdempotencyRetention(_platform);
        return await db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    public static string HashQueryCode(string number, string code) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(number + ":" + code)));

    public async Task<Case> PerformAsync(Guid caseId, CaseAction action, ActionInput input, Actor actor, int? expectedVersion, CaseQueries queries, CancellationToken ct = default)
    {
        var c = await queries.Visible(actor, db.Cases).FirstOrDefaultAsync(x => x.Id == caseId, ct)
            ?? throw new NotFoundException($"Case {caseId} does not exist or is not visible to you.");
        if (expectedVersion is not null && expectedVersion != c.Version)
            throw new ConcurrencyConflictException($"The case is at version {c.Version}, not {expectedVersion}: reload it and decide again.", c.State, c.Version);

        input = await ResolveReferencesAsync(c, action, input, actor, ct);
        return await ApplyAsync(c, action, input, actor, ct);
    }

    /// <summary>
    /// Performs an action on a case already loaded and tracked, for callers that authorised access another way: the
    /// clock worker, and a citizen's follow-up link (the token is the authority).
    /// </summary>
    public Task<Case> PerformOnAsync(Case c, CaseAction action, ActionInput input, Actor actor, CancellationToken ct = default) =>
        ApplyAsync(c, action, input, actor, ct);

    async Task<Case> ApplyAsync(Case c, CaseAction action, ActionInput input, Actor actor, CancellationToken ct)
    {
        var ctx = new TransitionContext(actor, clock.GetUtcNow(), deadlines);
        c.Perform(action, input, ctx);
        // Hooks add their rows (phase times, follow-up tasks, messages) to the same SaveChanges, hence the same transaction.
        foreach (var hook in _hooks) await hook.PerformedAsync(c, action, ctx, ct);
        db.CaseEvents.AddRange(c.NewEvents);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            var current = await db.Cases.AsNoTracking().FirstAsync(x => x.Id == c.Id, ct);
            throw new ConcurrencyConflictException("Someone else changed this case first: reload it and decide again.", current.State, current.Version);
        }
        c.AcceptEvents();
        return c;
    }

    /// <summary>
    /// Stages the events that the caller recorded on tracked cases through the domain (overdue flags, reminders) so
    /// that its own SaveChanges writes them with the cases; <see cref="Accept"/> after saving.
    /// </summary>
    public void Stage(IEnumerable<Case> cases)
    {
        foreach (var c in cases) db.CaseEvents.AddRange(c.NewEvents);
    }

    public static void Accept(IEnumerable<Case> cases)
    {
        foreach (var c in cases) c.AcceptEvents();
    }

    /// <summary>Saves tracked cases with the events recorded on them through the domain (notes, notifications).</summary>
    public async Task SaveStagedAsync(IReadOnlyList<Case> cases, CancellationToken ct = default)
    {
        Stage(cases);
        await db.SaveChangesAsync(ct);
        Accept(cases);
    }

    public TransitionContext Context(Actor actor) => new(actor, clock.GetUtcNow(), deadlines);

    /// <summary>Checks every field of the action against reference data (<see cref="ActionReferences"/>).</summary>
    Task<ActionInput> ResolveReferencesAsync(Case c, CaseAction action, ActionInput input, Actor actor, CancellationToken ct) => references.CheckAsync(c, action, input, actor, ct);

    /// <summary>
    /// Reveals a masked reporter to a role that may see them; every attempt is audited and a granted one is noted on
    /// the case. Shared by the API and the case page.
    /// </summary>
    public async Task<ReporterDto> UnmaskReporterAsync(Guid caseId, Actor actor, CaseQueries queries, Audit audit, CancellationToken ct = default)
    {
        var c = await queries.GetAsync(actor, caseId, track: true, ct);
        if (actor.Roles.Any(Roles.ReporterContact.Contains)) return CaseQueries.Reporter(c, actor);
        if (c.Confidential)
        {
            await audit.WriteAsync(actor.Id, actor.Name, "unmask", c.Number, "failure", "confidential");
            throw new CaseForbiddenException("The reporter asked for confidentiality: only hotline and intake staff see them.");
        }
        if (!actor.Roles.Any(Roles.MayUnmask.Contains))
        {
            await audit.WriteAsync(actor.Id, actor.Name, "unmask", c.Number, "failure", "role");
            throw new CaseForbiddenException("Your role does not allow revealing the reporter.");
        }
        audit.Add(actor.Id, actor.Name, "unmask", c.Number);
        await NoteAsync(c, "unmask", actor, null, null, ct);
        return CaseQueries.Reporter(c, actor, unmasked: true);
    }

    /// <summary>Records a non-transition event (unmasking, an attachment) on the case, with the case's version bumped.</summary>
    public async Task NoteAsync(Case c, string kind, Actor actor, string? opinion, object? payload, CancellationToken ct = default)
    {
        c.Note(kind, new TransitionContext(actor, clock.GetUtcNow(), deadlines), opinion, payload);
        db.CaseEvents.AddRange(c.NewEvents);
        await db.SaveChangesAsync(ct);
        c.AcceptEvents();
    }

    const long MaxAttachmentBytes = 10 * 1024 * 1024;

    /// <summary>Stores a photo or PDF on a case, checked by its content, and logs it; the API and the case page share this.</summary>
    public async Task<AttachmentDto> AttachAsync(Guid caseId, IFormFile? file, Actor actor, CaseQueries queries, CancellationToken ct = default)
    {
        var c = await queries.GetAsync(actor, caseId, track: true, ct);
        if (file is null || file.Length == 0) throw CaseValidationException.Single("file", "Send one file in the form field 'file'.");
        if (file.Length > MaxAttachmentBytes) throw CaseValidationException.Single("file", "A file has at most 10 MB.");
        using var ms = new MemoryStream();
        await file.CopyToAsync(ms, ct);
        var bytes = ms.ToArray();
        var type = CaseEndpoints.SniffType(bytes) ?? throw CaseValidationException.Single("file", "Only JPEG, PNG, WebP and PDF files are accepted.");
        var a = new Attachment
        {
            CaseId = c.Id, FileName = Path.GetFileName(file.FileName), ContentType = type, Size = bytes.Length, Content = bytes,
            UploadedBy = actor.Id, UploadedAt = clock.GetUtcNow(),
        };
        db.Attachments.Add(a);
        await NoteAsync(c, "attach", actor, null, new { attachmentId = a.Id, fileName = a.FileName, size = a.Size }, ct);
        return new AttachmentDto(a.Id, a.FileName, a.ContentType, a.Size, a.UploadedAt);
    }

    public async Task<IReadOnlyList<AttachmentDto>> AttachmentsAsync(Guid caseId, CancellationToken ct = default) =>
        await db.Attachments.AsNoTracking().Where(a => a.CaseId == caseId).OrderBy(a => a.UploadedAt)
            .Select(a => new AttachmentDto(a.Id, a.FileName, a.ContentType, a.Size, a.UploadedAt)).ToListAsync(ct);

    static bool IsUniqueViolation(DbUpdateException ex) =>
        ex.InnerException?.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase) == true
        || ex.InnerException?.Message.Contains("23505", StringComparison.Ordinal) == true
        || ex.InnerException?.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) == true;

    static void AddParam(System.Data.Common.DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
