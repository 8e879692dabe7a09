using System.Security.Cryptography;
using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static CityLoop.Server.Features.Shared.Ui;

using CityLoop.Server.Features.Attachments;

namespace CityLoop.Server.Features.Inspector;

/// <summary>The two kinds of task on the inspector's phone: 核实 (is the report real?) and 核查 (is the work done?).</summary>
public enum TaskKind { Verify, Check }

public sealed record InspectorTaskDto(Guid Id, string Number, TaskKind Kind, string Title, string? Category, string? Address, double? Lat, double? Lon,
    DateTimeOffset? DueAt, string Light, double? DistanceMetres, int Version, bool Assigned);

/// <summary>What the inspector typed on the patrol report form (or the offline queue sent later).</summary>
public sealed record PatrolReportInput(string? CategoryCode, string? Description, string? Latitude, string? Longitude, string? Address, string? Accuracy);

public sealed record PatrolReceipt(Guid Id, string Number, bool Replayed);

/// <summary>A photo as uploaded from the phone: its claimed name and its bytes (the type is read from the bytes).</summary>
/// <summary>A refusal the inspector can read, with the form field it is about (HTTP 422 in the API).</summary>
public sealed class PhoneException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>The verdict of one task, completed in one step with the photos taken on site.</summary>
public sealed record TaskVerdict(bool? Passed, string? Opinion, int? Version);

/// <summary>
/// The inspector's phone: the task list, a report on patrol, a task completed with photos and a verdict. Every change
/// goes through <see cref="CaseCommands"/> as the signed-in inspector, exactly as the desks and the API do.
/// </summary>
public sealed class InspectorDesk(CityLoopDb db, CaseCommands commands, CaseQueries queries, ReferenceCache reference, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<PlatformOptions> platform)
{
    public const int MaxPhotos = 5;
    public const long MaxPhotoBytes = 10 * 1024 * 1024;

    public static void RequireInspector(Actor actor)
    {
        if (!actor.Has(Role.Inspector)) throw new CaseForbiddenException(Shared.Ui.Pick("这些页面供监督员使用。", "These pages are the inspector's."));
    }

    /// <summary>
    /// The inspector's open tasks: verifications assigned to them or to no one yet, and the checks assigned to them;
    /// by deadline, nearest first where the phone's position is known and deadlines are equal.
    /// </summary>
    public async Task<IReadOnlyList<InspectorTaskDto>> TasksAsync(Actor actor, double? lat, double? lon, CancellationToken ct = default)
    {
        RequireInspector(actor);
        var me = actor.Id;
        // An inspector takes their own platform's tasks, the root's inspectors the root's: a sub-centre's verification is
        // its own inspectors' to take, and no list offers another platform's case (decision 026, addendum).
        var platformCode = actor.PlatformCode ?? platform.Value.Code;
        var cases = await db.Cases.AsNoTracking()
            .Where(c => c.PlatformCode == platformCode)
            .Where(c => (c.State == CaseState.Verifying && (c.AssignedInspector == me || c.AssignedInspector == null))
                || (c.State == CaseState.PendingCheck && c.AssignedInspector == me))
            .OrderBy(c => c.ClockDueAt).Take(200).ToListAsync(ct);
        var now = clock.GetUtcNow();
        var catalogue = reference.Catalogue.Current;
        return cases.Select(c =>
        {
            double? distance = lat is { } la && lon is { } lo && c.Latitude is { } cla && c.Longitude is { } clo
                ? Math.Round(PatrolService.Metres(la, lo, cla, clo)) : null;
            var kind = c.State == CaseState.Verifying ? TaskKind.Verify : TaskKind.Check;
            return new InspectorTaskDto(c.Id, c.Number, kind, c.Title ?? Shorten(c.Description),
                c.CategoryCode is { } key ? catalogue?.Find(key)?.Name ?? key : null, c.Address, c.Latitude, c.Longitude,
                kind == TaskKind.Verify ? c.VerificationDueAt ?? c.ClockDueAt : c.CheckDueAt ?? c.ClockDueAt,
                Kebab.From(c.LightAt(now).ToString()), distance, c.Version, c.AssignedInspector == me);
        }).OrderBy(t => t.DueAt ?? DateTimeOffset.MaxValue).ThenBy(t => t.DistanceMetres ?? double.MaxValue).ToList();
    }

