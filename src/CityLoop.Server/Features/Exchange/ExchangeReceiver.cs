using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Exchange;

/// <summary>A message refused as a whole: answered as an RFC 7807 problem of type https://cityloop.dev/problems/exchange/{Code}.</summary>
public sealed class ExchangeRefusedException(int status, string code, string title, string detail, int? expectedSeq = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;
    public int? ExpectedSeq { get; } = expectedSeq;
}

public sealed record ExchangeReceiptDto(Guid MessageId, string CaseNumber, string Effect);

/// <summary>
/// Applies a peer's message through <see cref="CaseCommands"/> (the one write path), in one unit of work with the
/// record of its id (a repeat is refused and changes nothing) and the case's sequence number (a message that comes
/// before the one it follows is refused until that one is in). A case sent down is taken in as 市派 with the upper
/// platform's number and deadline; on the side that sent a case, the peer acts as the department it stands for
/// (signs for it when it is taken in, reports the result, returns it) where the workflow allows that now, and every
/// other piece of progress is noted on the timeline.
/// </summary>
public sealed class ExchangeReceiver(CityLoopDb db, CaseCommands commands, ExchangeReceipt receipt, TimeProvider clock, Attachments.AttachmentStore store,
    Cases.ActionReferences references)
{
    const long MaxPhotoBytes = 10 * 1024 * 1024;

    public async Task<ExchangeReceiptDto> ReceiveAsync(PeerOptions peer, ExchangeMessage m, CancellationToken ct = default)
    {
        Validate(peer, m);
        if (await db.Set<ExchangeInboxRow>().AsNoTracking().AnyAsync(r => r.PeerCode == peer.Code && r.MessageId == m.MessageId, ct))
            throw new ExchangeRefusedException(409, "duplicate-message", "This message was already received.",
                $"Message {m.MessageId} from {peer.Code} was received before; it is not applied again.");

        var now = clock.GetUtcNow();
        var inbox = new ExchangeInboxRow { PeerCode = peer.Code, MessageId = m.MessageId, Kind = m.Kind, Seq = m.Seq, ReceivedAt = now };
        var link = await FindLinkAsync(peer, m, ct);
        ExchangeReceiptDto result;
        if (link is null)
        {
            if (m.Kind is not (ExchangeMessage.Kinds.Dispatch or ExchangeMessage.Kinds.Report))
                throw new ExchangeRefusedException(422, "unknown-case", "No such case is linked to this peer.",
                    $"Neither {m.CaseNumber} nor {m.PeerCaseNumber} is a case exchanged with {peer.Code}.");
            if (m.Seq != 1)
                throw new ExchangeRefusedException(409, "out-of-order", "An earlier message about this case is missing.",
                    $"The first message about {m.CaseNumber} has seq 1, not {m.Seq}.", expectedSeq: 1);
            result = await TakeInAsync(peer, m, inbox, ct);
        }
        else
        {
            if (m.Seq <= link.SeqIn)
                throw new ExchangeRefusedException(409, "duplicate-message", "This message was already received.",
                    $"Message {m.Seq} about {m.CaseNumber} was applied before (the last applied is {link.SeqIn}).");
            if (m.Seq != link.SeqIn + 1)
                throw new ExchangeRefusedException(409, "out-of-order", "An earlier message about this case is missing.",
                    $"The next message about {m.CaseNumber} has seq {link.SeqIn + 1}, not {m.Seq}.", expectedSeq: link.SeqIn + 1);
            result = await ApplyAsync(peer, m, link, inbox, ct);
        }
        await ExchangePeers.TouchAsync(db, peer.Code, s => s.LastReceivedAt = now, ct);
        return result;
    }

    void Validate(PeerOptions peer, ExchangeMessage m)
    {
        var errors = new Dictionary<string, string[]>();
        if (m.MessageId == Guid.Empty) errors["messageId"] = ["A message id is required."];
        if (!ExchangeMessage.Kinds.All.Contains(m.Kind)) errors["kind"] = [$"'{m.Kind}' is not a message kind."];
        if (m.From != peer.Code) errors["from"] = [$"The message says it comes from '{m.From}' but is signed by {peer.Code}."];
        if (string.IsNullOrWhiteSpace(m.CaseNumber) || m.CaseNumber.Length > InputLimits.Code) errors["caseNumber"] = ["A case number of at most 64 characters is required."];
        if (m.Seq < 1) errors["seq"] = ["Sequence numbers start at 1."];
        if (m.Kind is ExchangeMessage.Kinds.Dispatch or ExchangeMessage.Kinds.Report && m.Case is null) errors["case"] = ["A dispatch or report carries the case."];
        if (m.Kind == ExchangeMessage.Kinds.Dispatch && !peer.IsUpper) errors["kind"] = ["Only an upper platform dispatches cases down."];
        if (m.Kind == ExchangeMessage.Kinds.Report && !peer.IsLower) errors["kind"] = ["Only a lower platform reports cases up."];
        if (m.Kind is ExchangeMessage.Kinds.Recall or ExchangeMessage.Kinds.Rework && !peer.IsUpper) errors["kind"] = ["Only an upper platform recalls a case or sends it back for rework."];
        if (errors.Count > 0) throw new CaseValidationException(errors);
    }

    async Task<ExchangeLink?> FindLinkAsync(PeerOptions peer, ExchangeMessage m, CancellationToken ct)
    {
        var link = await db.Set<ExchangeLink>().FirstOrDefaultAsync(l => l.PeerCode == peer.Code && l.RemoteNumber == m.CaseNumber, ct);
        if (link is not null || m.PeerCaseNumber is null) return link;
        var caseId = await db.Cases.AsNoTracking().Where(c => c.Number == m.PeerCaseNumber).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        return caseId is null ? null : await db.Set<ExchangeLink>().FirstOrDefaultAsync(l => l.PeerCode == peer.Code && l.CaseId == caseId, ct);
    }

    /// <summary>A case sent down (市派) or reported up (上报): matched to a 市派 entered here by hand, else taken in through intake.</summary>
    async Task<ExchangeReceiptDto> TakeInAsync(PeerOptions peer, ExchangeMessage m, ExchangeInboxRow inbox, CancellationToken ct)
    {
        var link = new ExchangeLink { PeerCode = peer.Code, RemoteNumber = m.CaseNumber, Origin = false, SeqIn = m.Seq, CreatedAt = clock.GetUtcNow() };
        var actor = IntakeActor(peer);
        if (m.Kind == ExchangeMessage.Kinds.Dispatch)
        {
            var byHand = await db.Cases.Where(c => c.Source == CaseSource.UpperPlatform && c.ExternalId == m.CaseNumber)
                .Where(c => !db.Set<ExchangeLink>().Any(l => l.PeerCode == peer.Code && l.CaseId == c.Id))
                .OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(ct);
            if (byHand is not null)
            {
                link.CaseId = byHand.Id;
                inbox.CaseId = byHand.Id;
                db.Add(link);
                db.Add(inbox);
                await commands.ChangeAsync([byHand], actor, (x, ctx) => x.Note("peer-linked", ctx, m.Opinion,
                    new { peer = peer.Code, peerCaseNumber = m.CaseNumber, feedbackDueAt = m.Case!.DueAt }), ct: ct);
                return new ExchangeReceiptDto(m.MessageId, byHand.Number, "linked");
            }
        }
        var k = m.Case!;
        var input = new NewCase
        {
            Source = m.Kind == ExchangeMessage.Kinds.Dispatch ? CaseSource.UpperPlatform : CaseSource.LowerPlatform,
            RequestType = k.RequestType, Description = k.Description, Title = k.Title,
            // A category this platform's catalogue does not have is left for the intake staff to choose, not a refusal of the peer's case.
            CategoryCode = await references.KnownCategoryAsync(k.CategoryCode, ct),
            Latitude = k.Lat, Longitude = k.Lon, Address = k.Address, Urgency = k.Urgency,
            ReporterName = k.ReporterName, ReporterPhone = k.ReporterPhone, Confidential = k.Confidential, Anonymous = k.Anonymous,
            ExternalId = m.CaseNumber,
            FeedbackDueAt = m.Kind == ExchangeMessage.Kinds.Dispatch ? k.DueAt : null,
        };
        db.Add(inbox);
        receipt.PendingLink = link;
        receipt.PendingInbox = inbox;
        try
        {
            var taken = await commands.IntakeAsync(input, actor, ct: ct);
            return new ExchangeReceiptDto(m.MessageId, taken.Case.Number, "created");
        }
        finally
        {
            receipt.PendingLink = null;
            receipt.PendingInbox = null;
        }
    }

    async Task<ExchangeReceiptDto> ApplyAsync(PeerOptions peer, ExchangeMessage m, ExchangeLink link, ExchangeInboxRow inbox, CancellationToken ct)
    {
        var c = await db.Cases.FirstAsync(x => x.Id == link.CaseId, ct);
        link.RemoteNumber ??= m.CaseNumber;
        link.SeqIn = m.Seq;
        inbox.CaseId = c.Id;
        db.Add(inbox);
        var photos = await StorePhotosAsync(c, peer, m, ct);
        var actor = m.Kind is ExchangeMessage.Kinds.Recall or ExchangeMessage.Kinds.Rework ? UpperActor(peer) : DepartmentActor(peer);
        var effect = "noted";
        await commands.ChangeAsync([c], actor, (x, ctx) =>
        {
            // Where the peer stands in for the lead department here, its progress is the department's own step; an
            // upper's recall or rework is the intake desk's step on its own 市派.
            var (action, input) = StepFor(peer, link, x, m, photos);
            if (action is { } a && x.WhyNot(a, actor, out _, out _, ctx) is null)
            {
                x.Perform(a, input, ctx);
                effect = a.Name();
                return;
            }
            var kind = m.Kind switch
            {
                ExchangeMessage.Kinds.Result => "peer-result",
                ExchangeMessage.Kinds.FollowUp => "peer-follow-up",
                ExchangeMessage.Kinds.Recall => "peer-recalled",
                ExchangeMessage.Kinds.Rework => "peer-rework",
                _ => "peer-status",
            };
            x.Note(kind, ctx, m.Opinion ?? m.Reason, new
            {
                peer = peer.Code, peerCaseNumber = m.CaseNumber, kind = m.Kind, action = m.Action, state = m.State, at = m.OccurredAt, dueAt = m.Case?.DueAt,
                result = m.Result, reason = m.Reason, attachmentIds = photos.Count > 0 ? photos : null,
                contacted = m.FollowUp?.Contacted, resolved = m.FollowUp?.Resolved, satisfaction = m.FollowUp?.Satisfaction, comment = m.FollowUp?.Comment,
            });
        }, ct: ct);
        return new ExchangeReceiptDto(m.MessageId, c.Number, effect);
    }

    /// <summary>The workflow step a lower peer's message is on a case this platform dispatched to it, if any.</summary>
    static (CaseAction? Action, ActionInput Input) StepFor(PeerOptions peer, ExchangeLink link, Case c, ExchangeMessage m, IReadOnlyList<Guid> photos)
    {
        if (!link.Origin && peer.IsUpper)
            return m.Kind switch
            {
                // Recalled before it was dispatched here: cancelled (作废); after, a note for the dispatcher to act on.
                ExchangeMessage.Kinds.Recall when c.State is CaseState.Reported or CaseState.PendingFiling or CaseState.PendingDispatch or CaseState.Verifying =>
                    (CaseAction.Cancel, new ActionInput { Reason = $"{peer.DisplayName} 撤回" + (string.IsNullOrWhiteSpace(m.Reason) ? "" : "：" + m.Reason) }),
                // Sent back for rework after this platform closed it: reopened to its department.
                ExchangeMessage.Kinds.Rework when c.State == CaseState.Closed =>
                    (CaseAction.Reopen, new ActionInput { Reason = $"{peer.DisplayName} 返工" + (string.IsNullOrWhiteSpace(m.Reason) ? "" : "：" + m.Reason) }),
                _ => (null, ActionInput.Empty),
            };
        if (!link.Origin || !peer.IsLower || c.LeadDepartmentCode != peer.DepartmentCode) return (null, ActionInput.Empty);
        return m.Kind switch
        {
            ExchangeMessage.Kinds.Status when m.Action == "create" =>
                (CaseAction.SignFor, new ActionInput { Opinion = $"{peer.DisplayName} 受理，编号 {m.CaseNumber}" }),
            ExchangeMessage.Kinds.Result =>
                (CaseAction.Finish, new ActionInput { Result = string.IsNullOrWhiteSpace(m.Result) ? $"{peer.DisplayName} 已办结" : m.Result, AttachmentIds = photos.Count > 0 ? photos : null }),
            ExchangeMessage.Kinds.Return =>
                (CaseAction.Return, new ActionInput { Reason = string.IsNullOrWhiteSpace(m.Reason) ? $"{peer.DisplayName} 退回" : m.Reason }),
            _ => (null, ActionInput.Empty),
        };
    }

    async Task<List<Guid>> StorePhotosAsync(Case c, PeerOptions peer, ExchangeMessage m, CancellationToken ct)
    {
        var ids = new List<Guid>();
        foreach (var (photo, i) in (m.Photos ?? []).Select((p, i) => (p, i)))
        {
            byte[] bytes;
            try { bytes = Convert.FromBase64String(photo.Content); }
            catch (FormatException) { throw CaseValidationException.Single($"photos[{i}].content", "Photo content is base64."); }
            if (bytes.Length is 0 or > (int)MaxPhotoBytes) throw CaseValidationException.Single($"photos[{i}].content", "A photo has 1 byte to 10 MB.");
            var type = CaseEndpoints.SniffType(bytes) ?? throw CaseValidationException.Single($"photos[{i}].content", "Only JPEG, PNG, WebP and PDF files are accepted.");
            var a = new Attachment
            {
                CaseId = c.Id, FileName = Path.GetFileName(photo.FileName ?? "photo"), ContentType = type, Size = bytes.Length, Content = bytes,
                UploadedBy = ExchangeHook.PeerActorId(peer.Code), UploadedAt = clock.GetUtcNow(),
            };
            if (a.FileName.Length is 0 or > 200) a.FileName = $"photo-{i + 1}";
            await store.KeepAsync(a, bytes, ct);
            db.Attachments.Add(a);
            ids.Add(a.Id);
        }
        return ids;
    }

    /// <summary>
    /// An upper peer acting on a 市派 it sent: it may cancel it before dispatch (recall) or reopen it after closing
    /// (rework), the steps a shift leader takes on the intake desk; the transition table still decides when.
    /// </summary>
    public static Actor UpperActor(PeerOptions peer) =>
        new(ExchangeHook.PeerActorId(peer.Code), peer.DisplayName, new HashSet<Role> { Role.PeerPlatform, Role.ShiftLeader }, null, IsSystem: true);

    /// <summary>The peer as a channel that reports cases (intake, notes).</summary>
    public static Actor IntakeActor(PeerOptions peer) =>
        new(ExchangeHook.PeerActorId(peer.Code), peer.DisplayName, new HashSet<Role> { Role.PeerPlatform }, null, IsSystem: true);

    /// <summary>A lower peer standing in for the department it is on this platform: it signs for, reports and returns its cases.</summary>
    public static Actor DepartmentActor(PeerOptions peer) => peer.IsLower
        ? new(ExchangeHook.PeerActorId(peer.Code), peer.DisplayName, new HashSet<Role> { Role.PeerPlatform, Role.DepartmentHead }, peer.DepartmentCode, IsSystem: true)
        : IntakeActor(peer);
}

/// <summary>The link status rows: one per peer, created on first use.</summary>
public static class ExchangePeers
{
    public static async Task TouchAsync(CityLoopDb db, string code, Action<ExchangePeerState> change, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var row = await db.Set<ExchangePeerState>().FirstOrDefaultAsync(p => p.Code == code, ct);
            if (row is null) db.Add(row = new ExchangePeerState { Code = code });
            change(row);
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another node created the row at the same moment: update that one.
                db.Entry(row).State = EntityState.Detached;
            }
        }
    }
}
