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
    ActionReferences references, IEnumerable<ICaseHook>? hooks = null, IEnumerable<ICaseProjection>? projections = null,
    IOptions<WorkflowOptions>? workflow = null, Notifications.Notifier? notifier = null, Attachments.AttachmentStore? store = null,
    Reference.ReferenceCache? reference = null, Identity.UserCache? directory = null)
{
    readonly PlatformOptions _platform = platform.Value;
    readonly ICaseHook[] _hooks = hooks?.OrderBy(h => h.Order).ToArray() ?? [];
    readonly ICaseProjection[] _projections = projections?.OrderBy(p => p.Order).ToArray() ?? [];
    readonly WorkflowSettings _settings = (workflow?.Value ?? new WorkflowOptions()).Settings;

    /// <summary>The workflow's switches, with hand-over between centres where the deployment has sub-centres (decision 026).</summary>
    WorkflowSettings Settings => reference is { } r && r.Calendars.SubPlatforms.Count > 0 ? _settings with { HandOver = true } : _settings;

    public async Task<IntakeResult> IntakeAsync(NewCase input, Actor actor, string? idempotencyKey = null, string? requestHash = null, CancellationToken ct = default)
    {
        if (idempotencyKey is not null)
        {
            if (idempotencyKey.Length is 0 or > 200)
                throw CaseValidationException.Single("Idempotency-Key", "An idempotency key has 1 to 200 characters.");
            var replay = await ReplayAsync(actor.Id, idempotencyKey, requestHash!, ct);
            if (replay is not null) return new IntakeResult(replay, true, null);
        }

        // A 市派 is filed once in the deployment, by hand or from the linked peer (decision 026).
        input = await references.CheckIntakeAsync(input, ct);
        if (input.Source == CaseSource.UpperPlatform && !string.IsNullOrWhiteSpace(input.ExternalId)) await RefuseSecondUpperAsync(input.ExternalId.Trim(), ct);
        var now = clock.GetUtcNow();
        var ctx = new TransitionContext(actor, now, deadlines, Settings);
        var queryCode = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        var place = input.Latitude is not null ? places.Resolve(input.Latitude, input.Longitude) : null;
        // A sub-centre's staff take in cases of their platform, with its numbers (decision 026).
        var platformCode = actor.IsSystem ? _platform.Code : actor.PlatformCode ?? _platform.Code;
        var number = await CaseNumbers.NextAsync(db, _platform, platformCode, now, ct);
        // The hooks before a creation only read (the repeat link): they need no transaction of their own.
        foreach (var hook in _hooks) input = await hook.BeforeCreateAsync(input, now, ct);

        var strategy = db.Database.CreateExecutionStrategy();
        try
        {
            return await strategy.ExecuteAsync(async () =>
            {
                var c = Case.Create(input, number, platformCode, place, HashQueryCode(number, queryCode), ctx);
                db.Cases.Add(c);
                await ProcessAsync(c, ctx, ct);
                if (idempotencyKey is not null)
                    db.IdempotencyRecords.Add(new IdempotencyRecord { ClientId = actor.Id, Key = idempotencyKey, RequestHash = requestHash!, CaseId = c.Id, CreatedAt = now });
                await SaveNewCaseAsync(ct);
                c.AcceptEvents();
                return new IntakeResult(c, false, queryCode);
            });
        }
        catch (DbUpdateException) when (input.Source == CaseSource.UpperPlatform && !string.IsNullOrWhiteSpace(input.ExternalId) && idempotencyKey is null)
        {
            // Two intakes of the same 市派 at once: the unique index let one through.
            db.ChangeTracker.Clear();
            await RefuseSecondUpperAsync(input.ExternalId.Trim(), ct);
            throw;
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

    /// <summary>
    /// Saves a new case with its event and derived rows, all or nothing, in as few round trips as the database allows
    /// (decision 037). On PostgreSQL the inserts go as one batch, which the server runs in one implicit transaction
    /// (one Sync: a failing statement rolls back the whole batch), so the save is one round trip with no BEGIN and
    /// no COMMIT of its own; a save that needs more than one batch gets a transaction as before. SQLite, which runs
    /// statements one by one, gets EF's own transaction around the save.
    /// </summary>
    async Task SaveNewCaseAsync(CancellationToken ct)
    {
        if (!db.IsPostgres || db.Database.CurrentTransaction is not null)
        {
            await db.SaveChangesAsync(ct);
            return;
        }
        if (db.WithoutChangeScan(t => t.Entries().Count()) > MaxSingleBatchEntries)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Database.AutoSavepointsEnabled = false;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return;
        }
        var behaviour = db.Database.AutoTransactionBehavior;
        db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        try { await db.SaveChangesAsync(ct); }
        finally { db.Database.AutoTransactionBehavior = behaviour; }
    }

    /// <summary>Well under the provider's batch size (EF's default for Npgsql is 1,000 commands): an intake writes 3 to 6 rows.</summary>
    internal const int MaxSingleBatchEntries = 100;

    async Task RefuseSecondUpperAsync(string upperNumber, CancellationToken ct)
    {
        var existing = await db.Cases.AsNoTracking().Where(c => c.Source == CaseSource.UpperPlatform && c.ExternalId == upperNumber)
            .Select(c => c.Number).FirstOrDefaultAsync(ct);
        if (existing is not null)
            throw new ConflictException(Shared.Ui.Pick($"上级交办单 {upperNumber} 已登记为案件 {existing}，不能重复登记。",
                $"The upper platform's case {upperNumber} is already filed here as {existing}: it is not filed twice."));
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

    public static TimeSpan IdempotencyRetention(PlatformOptions platform) => TimeSpan.FromHours(Math.Max(24, platform.IdempotencyHours));

    /// <summary>Forgets idempotency keys past their retention; the clock worker calls this as housekeeping.</summary>
    public async Task<int> PurgeIdempotencyKeysAsync(CancellationToken ct = default)
    {
        var cutoff = clock.GetUtcNow() - IdempotencyRetention(_platform);
        return await db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    public static string HashQueryCode(string number, string code) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(number + ":" + code)));

    /// <summary>One workflow action by a person or a channel, on a case they can see; the desks and the API share this.</summary>
    public async Task<Case> PerformAsync(Guid caseId, CaseAction action, ActionInput input, Actor actor, int? expectedVersion, CaseQueries queries, CancellationToken ct = default)
    {
        var c = await queries.Visible(actor, db.Cases).FirstOrDefaultAsync(x => x.Id == caseId, ct)
            ?? throw new NotFoundException($"Case {caseId} does not exist or is not visible to you.");
        if (expectedVersion is not null && expectedVersion != c.Version)
            throw new ConcurrencyConflictException($"The case is at version {c.Version}, not {expectedVersion}: reload it and decide again.", c.State, c.Version);

        input = await ResolveReferencesAsync(c, action, input, actor, ct);
        input = await DefaultsAsync(c, action, input, ct);
        var touched = new List<Case> { c };
        await ChangeAsync(touched, actor, async (x, ctx) =>
        {
            x.Perform(action, input, ctx);
            // The case a report is merged into records it too.
            if (action == CaseAction.Merge && x == c)
            {
                var number = x.MergedIntoNumber!;
                var target = await db.Cases.FirstAsync(t => t.Number == number, ct);
                target.MergedIn(x.Number, ctx);
                touched.Add(target);
            }
        }, ct: ct);
        return c;
    }

    /// <summary>
    /// The unit of work for cases the caller already holds (tracked) and may change: the change runs through the domain,
    /// then the hooks react in their order (follow-on actions included), the projections apply every new event, and
    /// one SaveChanges writes cases, events and derived rows together. The clock worker, supervision orders, a
    /// citizen's rating link and deadline recomputes come in here; the caller owns any surrounding transaction.
    /// </summary>
    public async Task ChangeAsync(IReadOnlyList<Case> cases, Actor actor, Func<Case, TransitionContext, Task> change, DateTimeOffset? now = null,
        CancellationToken ct = default)
    {
        var ctx = new TransitionContext(actor, now ?? clock.GetUtcNow(), deadlines, Settings);
        // A change may add a case it touched (a merge notes its target): that one is saved, not changed again.
        var given = cases.Count;
        for (var i = 0; i < given; i++) await change(cases[i], ctx);
        foreach (var c in cases) await ProcessAsync(c, ctx, ct);
        // Whoever must act now hears of it now. Where this unit of work is its own transaction (a request), its in-app
        // messages are delivered inside it and commit with the step (decision 037); on PostgreSQL that transaction
        // also carries the NOTIFY that pushes them to open pages, sent at the commit. A caller inside its own
        // transaction (the worker) delivers after its commit.
        var own = notifier is not null && db.Database.CurrentTransaction is null && Queued();
        await using var tx = own && db.IsPostgres ? await db.Database.BeginTransactionAsync(ct) : null;
        // The transaction is the save's alone: all or nothing, no savepoint needed inside it.
        var savepoints = db.Database.AutoSavepointsEnabled;
        if (tx is not null) db.Database.AutoSavepointsEnabled = false;
        var pending = own && await notifier!.DeliverInAppAsync(cases, ct);
        var stored = false;
        try
        {
            await db.SaveChangesAsync(ct);
            if (tx is not null) await tx.CommitAsync(ct);
            stored = true;
        }
        catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || IsUniqueViolation(ex))
        {
            if (tx is not null) await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            var first = cases[0].Id;
            var current = await db.Cases.AsNoTracking().FirstAsync(x => x.Id == first, ct);
            throw new ConcurrencyConflictException("Someone else changed this case first: reload it and decide again.", current.State, current.Version);
        }
        finally
        {
            db.Database.AutoSavepointsEnabled = savepoints;
            if (own) await notifier!.AfterUnitOfWorkAsync(stored, ct);
        }
        foreach (var c in cases) c.AcceptEvents();
        // Messages for the other channels (SMS, e-mail) go out after the commit, from the outbox.
        if (pending) await notifier!.DeliverPendingAsync(ct);
    }

    /// <summary>Whether this unit of work queued messages; an added entity needs no change detection, which would scan every tracked row.</summary>
    bool Queued() => db.WithoutChangeScan(t => t.Entries<Notifications.OutboundMessage>().Any(e => e.State == EntityState.Added));

    /// <summary>The same unit of work for a change that needs nothing asynchronous.</summary>
    public Task ChangeAsync(IReadOnlyList<Case> cases, Actor actor, Action<Case, TransitionContext> change, DateTimeOffset? now = null, CancellationToken ct = default) =>
        ChangeAsync(cases, actor, (c, ctx) => { change(c, ctx); return Task.CompletedTask; }, now, ct);

    /// <summary>
    /// Lets the hooks react to each new event in order (they may add events or ask for follow-on actions, which are
    /// performed here through the domain), then applies the projections, and stages the events for saving.
    /// </summary>
    async Task ProcessAsync(Case c, TransitionContext ctx, CancellationToken ct)
    {
        for (var seen = 0; seen < c.NewEvents.Count; seen++)
        {
            if (seen > 50) throw new InvalidOperationException($"Hooks keep adding events to case {c.Number}: a policy loops.");
            var change = new CaseChange(c, c.NewEvents[seen], ctx);
            foreach (var hook in _hooks) await hook.ReactAsync(change, ct);
            foreach (var (action, input, actor) in change.FollowOns) c.Perform(action, input, ctx with { Actor = actor });
        }
        foreach (var e in c.NewEvents)
            foreach (var projection in _projections) await projection.ApplyAsync(c, e, ct);
        db.CaseEvents.AddRange(c.NewEvents);
    }

    /// <summary>
    /// A historical case built by the importer through the domain (its creation and the steps or facts its source
    /// records): staged with its events and every projection, without the hooks — follow-up tasks, notifications and
    /// repeat detection are policies for live cases, not for history. The importer saves its batch once.
    /// </summary>
    public async Task StageImportedAsync(Case c, CancellationToken ct)
    {
        if (c.Source != CaseSource.Import) throw new InvalidOperationException("Only imported cases are staged without their hooks.");
        db.Cases.Add(c);
        foreach (var e in c.NewEvents)
            foreach (var projection in _projections) await projection.ApplyAsync(c, e, ct);
        db.CaseEvents.AddRange(c.NewEvents);
    }

    /// <summary>What the context of an action by this actor would be now (for lists of allowed actions).</summary>
    public TransitionContext Context(Actor actor) => new(actor, clock.GetUtcNow(), deadlines, Settings);

    /// <summary>
    /// Completes the input with the defaults the workflow needs from outside the case: the inspector who checks the
    /// result (the one who verified it, else the inspector who reported it, else the grid's inspector).
    /// </summary>
    async Task<ActionInput> DefaultsAsync(Case c, CaseAction action, ActionInput input, CancellationToken ct)
    {
        var entersCheck = action == CaseAction.AcceptFeedback || (action == CaseAction.Finish && !_settings.ReviewFeedback);
        if (!entersCheck || c.VerifiedBy is not null) return input;
        string? inspector = null;
        // Only an inspector of the case's own platform (decision 026): a case handed to a sub-centre, or lying in a grid
        // the root's inspector patrols, is not checked by another centre's inspector; with none, intake calls back.
        var platformColumn = c.PlatformCode == _platform.Code ? null : c.PlatformCode;
        // The node's staff directory and grid table where it holds them, current to the last commit on PostgreSQL
        // (decisions 050, 052); else the database. A reporter not in the directory (no longer active) is asked for.
        var staff = directory?.Staff();
        if (Guid.TryParse(c.CreatedBy, out var reporterId))
        {
            var known = staff?.FirstOrDefault(m => m.User.Id == reporterId);
            var isInspector = known is not null
                ? known.User.PlatformCode == platformColumn && known.Roles.Contains(Role.Inspector)
                : await db.Users.AsNoTracking().Where(u => u.Id == reporterId && u.PlatformCode == platformColumn).Select(u => u.Roles).FirstOrDefaultAsync(ct) is { } roles
                    && User.ParseRoles(roles).Contains(Role.Inspector);
            if (isInspector) inspector = c.CreatedBy;
        }
        if (inspector is null && c.GridCode is { } grid)
        {
            var name = reference is { Live: true }
                ? reference.Geo.GridInspectors.GetValueOrDefault(grid)
                : await db.Set<Reference.GridRow>().AsNoTracking().Where(g => g.Code == grid).Select(g => g.Inspector).FirstOrDefaultAsync(ct);
            if (!string.IsNullOrEmpty(name))
                inspector = staff is not null
                    ? staff.FirstOrDefault(m => m.User.UserName == name && m.User.PlatformCode == platformColumn)?.User.Id.ToString()
                    : (await db.Users.AsNoTracking().Where(u => u.UserName == name && !u.Disabled && u.PlatformCode == platformColumn)
                        .Select(u => (Guid?)u.Id).FirstOrDefaultAsync(ct))?.ToString();
        }
        return input with { Inspector = inspector };
    }

    /// <summary>Checks every field of the action against reference data (<see cref="ActionReferences"/>).</summary>
    Task<ActionInput> ResolveReferencesAsync(Case c, CaseAction action, ActionInput input, Actor actor, CancellationToken ct) => references.CheckAsync(c, action, input, Context(actor), ct);

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

    /// <summary>Records a non-transition event (unmasking, an attachment, a supervision reply) on a tracked case.</summary>
    public Task NoteAsync(Case c, string kind, Actor actor, string? opinion, object? payload, CancellationToken ct = default) =>
        ChangeAsync([c], actor, (x, ctx) => x.Note(kind, ctx, opinion, payload), ct: ct);

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
        return await StoreAttachmentAsync(c, Path.GetFileName(file.FileName), type, bytes, actor, ct);
    }

    /// <summary>Stores content already checked by its caller on a tracked case, and logs it (the citizen portal comes in here too).</summary>
    public async Task<AttachmentDto> StoreAttachmentAsync(Case c, string fileName, string contentType, byte[] bytes, Actor actor, CancellationToken ct = default,
        byte[]? thumbnail = null)
    {
        // An image must decode as one: its thumbnail is made now (unless the caller already decoded it) and kept with it
        // (decision record 024).
        thumbnail ??= Attachments.Thumbnails.IsImage(contentType)
            ? Attachments.Thumbnails.TryMake(bytes) ?? throw CaseValidationException.Single("file",
                $"'{fileName}' is not a readable JPEG, PNG or WebP image.")
            : null;
        var a = new Attachment
        {
            CaseId = c.Id, FileName = fileName, ContentType = contentType, Size = bytes.Length, Content = bytes,
            UploadedBy = actor.Id, UploadedAt = clock.GetUtcNow(), Thumbnail = thumbnail,
        };
        if (store is not null) await store.KeepAsync(a, bytes, ct);
        db.Attachments.Add(a);
        await NoteAsync(c, "attach", actor, null, new { attachmentId = a.Id, fileName = a.FileName, size = a.Size }, ct);
        return new AttachmentDto(a.Id, a.FileName, a.ContentType, a.Size, a.UploadedAt, thumbnail is not null);
    }

    public async Task<IReadOnlyList<AttachmentDto>> AttachmentsAsync(Guid caseId, CancellationToken ct = default) =>
        await db.Attachments.AsNoTracking().Where(a => a.CaseId == caseId).OrderBy(a => a.UploadedAt)
            .Select(a => new AttachmentDto(a.Id, a.FileName, a.ContentType, a.Size, a.UploadedAt, a.Thumbnail != null)).ToListAsync(ct);

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
