using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Privacy;

public sealed record CitizenCaseDto(string Number, string State, string Source, string RequestType, string? CategoryCode, string Description,
    string? IncidentAddress, string? ReporterName, string? ReporterPhone, string? ReporterAddress, bool Confidential,
    DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt, string? Answer, string? Result, string? FollowUpSatisfaction, string? FollowUpComment,
    IReadOnlyList<CitizenEventDto> Events);
public sealed record CitizenEventDto(DateTimeOffset At, string Action, string? State);
public sealed record CitizenMessageDto(DateTimeOffset At, string Channel, string Text, string Status);
public sealed record CitizenExportDto(string Phone, DateTimeOffset GeneratedAt, IReadOnlyList<CitizenCaseDto> Cases, IReadOnlyList<CitizenMessageDto> Messages);
public sealed record CitizenLookupDto(string Reference, IReadOnlyList<CitizenCaseSummaryDto> Cases);
public sealed record CitizenCaseSummaryDto(string Number, string State, DateTimeOffset CreatedAt);
public sealed record CitizenEraseDto(string Reference, int CasesErased, int MessagesRedacted, IReadOnlyList<string> Numbers);

/// <summary>
/// Personal data of callers over its life: the retention pass anonymises ended cases after <c>Privacy:RetentionDays</c>,
/// and a citizen's own request (PIPL art. 45, 47) is answered by export and erasure. The case, its history and its
/// figures stay; only the reporter's name, phone and address go, through the case (an event says why, not what).
/// </summary>
public sealed class CitizenData(CityLoopDb db, PersonalDataKeys keys, CaseCommands commands, Audit audit, TimeProvider clock, IOptions<PrivacyOptions> options)
{
    public static readonly Actor RetentionWorker = new("system:retention", "个人信息保留期限", new HashSet<Role> { Role.BackgroundWorker }, null, IsSystem: true);

    /// <summary>
    /// The security administrator answers citizens' requests: the system administrator runs accounts and the audit
    /// administrator must be able to review the erasure, so neither may perform it (三权分立).
    /// </summary>
    public const Role RequestRole = Role.SecurityAdmin;

    public static readonly string[] EndedStates = CaseStates.Terminal.Select(s => s.ToString()).ToArray();

    /// <summary>A pseudonymous reference to a caller for the audit trail: the keyed phone hash, never the number.</summary>
    public string Reference(string phone) => "phone#" + (keys.PhoneHash(phone) ?? throw CaseValidationException.Single("phone", "Give a phone number."));

    /// <summary>Anonymises the reporter of every case that ended before the retention period; returns how many.</summary>
    public async Task<int> AnonymiseExpiredAsync(CancellationToken ct = default)
    {
        var cutoff = clock.GetUtcNow().AddDays(-Math.Max(1, options.Value.RetentionDays));
        // Calls older than the retention period lose the caller's number too.
        var calls = await ForgetCallersAsync(db.Set<Calls.CallRecord>().Where(c => c.QueuedAt < cutoff), ct);
        if (calls > 0) await audit.WriteAsync(RetentionWorker.Id, RetentionWorker.Name, "privacy-retention", $"{calls} calls", detail: $"callers' numbers of calls before {cutoff:O} erased");
        var total = 0;
        while (true)
        {
            var n = await AnonymiseBatchAsync(cutoff, ct);
            total += n;
            if (n < options.Value.BatchSize) return total;
        }
    }

    async Task<int> AnonymiseBatchAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        var size = options.Value.BatchSize;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var terminal = CaseStates.Terminal.ToList();
        // The filter repeats the partial index's predicate so that both databases read only what is due.
        var batch = db.IsPostgres
            ? await db.Cases.FromSqlRaw(
                """
                SELECT * FROM cases WHERE updated_at < {0}
                  AND (reporter_name IS NOT NULL OR reporter_phone IS NOT NULL OR reporter_address IS NOT NULL)
                  AND state IN ('Rejected', 'Closed', 'Transferred', 'Cancelled')
                ORDER BY updated_at LIMIT {1} FOR UPDATE SKIP LOCKED
                """, cutoff, size).ToListAsync(ct)
            : await db.Cases.Where(c => c.UpdatedAt < cutoff && (c.ReporterName != null || c.ReporterPhone != null || c.ReporterAddress != null)
                && terminal.Contains(c.State)).OrderBy(c => c.UpdatedAt).Take(size).ToListAsync(ct);
        if (batch.Count == 0) return 0;
        await RedactMessagesAsync(batch.Select(c => c.Id).ToList(), ct);
        audit.Add(RetentionWorker.Id, RetentionWorker.Name, "privacy-retention", $"{batch.Count} cases",
            detail: $"reporter data of cases ended before {cutoff:O} anonymised: {string.Join(",", batch.Select(c => c.Number))}");
        await commands.ChangeAsync(batch, RetentionWorker, (c, ctx) => c.ForgetReporter("retention", ctx), ct: ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return batch.Count;
    }

