using System.Text.RegularExpressions;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Privacy;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Calls;

/// <summary>A CTI event about one call: the same call id may be reported several times as the call goes on.</summary>
public sealed record CallEvent(string? CallId, string? Caller, string? CalledLine, string? Recording, DateTimeOffset? QueuedAt,
    DateTimeOffset? AnsweredAt, DateTimeOffset? EndedAt, string? Agent);

public sealed record CallDto(Guid Id, string CallId, string? Caller, string CalledLine, string? Recording, DateTimeOffset QueuedAt,
    DateTimeOffset? AnsweredAt, DateTimeOffset? EndedAt, int? WaitSeconds, int? TalkSeconds, string Outcome, string? Agent, string? CaseNumber,
    string? Emergency, CallbackDto? Callback, bool CalledAgain);

public sealed record CallbackDto(DateTimeOffset At, string By, bool Reached, string? Note);

public sealed record CallbackRequest(bool? Reached, string? Note);

public sealed record CallRecorded(CallRecord Call, bool Created);

/// <summary>
/// The hotline's call records: written by the telephone system (or an agent's session), read by the agent desktop,
/// the call-back list and the call figures.
/// </summary>
public sealed partial class CallLog(CityLoopDb db, TimeProvider clock, IOptions<PlatformOptions> platform)
{
    public static readonly IReadOnlySet<Role> Writers = new HashSet<Role> { Role.Telephony, Role.HotlineAgent };
    public static readonly IReadOnlySet<Role> Readers = new HashSet<Role> { Role.HotlineAgent, Role.ShiftLeader, Role.Supervisor };
    /// <summary>Who calls the missed callers back and records it.</summary>
    public static readonly IReadOnlySet<Role> CallbackRoles = new HashSet<Role> { Role.HotlineAgent, Role.ShiftLeader };
    public static readonly IReadOnlyList<string> EmergencyServices = ["110", "119", "120", "122"];

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex CallIdPattern();

    /// <summary>
    /// Records a CTI event. The first report of a call id creates its record; later ones add what was not known yet
    /// (the answer, the end, the recording); a report that contradicts what is stored is refused; a repeat changes nothing.
    /// </summary>
    public async Task<CallRecorded> RecordAsync(CallEvent e, Actor actor, CancellationToken ct = default)
    {
        if (!actor.Roles.Any(Writers.Contains)) throw new CaseForbiddenException("Calls are reported by the telephone system or a hotline agent.");
        var errors = new Dictionary<string, string[]>();
        var callId = e.CallId?.Trim();
        if (callId is null || !CallIdPattern().IsMatch(callId)) errors["callId"] = ["A call id has 1 to 64 letters, digits or . _ : -."];
        var caller = string.IsNullOrWhiteSpace(e.Caller) ? null : PersonalDataKeys.Normalise(e.Caller);
        if (e.Caller is { Length: > 0 } && !string.IsNullOrWhiteSpace(e.Caller) && (caller is null || caller.Length is < 3 or > 20
            || !e.Caller.All(ch => char.IsAsciiDigit(ch) || ch is ' ' or '+' or '-')))
            errors["caller"] = ["The caller's number has 3 to 20 digits (spaces, '+' and '-' allowed); leave it out when withheld."];
        var line = e.CalledLine?.Trim();
        if (string.IsNullOrEmpty(line) || line.Length > 32 || !line.All(ch => char.IsAsciiDigit(ch) || ch is '-' or '+'))
            errors["calledLine"] = ["The called line is the number dialled (digits, up to 32)."];
        if (e.Recording is { Length: > 500 }) errors["recording"] = ["A recording reference has at most 500 characters."];
        var now = clock.GetUtcNow();
        if (e.QueuedAt is null) errors["queuedAt"] = ["When the call reached the hotline (queuedAt) is required."];
        else if (e.QueuedAt > now.AddMinutes(5)) errors["queuedAt"] = ["queuedAt is in the future."];
        if (e.AnsweredAt is not null && e.QueuedAt is not null && e.AnsweredAt < e.QueuedAt) errors["answeredAt"] = ["A call is answered after it queued."];
        if (e.EndedAt is not null && e.EndedAt < (e.AnsweredAt ?? e.QueuedAt)) errors["endedAt"] = ["A call ends after it was answered (or queued)."];
        if (e.Agent is { Length: > 100 }) errors["agent"] = ["An agent's user name has at most 100 characters."];
        if (errors.Count > 0) throw new CaseValidationException(errors);

        // Times are kept to the millisecond on both databases: a repeated report must compare equal to what was stored.
        e = e with { QueuedAt = Ms(e.QueuedAt), AnsweredAt = Ms(e.AnsweredAt), EndedAt = Ms(e.EndedAt) };
        var (agentId, agentName) = await AgentAsync(e.Agent, e.AnsweredAt, actor, ct);
        try
        {
            return await UpsertAsync(e, callId!, caller, line!, agentId, agentName, actor, ct);
        }
        catch (DbUpdateException)
        {
            // The same call reported twice at once: the other report created it; merge this one into it.
            db.ChangeTracker.Clear();
            return await UpsertAsync(e, callId!, caller, line!, agentId, agentName, actor, ct);
        }
    }

