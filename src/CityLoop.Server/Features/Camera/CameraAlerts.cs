using System.Globalization;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Camera;

/// <summary>Settings of the camera and AI-detector channel (section Camera).</summary>
public sealed class CameraOptions
{
    /// <summary>An alert from the same camera and category within this many minutes of the last one folds into its open case.</summary>
    public int FoldMinutes { get; set; } = 60;
    /// <summary>Detections below this confidence (0–1) are refused: the detector should not send them.</summary>
    public double MinConfidence { get; set; } = 0.5;
    public long MaxSnapshotBytes { get; set; } = 10 * 1024 * 1024;
}

/// <summary>One alert as a video platform or AI detector sent it, and the case it became or folded into.</summary>
public sealed class CameraAlert
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>The API key's system principal that sent it: cameras of two platforms never fold together.</summary>
    public string Principal { get; set; } = "";
    public string CameraId { get; set; } = "";
    public string CategoryCode { get; set; } = "";
    /// <summary>The sender's own id of the alert, if it has one.</summary>
    public string? AlertId { get; set; }
    public DateTimeOffset DetectedAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public double Confidence { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
    public Guid CaseId { get; set; }
    public Guid? AttachmentId { get; set; }
    /// <summary>True when the alert repeated an open one and was added to its case instead of making a new case.</summary>
    public bool Folded { get; set; }
}

public sealed class CameraAlertConfiguration : IEntityTypeConfiguration<CameraAlert>
{
    public void Configure(EntityTypeBuilder<CameraAlert> e)
    {
        e.ToTable("camera_alerts");
        e.HasKey(x => x.Id);
        e.Property(x => x.Principal).HasMaxLength(100);
        e.Property(x => x.CameraId).HasMaxLength(64);
        e.Property(x => x.CategoryCode).HasMaxLength(64);
        e.Property(x => x.AlertId).HasMaxLength(64);
        e.HasIndex(x => new { x.CameraId, x.CategoryCode, x.DetectedAt });
        e.HasIndex(x => x.CaseId);
    }
}

/// <summary>
/// The body of POST /api/v1/camera-alerts: which camera saw what, when, where, how sure the detector is, and the
/// snapshot (base64 JPEG, PNG or WebP).
/// </summary>
public sealed record CameraAlertRequest(string? CameraId, DateTimeOffset? DetectedAt, string? CategoryCode, double? Confidence,
    double? Lat, double? Lon, string? Address, string? Snapshot, string? AlertId, string? Description);

public sealed record CameraAlertResult(Guid AlertId, Guid CaseId, string CaseNumber, bool Folded, Guid? AttachmentId, string State);