    /// <summary>Call records keep their times and counters (接通率 stays) but lose the caller's number.</summary>
    static Task<int> ForgetCallersAsync(IQueryable<Calls.CallRecord> calls, CancellationToken ct) =>
        calls.Where(c => c.CallerPhoneHash != null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.CallerPhone, (string?)null).SetProperty(c => c.CallerPhoneHash, (string?)null), ct);

    /// <summary>The citizen's SMS (follow-up links) keep their text but lose the number they went to.</summary>
    async Task<int> RedactMessagesAsync(IReadOnlyList<Guid> caseIds, CancellationToken ct) =>
        await db.Set<OutboundMessage>()
            .Where(m => m.CaseId != null && caseIds.Contains(m.CaseId.Value) && m.UserId == null && m.Channel == "sms" && m.Status != "pending")
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Recipient, "reporter (erased)"), ct);

    public async Task<CitizenLookupDto> LookupAsync(string? phone, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        var reference = Reference(phone!);
        var cases = await db.Cases.AsNoTracking().WithReporterPhone(keys, phone!).OrderBy(c => c.CreatedAt).ThenBy(c => c.Number)
            .Select(c => new { c.Number, c.State, c.CreatedAt }).ToListAsync(ct);
        audit.Add(actor.Id, actor.Name, "citizen-lookup", reference, detail: $"{cases.Count} cases");
        await db.SaveChangesAsync(ct);
        return new CitizenLookupDto(reference, cases.Select(c => new CitizenCaseSummaryDto(c.Number, Domain.Kebab.From(c.State.ToString()), c.CreatedAt)).ToList());
    }

    /// <summary>Everything the platform holds about the caller with this number: their cases with what they said and were told.</summary>
    public async Task<CitizenExportDto> ExportAsync(string? phone, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        var reference = Reference(phone!);
        var cases = await db.Cases.AsNoTracking().WithReporterPhone(keys, phone!).OrderBy(c => c.CreatedAt).ThenBy(c => c.Number).ToListAsync(ct);
        var ids = cases.Select(c => c.Id).ToList();
        var events = (await db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId)).OrderBy(e => e.Seq).ToListAsync(ct)).ToLookup(e => e.CaseId);
        var messages = await db.Set<OutboundMessage>().AsNoTracking()
            .Where(m => m.CaseId != null && ids.Contains(m.CaseId.Value) && m.UserId == null)
            .OrderBy(m => m.CreatedAt).Select(m => new CitizenMessageDto(m.CreatedAt, m.Channel, m.Body, m.Status)).ToListAsync(ct);
        var dto = new CitizenExportDto(PersonalDataKeys.Normalise(phone)!, clock.GetUtcNow(), cases.Select(c => new CitizenCaseDto(
            c.Number, Domain.Kebab.From(c.State.ToString()), Domain.Kebab.From(c.Source.ToString()), Domain.Kebab.From(c.RequestType.ToString()),
            c.CategoryCode, c.Description, c.Address, c.ReporterName, c.ReporterPhone, c.ReporterAddress, c.Confidential, c.CreatedAt, c.ClosedAt,
            c.Answer, c.Result, c.FollowUpSatisfaction is { } s ? Domain.Kebab.From(s.ToString()) : null, c.FollowUpComment,
            events[c.Id].Select(e => new CitizenEventDto(e.At, e.Action, Domain.Kebab.From(e.ToState.ToString()))).ToList())).ToList(), messages);
        audit.Add(actor.Id, actor.Name, "citizen-export", reference, detail: $"{cases.Count} cases: {string.Join(",", cases.Select(c => c.Number))}");
        await db.SaveChangesAsync(ct);
        return dto;
    }

    /// <summary>Erases the caller's identity from every case they reported (open ones too: they asked), audited.</summary>
    public async Task<CitizenEraseDto> EraseAsync(string? phone, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        var reference = Reference(phone!);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var cases = await db.Cases.WithReporterPhone(keys, phone!).OrderBy(c => c.CreatedAt).ThenBy(c => c.Number).ToListAsync(ct);
        var erased = cases.Where(c => c.ReporterName is not null || c.ReporterPhone is not null || c.ReporterAddress is not null).ToList();
        var redacted = await RedactMessagesAsync(cases.Select(c => c.Id).ToList(), ct);
        var hashes = keys.PhoneHashes(phone);
        var calls = await ForgetCallersAsync(db.Set<Calls.CallRecord>().Where(HashMatch.AnyOf<Calls.CallRecord>(c => c.CallerPhoneHash, hashes)), ct);
        audit.Add(actor.Id, actor.Name, "citizen-erase", reference,
            detail: $"{erased.Count} cases: {string.Join(",", erased.Select(c => c.Number))}; {redacted} messages; {calls} calls");
        if (erased.Count > 0) await commands.ChangeAsync(erased, actor, (c, ctx) => c.ForgetReporter("citizen-request", ctx), ct: ct);
        else await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new CitizenEraseDto(reference, erased.Count, redacted, erased.Select(c => c.Number).ToList());
    }

    static void Require(Actor actor)
    {
        if (!actor.Has(RequestRole)) throw new CaseForbiddenException($"Citizens' data requests are answered by the {RequestRole.ToKebab()} role.");
        // A citizen's cases and calls span the deployment's platforms, and erasure is all or nothing: the requests are
        // answered for the whole deployment by the root's security administrators (decision 026, addendum 2).
        if (!actor.AtRoot)
            throw new CaseForbiddenException(Shared.Ui.Pick("个人信息请求涉及全部署的案件和来电，由市级平台的安全管理员办理。",
                "Citizens' data requests cover the whole deployment's cases and calls: the root platform's security administrators answer them."));
    }
}