    async Task<(string? Id, string? Name)> AgentAsync(string? agent, DateTimeOffset? answeredAt, Actor actor, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(agent))
        {
            var name = agent.Trim();
            var user = await db.Users.AsNoTracking().Where(u => u.UserName == name && !u.Disabled).Select(u => new { u.Id, u.DisplayName, u.Roles }).FirstOrDefaultAsync(ct);
            if (user is null || !User.ParseRoles(user.Roles).Contains(Role.HotlineAgent))
                throw CaseValidationException.Single("agent", $"'{name}' is not a hotline agent's user name.");
            return (user.Id.ToString(), user.DisplayName);
        }
        // An agent reporting a call they answered themselves.
        if (answeredAt is not null && !actor.IsSystem && actor.Has(Role.HotlineAgent)) return (actor.Id, actor.Name);
        return (null, null);
    }

    async Task<CallRecorded> UpsertAsync(CallEvent e, string callId, string? caller, string line, string? agentId, string? agentName, Actor actor, CancellationToken ct)
    {
        var code = platform.Value.Code;
        var now = clock.GetUtcNow();
        var call = await db.Set<CallRecord>().FirstOrDefaultAsync(c => c.PlatformCode == code && c.CallId == callId, ct);
        var created = call is null;
        if (call is null)
        {
            call = new CallRecord
            {
                PlatformCode = code, CallId = callId, CallerPhone = caller, CallerPhoneHash = db.PersonalData.PhoneHash(caller), CalledLine = line,
                RecordingRef = Blank(e.Recording), QueuedAt = e.QueuedAt!.Value, AnsweredAt = e.AnsweredAt, EndedAt = e.EndedAt,
                AgentId = agentId, AgentName = agentName, ReportedBy = actor.Id, CreatedAt = now, UpdatedAt = now,
            };
            call.Derive();
            db.Set<CallRecord>().Add(call);
            await db.SaveChangesAsync(ct);
            return new CallRecorded(call, true);
        }
        var conflicts = new List<string>();
        if (caller is not null && !string.Equals(PersonalDataKeys.Normalise(call.CallerPhone), caller, StringComparison.Ordinal)) conflicts.Add("caller");
        if (!string.Equals(call.CalledLine, line, StringComparison.Ordinal)) conflicts.Add("calledLine");
        if (e.QueuedAt != call.QueuedAt) conflicts.Add("queuedAt");
        if (e.AnsweredAt is { } answered)
        {
            if (call.AnsweredAt is null) call.AnsweredAt = answered;
            else if (call.AnsweredAt != answered) conflicts.Add("answeredAt");
        }
        if (e.EndedAt is { } ended)
        {
            if (call.EndedAt is null) call.EndedAt = ended;
            else if (call.EndedAt != ended) conflicts.Add("endedAt");
        }
        if (Blank(e.Recording) is { } recording)
        {
            if (call.RecordingRef is null) call.RecordingRef = recording;
            else if (call.RecordingRef != recording) conflicts.Add("recording");
        }
        if (agentId is not null)
        {
            if (call.AgentId is null) (call.AgentId, call.AgentName) = (agentId, agentName);
            else if (call.AgentId != agentId) conflicts.Add("agent");
        }
        if (conflicts.Count > 0)
            throw new ConflictException($"Call {callId} is already recorded with a different {string.Join(", ", conflicts)}: a call's facts do not change.");
        if (call.AnsweredAt is not null && call.EndedAt is not null && call.EndedAt < call.AnsweredAt)
            throw CaseValidationException.Single("endedAt", "A call ends after it was answered.");
        call.Derive();
        if (db.Entry(call).State == EntityState.Modified)
        {
            call.UpdatedAt = now;
            call.Version++;
            await db.SaveChangesAsync(ct);
        }
        return new CallRecorded(call, created);
    }

    /// <summary>Missed calls waiting for a call-back (open) or called back (done), oldest first; withheld numbers cannot be called.</summary>
    public async Task<IReadOnlyList<CallDto>> CallbacksAsync(Actor actor, bool done, int take = 200, CancellationToken ct = default)
    {
        Require(actor, Readers, "Call lists are for hotline agents, shift leaders and supervisors.");
        // The calls are the hotline's, recorded on the root platform (the city's 12345 line): its missed callers are the
        // root's staff's to call back. A sub-centre's staff list their own platform's calls only — never the city's
        // callers' numbers (decision 026, addendum 2).
        var code = actor.PlatformCode ?? platform.Value.Code;
        var q = db.Set<CallRecord>().AsNoTracking().Where(c => c.PlatformCode == code && c.Missed == 1 && c.CallerPhoneHash != null);
        q = done ? q.Where(c => c.CallbackAt != null).OrderByDescending(c => c.CallbackAt) : q.Where(c => c.CallbackAt == null).OrderBy(c => c.QueuedAt);
        var calls = await q.Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
        // A caller who got through since does not need chasing as urgently: the list says so.
        var hashes = calls.Select(c => c.CallerPhoneHash!).Distinct().ToList();
        var since = calls.Count == 0 ? clock.GetUtcNow() : calls.Min(c => c.QueuedAt);
        var answeredLater = (await db.Set<CallRecord>().AsNoTracking()
                .Where(c => c.PlatformCode == code && c.Answered == 1 && c.QueuedAt > since && hashes.Contains(c.CallerPhoneHash!))
                .Select(c => new { c.CallerPhoneHash, c.QueuedAt }).ToListAsync(ct))
            .ToLookup(c => c.CallerPhoneHash!, c => c.QueuedAt);
        return calls.Select(c => Dto(c, actor, answeredLater[c.CallerPhoneHash!].Any(at => at > c.QueuedAt))).ToList();
    }

    /// <summary>Records that a missed caller was called back: by whom, when, whether they were reached.</summary>
    public async Task<CallDto> CallBackAsync(Guid id, CallbackRequest body, Actor actor, CancellationToken ct = default)
    {
        Require(actor, CallbackRoles, "Missed calls are called back by hotline agents and shift leaders.");
        if (body.Note is { Length: > InputLimits.Opinion }) throw CaseValidationException.Single("note", $"A note has at most {InputLimits.Opinion} characters.");
        var call = await Find(id, actor.PlatformCode ?? platform.Value.Code, ct);
        if (call.Missed != 1) throw new CaseRuleException("callback-missed-only", "Only a missed call is called back.");
        if (call.CallbackAt is not null) throw new ConflictException($"This call was already called back by {call.CallbackByName}.");
        if (call.CallerPhone is null) throw new CaseRuleException("callback-no-number", "The caller's number was withheld or erased: there is no one to call back.");
        call.CallbackAt = clock.GetUtcNow();
        call.CallbackById = actor.Id;
        call.CallbackByName = actor.Name;
        call.CallbackReached = body.Reached ?? true;
        call.CallbackNote = Blank(body.Note);
        call.UpdatedAt = call.CallbackAt.Value;
        call.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConflictException("Someone else recorded this call-back first.");
        }
        return Dto(call, actor, false);
    }

    /// <summary>The call answered by this agent that is still going on and has no case yet: what the desktop pops.</summary>
    public async Task<CallRecord?> RingingForAsync(Actor actor, CancellationToken ct = default)
    {
        var since = clock.GetUtcNow().AddHours(-2);
        return await db.Set<CallRecord>().AsNoTracking()
            .Where(c => c.AgentId == actor.Id && c.AnsweredAt != null && c.AnsweredAt >= since && c.EndedAt == null && c.CaseId == null)
            .OrderByDescending(c => c.AnsweredAt).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// A call the desk opens for this person: one of their platform's (the root's staff the hotline's), or one they
    /// answered themselves (an agent of a sub-centre taking a call of the city's line); any other is not there (404).
    /// </summary>
    public async Task<CallRecord> FindForAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        var code = actor.PlatformCode ?? platform.Value.Code;
        return await db.Set<CallRecord>().FirstOrDefaultAsync(c => c.Id == id && (c.PlatformCode == code || c.AgentId == actor.Id), ct)
            ?? throw new NotFoundException($"Call {id} does not exist.");
    }

    /// <summary>A call of the platform <paramref name="platformCode"/>; another platform's is not there (404).</summary>
    public async Task<CallRecord> Find(Guid id, string platformCode, CancellationToken ct = default) =>
        await db.Set<CallRecord>().FirstOrDefaultAsync(c => c.Id == id && c.PlatformCode == platformCode, ct)
        ?? throw new NotFoundException($"Call {id} does not exist.");

    /// <summary>Links the call to the case registered from it (the first one) and notes an emergency transfer on it.</summary>
    public async Task LinkAsync(Guid callId, Case c, string? emergency, CancellationToken ct = default)
    {
        // The hotline's calls are the root's; an agent of any platform answering one files the case on their own.
        var root = platform.Value.Code;
        var call = await db.Set<CallRecord>().FirstOrDefaultAsync(x => x.Id == callId && (x.PlatformCode == root || x.PlatformCode == c.PlatformCode), ct)
            ?? throw new NotFoundException($"Call {callId} does not exist.");
        if (call.CaseId is null) (call.CaseId, call.CaseNumber) = (c.Id, c.Number);
        if (emergency is not null) call.Emergency = emergency;
        call.UpdatedAt = clock.GetUtcNow();
        call.Version++;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Calls from this number in the last days (for the caller panel's repeat flag).</summary>
    public async Task<int> RecentCallsAsync(string phone, int days, CancellationToken ct = default)
    {
        var hashes = db.PersonalData.PhoneHashes(phone);
        var since = clock.GetUtcNow().AddDays(-days);
        return await db.Set<CallRecord>().AsNoTracking().Where(c => c.QueuedAt >= since).CountAsync(Privacy.HashMatch.AnyOf<CallRecord>(c => c.CallerPhoneHash, hashes), ct);
    }

    public static CallDto Dto(CallRecord c, Actor actor, bool calledAgain) => new(c.Id, c.CallId,
        actor.Roles.Any(Roles.ReporterContact.Contains) ? c.CallerPhone : Mask(c.CallerPhone), c.CalledLine, c.RecordingRef, c.QueuedAt,
        c.AnsweredAt, c.EndedAt, c.WaitSeconds, c.TalkSeconds, Outcome(c), c.AgentName, c.CaseNumber, c.Emergency,
        c.CallbackAt is { } at ? new CallbackDto(at, c.CallbackByName ?? "", c.CallbackReached ?? true, c.CallbackNote) : null, calledAgain);

    /// <summary>answered, missed (hung up before an answer) or queued (still waiting, as far as the record knows).</summary>
    public static string Outcome(CallRecord c) => c.Answered == 1 ? "answered" : c.Missed == 1 ? "missed" : "queued";

    public static string? Mask(string? phone) => phone is null ? null : phone.Length <= 7 ? new string('*', phone.Length)
        : phone[..3] + new string('*', phone.Length - 7) + phone[^4..];

    static void Require(Actor actor, IReadOnlySet<Role> roles, string message)
    {
        if (!actor.Roles.Any(roles.Contains)) throw new CaseForbiddenException(message);
    }

    static DateTimeOffset? Ms(DateTimeOffset? t) => t is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v.ToUnixTimeMilliseconds()) : null;

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
