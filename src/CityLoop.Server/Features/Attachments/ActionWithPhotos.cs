using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Notifications;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Attachments;

/// <summary>
/// One workflow step with the photos that prove it, in one transaction (issue 9: "handle with result text and photos in
/// one step"): the photos are stored (checked by content, thumbnailed) and cited by the action, or — if the action is
/// refused — nothing is kept. Both go through <see cref="CaseCommands"/>, the one write path.
/// </summary>
public sealed class ActionWithPhotos(CityLoopDb db, CaseCommands commands, CaseQueries queries, Notifier notifier)
{
    public const int MaxPhotos = 9;

    public async Task<Case> PerformAsync(Guid caseId, CaseAction action, ActionInput input, IReadOnlyList<IFormFile> photos, Actor actor, int? expectedVersion,
        CancellationToken ct = default)
    {
        if (photos.Count == 0) return await commands.PerformAsync(caseId, action, input, actor, expectedVersion, queries, ct);
        if (photos.Count > MaxPhotos) throw CaseValidationException.Single("photos", $"At most {MaxPhotos} photos go with one step.");
        var strategy = db.Database.CreateExecutionStrategy();
        var done = await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The version the user saw is checked before the photos' own events move it on.
            var c = await queries.GetAsync(actor, caseId, track: true, ct);
            if (expectedVersion is not null && expectedVersion != c.Version)
                throw new ConcurrencyConflictException($"The case is at version {c.Version}, not {expectedVersion}: reload it and decide again.", c.State, c.Version);
            var ids = new List<Guid>(input.AttachmentIds ?? []);
            foreach (var photo in photos)
            {
                var stored = await commands.AttachAsync(caseId, photo, actor, queries, ct);
                if (!Thumbnails.IsImage(stored.ContentType))
                    throw CaseValidationException.Single("photos", $"'{stored.FileName}' is not a photo (JPEG, PNG or WebP).");
                ids.Add(stored.Id);
            }
            var changed = await commands.PerformAsync(caseId, action, input with { AttachmentIds = ids }, actor, null, queries, ct);
            await tx.CommitAsync(ct);
            return changed;
        });
        await notifier.DeliverPendingAsync(ct);
        return done;
    }
}