/// <summary>
/// Alerts from cameras and AI detectors: each becomes a case of source <see cref="CaseSource.Video"/> awaiting an
/// inspector's verification, or — when the same camera raised the same category within the fold window and that case
/// is still open — is added to that case as a further snapshot and note.
/// </summary>
public sealed class CameraAlertService(CityLoopDb db, CaseCommands commands, ReferenceCache reference, TimeProvider clock, IOptions<CameraOptions> options,
    IOptions<PlatformOptions> platform)
{
    readonly CameraOptions _o = options.Value;

    /// <summary>Every field checked before anything is stored; the errors by field (HTTP 400 problem details).</summary>
    public (Dictionary<string, string[]> Errors, byte[] Snapshot, string SnapshotType) Validate(CameraAlertRequest r, byte[]? file = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(r.CameraId) || r.CameraId.Length > 64) errors["cameraId"] = ["'cameraId' is required, at most 64 characters."];
        if (r.DetectedAt is null) errors["detectedAt"] = ["'detectedAt' is required: the instant of the detection, with its offset (ISO 8601)."];
        else if (r.DetectedAt > clock.GetUtcNow().AddMinutes(5)) errors["detectedAt"] = ["'detectedAt' is in the future."];
        if (string.IsNullOrWhiteSpace(r.CategoryCode)) errors["categoryCode"] = ["'categoryCode' is required: a category of the catalogue (e.g. E0505)."];
        else if (reference.Catalogue.Current?.Find(r.CategoryCode.Trim()) is null) errors["categoryCode"] = [$"'{r.CategoryCode}' is not a category of the catalogue."];
        if (r.Confidence is not { } conf || !double.IsFinite(conf) || conf is < 0 or > 1) errors["confidence"] = ["'confidence' is a number from 0 to 1."];
        else if (conf < _o.MinConfidence) errors["confidence"] = [$"'confidence' is below the platform's minimum of {_o.MinConfidence.ToString(CultureInfo.InvariantCulture)}."];
        var hasPoint = r.Lat is not null || r.Lon is not null;
        if (hasPoint && (r.Lat is null || r.Lon is null || !InputLimits.IsLatitude(r.Lat) || !InputLimits.IsLongitude(r.Lon)))
            errors["location"] = ["Give both 'lat' and 'lon', as a latitude (-90…90) and a longitude (-180…180)."];
        if (!hasPoint && string.IsNullOrWhiteSpace(r.Address)) errors["location"] = ["Give the camera's position ('lat' and 'lon') or an 'address'."];
        if (r.Address is { Length: > InputLimits.Address }) errors["address"] = [$"'address' has at most {InputLimits.Address} characters."];
        if (r.AlertId is { Length: > 64 }) errors["alertId"] = ["'alertId' has at most 64 characters."];
        if (r.Description is { Length: > 1000 }) errors["description"] = ["'description' has at most 1000 characters."];
        byte[] bytes = [];
        string type = "";
        var tooBig = $"The snapshot is larger than {_o.MaxSnapshotBytes / (1024 * 1024)} MB.";
        if (file is not null) bytes = file;
        else if (string.IsNullOrWhiteSpace(r.Snapshot)) errors["snapshot"] = ["'snapshot' is required: the image as a file (multipart) or base64 (JSON)."];
        else if (r.Snapshot.Length > _o.MaxSnapshotBytes / 3 * 4 + 8) errors["snapshot"] = [tooBig];
        else
        {
            try
            {
                bytes = Convert.FromBase64String(r.Snapshot.Trim());
            }
            catch (FormatException)
            {
                errors["snapshot"] = ["The snapshot is not valid base64."];
            }
        }
        if (!errors.ContainsKey("snapshot"))
        {
            // The bytes decide what it is, as for every attachment: a photo, nothing else.
            type = CaseEndpoints.SniffType(bytes) ?? "";
            if (bytes.Length == 0) errors["snapshot"] = ["The snapshot is empty."];
            else if (bytes.Length > _o.MaxSnapshotBytes) errors["snapshot"] = [tooBig];
            else if (type is not ("image/jpeg" or "image/png" or "image/webp")) errors["snapshot"] = ["The snapshot is not a JPEG, PNG or WebP image."];
        }
        return (errors, bytes, type);
    }

    public async Task<CameraAlertResult> ReceiveAsync(CameraAlertRequest r, byte[] snapshot, string snapshotType, Actor camera, CancellationToken ct = default)
    {
        var cameraId = r.CameraId!.Trim();
        var category = reference.Catalogue.Current!.Find(r.CategoryCode!.Trim())!;
        // Two alerts of one camera and category at the same moment (a detector retrying, two streams of one camera) must
        // not both find "no open case" and make two: the decision and its write are serialised per camera and category,
        // across nodes on PostgreSQL (decision 026's one-deployment, many-nodes shape).
        await using var held = await FoldLock.AcquireAsync(db, $"camera-fold|{camera.Id}|{cameraId}|{category.Key}", ct);
        return await ReceiveHeldAsync(r, snapshot, snapshotType, camera, cameraId, category, ct);
    }

    async Task<CameraAlertResult> ReceiveHeldAsync(CameraAlertRequest r, byte[] snapshot, string snapshotType, Actor camera, string cameraId,
        Domain.Catalogue.Category category, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var detected = r.DetectedAt!.Value;
        var window = TimeSpan.FromMinutes(Math.Max(0, _o.FoldMinutes));
        var alert = new CameraAlert
        {
            Principal = camera.Id, CameraId = cameraId, CategoryCode = category.Key, AlertId = string.IsNullOrWhiteSpace(r.AlertId) ? null : r.AlertId.Trim(),
            DetectedAt = detected, ReceivedAt = now, Confidence = Math.Round(r.Confidence!.Value, 4),
            Latitude = r.Lat is { } la ? Math.Round(la, 6) : null, Longitude = r.Lon is { } lo ? Math.Round(lo, 6) : null,
        };
        var fileName = $"camera-{Sanitize(cameraId)}-{TimeZoneInfo.ConvertTime(detected, platform.Value.Zone):yyyyMMdd-HHmmss}.{snapshotType[6..].Replace("jpeg", "jpg")}";

        // The last alert of this camera and category within the window, whose case is still open, takes the repeat.
        var since = detected - window;
        var previous = await db.Set<CameraAlert>().AsNoTracking()
            .Where(a => a.Principal == camera.Id && a.CameraId == cameraId && a.CategoryCode == category.Key && a.DetectedAt >= since)
            .OrderByDescending(a => a.DetectedAt).Select(a => a.CaseId).Take(5).ToListAsync(ct);
        Case? open = null;
        foreach (var caseId in previous.Distinct())
        {
            open = await db.Cases.FirstOrDefaultAsync(c => c.Id == caseId, ct);
            if (open is not null && open.State.IsOpen()) break;
            open = null;
        }

        if (open is not null)
        {
            var attachment = await commands.StoreAttachmentAsync(open, fileName, snapshotType, snapshot, camera, ct);
            await commands.NoteAsync(open, "camera-alert", camera, Text(r, category.Name, alert), new
            {
                cameraId, detectedAt = detected, confidence = alert.Confidence, attachmentId = attachment.Id, repeat = true,
            }, ct);
            alert.CaseId = open.Id;
            alert.AttachmentId = attachment.Id;
            alert.Folded = true;
            db.Add(alert);
            await db.SaveChangesAsync(ct);
            return new CameraAlertResult(alert.Id, open.Id, open.Number, true, attachment.Id, Domain.Kebab.From(open.State.ToString()));
        }

        var created = await commands.IntakeAsync(new NewCase
        {
            Source = CaseSource.Video, RequestType = RequestType.Report, CategoryCode = category.Key,
            Title = $"视频告警：{category.Name}",
            Description = Text(r, category.Name, alert),
            Latitude = alert.Latitude, Longitude = alert.Longitude, Address = string.IsNullOrWhiteSpace(r.Address) ? null : r.Address.Trim(),
            ExternalId = cameraId,
        }, camera, ct: ct);
        var c = await db.Cases.FirstAsync(x => x.Id == created.Case.Id, ct);
        var stored = await commands.StoreAttachmentAsync(c, fileName, snapshotType, snapshot, camera, ct);
        alert.CaseId = c.Id;
        alert.AttachmentId = stored.Id;
        db.Add(alert);
        await db.SaveChangesAsync(ct);
        return new CameraAlertResult(alert.Id, c.Id, c.Number, false, stored.Id, Domain.Kebab.From(c.State.ToString()));
    }

    string Text(CameraAlertRequest r, string categoryName, CameraAlert a)
    {
        var local = TimeZoneInfo.ConvertTime(a.DetectedAt, platform.Value.Zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var text = $"摄像头 {a.CameraId} 于 {local} 识别到“{categoryName}”，置信度 {a.Confidence.ToString("P0", CultureInfo.InvariantCulture)}。";
        return string.IsNullOrWhiteSpace(r.Description) ? text : text + r.Description.Trim();
    }

    static string Sanitize(string s) => new(s.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').Take(40).ToArray());
}

/// <summary>
/// A report from a camera is not a case until an inspector has seen it: the camera channel's new case goes straight to
/// verification (核实), by the inspector of its grid where the grid has one, else by whichever inspector takes it.
/// </summary>
public sealed class CameraVerificationPolicy(CityLoopDb db) : ICaseHook
{
    public async Task ReactAsync(CaseChange change, CancellationToken ct)
    {
        if (change.Event.Action != "create" || change.Case.Source != CaseSource.Video || !change.Context.Actor.Has(Role.CameraChannel)) return;
        string? inspector = null;
        if (change.Case.GridCode is { } grid)
        {
            var name = await db.Set<GridRow>().AsNoTracking().Where(g => g.Code == grid).Select(g => g.Inspector).FirstOrDefaultAsync(ct);
            if (!string.IsNullOrEmpty(name))
                inspector = (await db.Users.AsNoTracking().Where(u => u.UserName == name && !u.Disabled).Select(u => (Guid?)u.Id).FirstOrDefaultAsync(ct))?.ToString();
        }
        change.Then(CaseAction.RequestVerification, new ActionInput { Inspector = inspector, Opinion = "视频告警，请现场核实" }, change.Context.Actor);
    }
}

public static class CameraEndpoints
{
    public static void MapCameraEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/camera-alerts", Receive).WithTags("Camera").WithName("ReceiveCameraAlert")
            .RequireAuthorization(AuthSetup.ApiPolicy).RequireScope(ApiScope.CameraAlerts)
            .RequireRateLimiting(Infrastructure.RateLimits.Intake).DisableAntiforgery()
            .Accepts<CameraAlertRequest>("application/json", "multipart/form-data");
    }

    /// <summary>
    /// JSON with the snapshot in base64 (bodies up to 1 MB, as every JSON body), or multipart/form-data with the same
    /// fields and the snapshot as a file — the way for larger images.
    /// </summary>
    static async Task<Results<Created<CameraAlertResult>, Ok<CameraAlertResult>, ValidationProblem>> Receive(HttpRequest request,
        CurrentActor current, CameraAlertService alerts, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Has(Role.CameraChannel))
            throw new CaseForbiddenException("Camera alerts come from a video platform's or detector's API key (the camera channel).");
        CameraAlertRequest body;
        byte[]? file = null;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            string? S(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
            var errors = new Dictionary<string, string[]>();
            double? D(string name)
            {
                if (S(name) is not { } text) return null;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
                errors[name] = [$"'{name}' is not a number."];
                return null;
            }
            DateTimeOffset? detected = null;
            if (S("detectedAt") is { } at)
            {
                if (DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) detected = parsed;
                else errors["detectedAt"] = ["'detectedAt' is not an ISO 8601 instant."];
            }
            body = new CameraAlertRequest(S("cameraId"), detected, S("categoryCode"), D("confidence"), D("lat"), D("lon"), S("address"), null, S("alertId"), S("description"));
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The alert is invalid.", type: "https://cityloop.dev/problems/validation");
            if (form.Files.GetFile("snapshot") is { } f)
            {
                using var ms = new MemoryStream();
                await f.CopyToAsync(ms, ct);
                file = ms.ToArray();
            }
        }
        else
        {
            try
            {
                body = await System.Text.Json.JsonSerializer.DeserializeAsync<CameraAlertRequest>(request.Body, json.Value.SerializerOptions, ct)
                    ?? throw new BadHttpRequestException("The request body is empty: send the alert as JSON or multipart/form-data.");
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new BadHttpRequestException($"The alert could not be read: {ex.Message}", ex);
            }
        }
        var (problems, snapshot, type) = alerts.Validate(body, file);
        if (problems.Count > 0) return TypedResults.ValidationProblem(problems, title: "The alert is invalid.", type: "https://cityloop.dev/problems/validation");
        var result = await alerts.ReceiveAsync(body, snapshot, type, actor, ct);
        return result.Folded ? TypedResults.Ok(result) : TypedResults.Created($"/api/v1/cases/{result.CaseId}", result);
    }
}

