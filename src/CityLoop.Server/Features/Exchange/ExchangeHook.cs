using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// What a receipt in progress tells the hook: the link and the inbox row to complete with the case intake is creating,
/// so that they are saved in intake's own unit of work.
/// </summary>
public sealed class ExchangeReceipt
{
    public ExchangeLink? PendingLink { get; set; }
    public ExchangeInboxRow? PendingInbox { get; set; }
}

/// <summary>
/// Writes the messages a case change owes the peers into the outbox, in the same unit of work as the change: a
/// dispatch to a lower peer's stand-in department sends the case down (市派); a transfer to an upper peer reports it up
/// (上报), or returns it when the upper sent it; every event of a case a peer sent goes back to that peer (its status,
/// the result with photos when it closes, the follow-up). Runs after the policies, so their follow-ons are seen too.
/// </summary>
public sealed class ExchangeHook(CityLoopDb db, IOptions<ExchangeOptions> options, ExchangeReceipt receipt, TimeProvider clock) : ICaseHook
{
    readonly ExchangeOptions _options = options.Value;
    readonly Dictionary<Guid, List<ExchangeLink>> _links = [];

    public int Order => 1000;

    public static string PeerActorId(string peerCode) => "peer:" + peerCode;

    public async Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        if (_options.Peers.Count == 0) return;
        var c = change.Case;
        var e = change.Event;
        var links = await LinksAsync(c, ct);

        if (e.Action == "create" && receipt.PendingLink is { } pending)
        {
            pending.CaseId = c.Id;
            db.Add(pending);
            links.Add(pending);
            if (receipt.PendingInbox is { } inbox) inbox.CaseId = c.Id;
            receipt.PendingLink = null;
        }

        string? handledPeer = null;
        if (e.Action is "dispatch" or "redispatch" && _options.LowerByDepartment(c.LeadDepartmentCode) is { } lower)
        {
            var link = Link(links, lower.Code, c, origin: true);
            Enqueue(link, c, ExchangeMessage.Kinds.Dispatch, new ExchangeMessage { Case = CaseOf(c, c.HandlingDueAt), Opinion = e.Opinion });
            handledPeer = lower.Code;
        }
        else if (e.Action == "transfer" && _options.Find(c.TransferTarget) is { IsUpper: true } upper)
        {
            var reason = Str(e.Payload, "reason") ?? e.Opinion;
            var existing = links.FirstOrDefault(l => l.PeerCode == upper.Code);
            if (existing is { Origin: false })
                Enqueue(existing, c, ExchangeMessage.Kinds.Return, new ExchangeMessage { Reason = reason, Action = e.Action, State = Kebab.From(e.ToState.ToString()) });
            else
                Enqueue(Link(links, upper.Code, c, origin: true), c, ExchangeMessage.Kinds.Report, new ExchangeMessage { Case = CaseOf(c, null), Reason = reason });
            handledPeer = upper.Code;
        }

        // A case this platform sent down that moves: redispatched elsewhere it is recalled (撤回); back with the lower's
        // department after a failed check, a rejected report or a reopening, it goes down again as rework (返工).
        foreach (var link in links.Where(l => l.Origin && l.PeerCode != handledPeer).ToList())
        {
            if (_options.Find(link.PeerCode) is not { IsLower: true } lowerPeer || e.ActorId == PeerActorId(link.PeerCode)) continue;
            var withLower = c.LeadDepartmentCode == lowerPeer.DepartmentCode;
            if (e.Action == "redispatch" && !withLower && await HoldsAsync(link, c, ct))
                Enqueue(link, c, ExchangeMessage.Kinds.Recall, new ExchangeMessage { Reason = Str(e.Payload, "reason") ?? e.Opinion, Action = e.Action, State = Kebab.From(e.ToState.ToString()) });
            else if (e.Action is "check-fail" or "reject-feedback" or "reopen" && withLower && e.ToState == CaseState.Handling)
                Enqueue(link, c, ExchangeMessage.Kinds.Rework, new ExchangeMessage
                {
                    Reason = Str(e.Payload, "reason") ?? e.Opinion, Action = e.Action, State = Kebab.From(e.ToState.ToString()),
                    Case = CaseOf(c, c.HandlingDueAt),
                });
        }

