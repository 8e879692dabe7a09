using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// One platform a case is exchanged with, as the case page shows it: the peer's name, the case's number there (once
/// the peer has answered), whether the peer sent it (市派 from above, 上报 from below) or this platform did.
/// </summary>
public sealed record PeerLinkView(string PeerCode, string PeerName, bool PeerIsUpper, string? RemoteNumber, bool SentByPeer)
{
    public static async Task<IReadOnlyList<PeerLinkView>> ForCaseAsync(CityLoopDb db, ExchangeOptions options, Guid caseId, CancellationToken ct)
    {
        if (options.Peers.Count == 0) return [];
        var links = await db.Set<ExchangeLink>().AsNoTracking().Where(l => l.CaseId == caseId).OrderBy(l => l.CreatedAt).ToListAsync(ct);
        return links.Select(l => options.Find(l.PeerCode) is { } peer
                ? new PeerLinkView(l.PeerCode, peer.DisplayName, peer.IsUpper, l.RemoteNumber, !l.Origin)
                : new PeerLinkView(l.PeerCode, l.PeerCode, false, l.RemoteNumber, !l.Origin))
            .ToList();
    }
}