/// <summary>
/// A lock on a name, held while one request decides and writes (the camera channel's fold). In-process by a semaphore
/// per name (SQLite runs one node); on PostgreSQL also by a session advisory lock on a connection of its own, so that
/// every node waits its turn — released at dispose, or by the server when that connection ends.
/// </summary>
public static class FoldLock
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Local = new(StringComparer.Ordinal);

    public static async Task<IAsyncDisposable> AcquireAsync(CityLoopDb db, string name, CancellationToken ct)
    {
        var gate = Local.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        if (!db.IsPostgres) return new Held(gate, null, 0);
        var key = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)), 0);
        Npgsql.NpgsqlConnection? conn = null;
        try
        {
            conn = new Npgsql.NpgsqlConnection(db.Database.GetConnectionString());
            await conn.OpenAsync(ct);
            await using (var cmd = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(@k)", conn))
            {
                cmd.Parameters.AddWithValue("k", key);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            return new Held(gate, conn, key);
        }
        catch
        {
            if (conn is not null) await conn.DisposeAsync();
            gate.Release();
            throw;
        }
    }

    sealed class Held(SemaphoreSlim gate, Npgsql.NpgsqlConnection? conn, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (conn is not null)
                {
                    try
                    {
                        await using var cmd = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(@k)", conn);
                        cmd.Parameters.AddWithValue("k", key);
                        await cmd.ExecuteNonQueryAsync();
                    }
                    catch (Npgsql.NpgsqlException)
                    {
                        // The connection is gone: the server released the lock with the session. Not back to the pool.
                        Npgsql.NpgsqlConnection.ClearPool(conn);
                    }
                    await conn.DisposeAsync();
                }
            }
            finally { gate.Release(); }
        }
    }
}