        foreach (var link in links.Where(l => !l.Origin && l.PeerCode != handledPeer).ToList())
        {
            // Taking the case in (or matching it to one entered by hand) is the acknowledgement the sender waits for.
            var received = e.Action is "create" or "peer-linked";
            // What the peer's own messages did here is no news to it; reminders and other notes stay here.
            if (!received && (e.ActorId == PeerActorId(link.PeerCode) || !TransitionTable.TryParseAction(e.Action, out _))) continue;
            var state = Kebab.From(e.ToState.ToString());
            switch (e.Action)
            {
                case "close" or "answer-directly" or "self-handle":
                    Enqueue(link, c, ExchangeMessage.Kinds.Result, new ExchangeMessage
                    {
                        Action = e.Action, State = state, Opinion = e.Opinion, Result = c.Result ?? c.Answer, AttachmentIds = await ResultPhotosAsync(c, ct),
                    });
                    break;
                case "follow-up":
                    Enqueue(link, c, ExchangeMessage.Kinds.FollowUp, new ExchangeMessage
                    {
                        Action = e.Action, State = state,
                        FollowUp = new ExchangeFollowUp(c.FollowUpContacted, c.FollowUpResolved, c.FollowUpSatisfaction, c.FollowUpComment),
                    });
                    break;
                default:
                    // Every other event — transitions and notes alike — is progress the peer shows on its side.
                    Enqueue(link, c, ExchangeMessage.Kinds.Status, new ExchangeMessage { Action = received ? "create" : e.Action, State = state, Opinion = e.Opinion });
                    break;
            }
        }
    }

    /// <summary>Whether the lower peer holds the case now: the last message sent it was the case (dispatch or rework), not a recall.</summary>
    async Task<bool> HoldsAsync(ExchangeLink link, Case c, CancellationToken ct)
    {
        var pending = db.ChangeTracker.Entries<ExchangeOutboxRow>()
            .Where(x => x.State == EntityState.Added && x.Entity.PeerCode == link.PeerCode && x.Entity.CaseId == c.Id)
            .OrderByDescending(x => x.Entity.Seq).Select(x => x.Entity.Kind).FirstOrDefault();
        var last = pending ?? await db.Set<ExchangeOutboxRow>().AsNoTracking().Where(o => o.PeerCode == link.PeerCode && o.CaseId == c.Id)
            .OrderByDescending(o => o.Seq).Select(o => o.Kind).FirstOrDefaultAsync(ct);
        return last is ExchangeMessage.Kinds.Dispatch or ExchangeMessage.Kinds.Rework;
    }

    async Task<List<ExchangeLink>> LinksAsync(Case c, CancellationToken ct)
    {
        if (_links.TryGetValue(c.Id, out var cached)) return cached;
        var loaded = await db.Set<ExchangeLink>().Where(l => l.CaseId == c.Id).ToListAsync(ct);
        foreach (var added in db.ChangeTracker.Entries<ExchangeLink>().Where(x => x.State == EntityState.Added && x.Entity.CaseId == c.Id))
            if (!loaded.Contains(added.Entity)) loaded.Add(added.Entity);
        _links[c.Id] = loaded;
        return loaded;
    }

    ExchangeLink Link(List<ExchangeLink> links, string peer, Case c, bool origin)
    {
        var link = links.FirstOrDefault(l => l.PeerCode == peer);
        if (link is not null) return link;
        link = new ExchangeLink { PeerCode = peer, CaseId = c.Id, Origin = origin, CreatedAt = clock.GetUtcNow() };
        db.Add(link);
        links.Add(link);
        return link;
    }

    void Enqueue(ExchangeLink link, Case c, string kind, ExchangeMessage message)
    {
        link.SeqOut++;
        var now = clock.GetUtcNow();
        var row = new ExchangeOutboxRow { PeerCode = link.PeerCode, CaseId = c.Id, Seq = link.SeqOut, Kind = kind, CreatedAt = now, NextAttemptAt = now };
        message = message with
        {
            MessageId = row.MessageId, Kind = kind, From = c.PlatformCode, CaseNumber = c.Number, PeerCaseNumber = link.RemoteNumber,
            Seq = row.Seq, OccurredAt = now,
        };
        row.Body = JsonSerializer.Serialize(message, ExchangeMessage.Json);
        db.Add(row);
    }

    static ExchangeCase CaseOf(Case c, DateTimeOffset? dueAt) => new()
    {
        RequestType = c.RequestType, Description = c.Description, Title = c.Title, CategoryCode = c.CategoryCode,
        Lat = c.Latitude, Lon = c.Longitude, Address = c.Address, Urgency = c.Urgency,
        ReporterName = c.Anonymous ? null : c.ReporterName, ReporterPhone = c.Anonymous ? null : c.ReporterPhone,
        Confidential = c.Confidential, Anonymous = c.Anonymous, DueAt = dueAt,
    };

    /// <summary>The photos of the handling report that stands: those of the last 'finish' (or of the on-the-spot fix).</summary>
    async Task<IReadOnlyList<Guid>?> ResultPhotosAsync(Case c, CancellationToken ct)
    {
        var payload = c.NewEvents.LastOrDefault(x => x.Action is "finish" or "self-handle")?.Payload
            ?? await db.CaseEvents.AsNoTracking().Where(x => x.CaseId == c.Id && (x.Action == "finish" || x.Action == "self-handle"))
                .OrderByDescending(x => x.Seq).Select(x => x.Payload).FirstOrDefaultAsync(ct);
        if (payload is null) return null;
        using var doc = JsonDocument.Parse(payload);
        if (!doc.RootElement.TryGetProperty("attachmentIds", out var ids) || ids.ValueKind != JsonValueKind.Array) return null;
        var list = ids.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String && x.TryGetGuid(out _)).Select(x => x.GetGuid()).ToList();
        return list.Count == 0 ? null : list;
    }

    static string? Str(string? payload, string name)
    {
        if (payload is null) return null;
        using var doc = JsonDocument.Parse(payload);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