    static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>One task the inspector may complete now, or a refusal that says why not.</summary>
    public async Task<(Case Case, TaskKind Kind)> TaskAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        RequireInspector(actor);
        var c = await queries.GetAsync(actor, id, ct: ct);
        // Another platform's task is not offered, nor opened by its id, unless it was assigned to this inspector.
        if (c.PlatformCode != (actor.PlatformCode ?? platform.Value.Code) && c.AssignedInspector != actor.Id)
            throw new NotFoundException($"Case {id} does not exist or is not visible to you.");
        var kind = c.State switch
        {
            CaseState.Verifying => TaskKind.Verify,
            CaseState.PendingCheck => TaskKind.Check,
            _ => throw new CaseRuleException("NotATask", $"Case {c.Number} has no verification or check waiting.", c.State),
        };
        if (c.AssignedInspector is not null && c.AssignedInspector != actor.Id)
            throw new CaseForbiddenException("This task is assigned to another inspector.");
        return (c, kind);
    }

    /// <summary>Checks the photos by their content and size before anything is stored (the one check of every channel).</summary>
    public static IReadOnlyList<CheckedPhoto> CheckPhotos(IReadOnlyList<UploadedPhoto> photos, bool required)
    {
        try
        {
            return PhotoUploads.Check(photos, MaxPhotos, MaxPhotoBytes, "site", required);
        }
        catch (PhotoRefusal r)
        {
            throw new PhoneException("photos", r.Message);
        }
    }

    /// <summary>Turns the patrol form into an intake, or says in the inspector's language what is missing.</summary>
    public NewCase Check(PatrolReportInput r)
    {
        var category = r.CategoryCode?.Trim();
        if (string.IsNullOrEmpty(category)) throw new PhoneException("categoryCode", Pick("请选择案件类别。", "Choose the category."));
        var found = reference.Catalogue.Current?.Find(category)
            ?? throw new PhoneException("categoryCode", Pick("案件类别不存在，请从列表中选择。", "Unknown category: choose one from the list."));
        var description = r.Description?.Trim();
        if (string.IsNullOrEmpty(description) || description.Length < 4)
            throw new PhoneException("description", Pick("请描述问题（至少 4 个字）。", "Describe the problem (at least 4 characters)."));
        if (description.Length > InputLimits.Description)
            throw new PhoneException("description", Pick($"问题描述最多 {InputLimits.Description} 字。", $"The description has at most {InputLimits.Description} characters."));
        double? lat = null, lon = null;
        if (!string.IsNullOrWhiteSpace(r.Latitude) || !string.IsNullOrWhiteSpace(r.Longitude))
        {
            if (!double.TryParse(r.Latitude, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var la)
                || !double.TryParse(r.Longitude, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lo)
                || !InputLimits.IsLatitude(la) || !InputLimits.IsLongitude(lo))
                throw new PhoneException("location", Pick("定位无效，请重新定位。", "The position is not valid: locate again."));
            (lat, lon) = (Math.Round(la, 6), Math.Round(lo, 6));
        }
        var address = r.Address?.Trim();
        if (lat is null && string.IsNullOrEmpty(address))
            throw new PhoneException("location", Pick("请使用手机定位，或填写位置描述。", "Use the phone's position, or describe the place."));
        if (address is { Length: > 200 })
            throw new PhoneException("address", Pick("位置描述最多 200 字。", "The place description has at most 200 characters."));
        return new NewCase
        {
            Source = CaseSource.InspectorPatrol, RequestType = RequestType.Report, Title = found.Name, Description = description,
            CategoryCode = found.Key, Latitude = lat, Longitude = lon, Address = string.IsNullOrEmpty(address) ? null : address,
        };
    }

    /// <summary>
    /// Files a patrol report through the one intake with its photos. The key the phone generated when the report was
    /// typed makes a resend (after a lost answer, or from the offline queue) return the first case, never a second.
    /// </summary>
    public async Task<PatrolReceipt> ReportAsync(Actor actor, PatrolReportInput report, IReadOnlyList<UploadedPhoto> photos, string? clientKey, CancellationToken ct = default)
    {
        RequireInspector(actor);
        var input = Check(report);
        var checkedPhotos = CheckPhotos(photos, required: true);
        var key = Guid.TryParse(clientKey, out var k) ? "patrol:" + k.ToString("N")
            : throw new PhoneException("key", Pick("表单缺少提交编号，请刷新页面后重新填写。", "The form has no submission key: reload the page and fill it in again."));
        IntakeResult result;
        try
        {
            result = await commands.IntakeAsync(input, actor, key, Hash(input, checkedPhotos), ct);
        }
        catch (ConflictException)
        {
            throw new PhoneException("form", Pick("这份上报已经用同一编号提交过不同内容。请重新填写。", "This report's key was already used for a different report: fill it in again."));
        }
        if (result.Replayed) return new PatrolReceipt(result.Case.Id, result.Case.Number, true);
        var tracked = await db.Cases.FirstAsync(c => c.Id == result.Case.Id, ct);
        foreach (var p in checkedPhotos)
            await commands.StoreAttachmentAsync(tracked, p.FileName, p.ContentType, p.Bytes, actor, ct, p.Thumbnail);
        return new PatrolReceipt(result.Case.Id, result.Case.Number, false);
    }

    static string Hash(NewCase input, IEnumerable<CheckedPhoto> photos)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(input));
        foreach (var p in photos) sha.AppendData(SHA256.HashData(p.Bytes));
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>
    /// Completes a verification (real or not) or a check (passed or failed) in one step: the photos are stored on the
    /// case, then the action carries them, at the version the inspector saw.
    /// </summary>
    public async Task<Case> CompleteAsync(Actor actor, Guid id, TaskVerdict verdict, IReadOnlyList<UploadedPhoto> photos, CancellationToken ct = default)
    {
        var (c, kind) = await TaskAsync(actor, id, ct);
        if (verdict.Passed is not { } passed)
            throw new PhoneException("verdict", kind == TaskKind.Verify
                ? Pick("请选择核实结果：情况属实或不属实。", "Choose the verdict: the report is true or not.")
                : Pick("请选择核查结果：通过或不通过。", "Choose the verdict: passed or not passed."));
        var opinion = verdict.Opinion?.Trim();
        if (opinion is { Length: > InputLimits.Opinion })
            throw new PhoneException("opinion", Pick($"意见最多 {InputLimits.Opinion} 字。", $"The opinion has at most {InputLimits.Opinion} characters."));
        if (kind == TaskKind.Check && !passed && string.IsNullOrEmpty(opinion))
            throw new PhoneException("opinion", Pick("核查不通过时请写明原因。", "Say why the check did not pass."));
        if (verdict.Version is { } v && v != c.Version)
            throw new ConcurrencyConflictException($"The case is at version {c.Version}, not {v}: reload it and decide again.", c.State, c.Version);
        var checkedPhotos = CheckPhotos(photos, required: kind == TaskKind.Check || passed);
        var ids = new List<Guid>();
        if (checkedPhotos.Count > 0)
        {
            var tracked = await queries.GetAsync(actor, id, track: true, ct);
            foreach (var p in checkedPhotos)
                ids.Add((await commands.StoreAttachmentAsync(tracked, p.FileName, p.ContentType, p.Bytes, actor, ct, p.Thumbnail)).Id);
            db.ChangeTracker.Clear();
        }
        var (action, input) = (kind, passed) switch
        {
            (TaskKind.Verify, _) => (CaseAction.Verify, new ActionInput { Confirmed = passed, Opinion = opinion }),
            (TaskKind.Check, true) => (CaseAction.CheckPass, new ActionInput { Opinion = opinion }),
            _ => (CaseAction.CheckFail, new ActionInput { Reason = opinion }),
        };
        input = input with { AttachmentIds = ids.Count > 0 ? ids : null };
        // The photos' own notes moved the version on: the action is checked against what the inspector saw above.
        return await commands.PerformAsync(id, action, input, actor, null, queries, ct);
    }
}
