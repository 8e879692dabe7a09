using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.FollowUps;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Reference.Formats;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Simplify;
using static CityLoop.Server.Features.Shared.Ui;

using CityLoop.Server.Features.Attachments;

namespace CityLoop.Server.Features.Portal;

/// <summary>Settings of the citizen portal (section Portal).</summary>
public sealed class PortalOptions
{
    /// <summary>Reports accepted per client address per hour.</summary>
    public int ReportsPerHour { get; set; } = 10;
    /// <summary>Ratings accepted per client address per hour.</summary>
    public int RatingsPerHour { get; set; } = 20;
    /// <summary>Look-ups (case number + query code) per client address per minute: a six-digit code must not be guessable.</summary>
    public int LookupsPerMinute { get; set; } = 20;
    public int MaxPhotos { get; set; } = 3;
    public long MaxPhotoBytes { get; set; } = 5 * 1024 * 1024;
}

/// <summary>
/// One entry of the citizen's simple category picker: a plain name mapped to a catalogue category (intake may still
/// correct it). "other" has no category: intake classifies it.
/// </summary>
public sealed record PortalCategory(string Key, string Zh, string En, string? CategoryCode)
{
    public string Name => Pick(Zh, En);

    public static readonly IReadOnlyList<PortalCategory> All =
    [
        new("manhole", "井盖缺失或损坏", "Missing or broken manhole cover", "C0101"),
        new("street-light", "路灯不亮", "Street light out", "C0118"),
        new("rubbish", "垃圾堆积", "Rubbish piling up", "E0102"),
        new("dirty-street", "道路不洁", "Dirty street", "E0104"),
        new("parking", "机动车乱停放", "Illegal parking", "E0505"),
        new("street-trading", "店外经营、占道", "Trading on the pavement", "E0504"),
        new("flyposting", "乱贴小广告", "Flyposting", "E0201"),
        new("construction", "施工扰民", "Construction nuisance", "E0301"),
        new("illegal-building", "私搭乱建", "Illegal structure", "E0101"),
        new("tree", "行道树损坏", "Damaged street tree", "C0402"),
        new("water-pipe", "自来水管破裂", "Burst water pipe", "E0402"),
        new("toilet", "公共厕所", "Public toilet", "C0301"),
        new("other", "其他问题", "Something else", null),
    ];

    public static PortalCategory? Find(string? key) => All.FirstOrDefault(c => c.Key == key);
}

/// <summary>What a citizen typed on the report page.</summary>
public sealed record PortalReport(string? Description, string? Category, string? Latitude, string? Longitude, string? Address, string? Name, string? Phone);

/// <summary>A photo as uploaded: its claimed name and its bytes (the type is read from the bytes).</summary>
public sealed record PortalReceipt(string Number, string? QueryCode, bool Replayed);

public sealed record PublicEntry(DateTimeOffset At, string Text, string Kind);

/// <summary>What the tracking page shows: nothing about staff, internal notes or the reporter.</summary>
public sealed record PortalView(string Number, CaseState State, string Category, string Description, string? Address, DateTimeOffset ReceivedAt,
    DateTimeOffset? ClosedAt, string? Department, string? Reply, int Photos, IReadOnlyList<PublicEntry> Timeline, bool CanRate, Satisfaction? YourRating);

/// <summary>A refusal the citizen can read, with the form field it is about.</summary>
public sealed class PortalException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>Per-address limits of the portal's writes and look-ups, kept in memory on each node.</summary>
public sealed class PortalLimits(IOptions<PortalOptions> options) : IDisposable
{
    readonly PartitionedRateLimiter<string> _reports = Limiter(options.Value.ReportsPerHour, TimeSpan.FromHours(1));
    readonly PartitionedRateLimiter<string> _ratings = Limiter(options.Value.RatingsPerHour, TimeSpan.FromHours(1));
    readonly PartitionedRateLimiter<string> _lookups = Limiter(options.Value.LookupsPerMinute, TimeSpan.FromMinutes(1));

    public bool Report(HttpContext http) => _reports.AttemptAcquire(Client(http)).IsAcquired;
    public bool Rating(HttpContext http) => _ratings.AttemptAcquire(Client(http)).IsAcquired;
    public bool Lookup(HttpContext http) => _lookups.AttemptAcquire(Client(http)).IsAcquired;

    static string Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    static PartitionedRateLimiter<string> Limiter(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits), Window = window, QueueLimit = 0,
        }));

    public void Dispose()
    {
        _reports.Dispose();
        _ratings.Dispose();
        _lookups.Dispose();
    }
}

/// <summary>
/// The citizen portal: a report becomes a case through <see cref="CaseCommands.IntakeAsync"/> as the portal channel,
/// the case number and query code are the citizen's only key, and a rating goes through the same unit of work as
/// every other change — as the follow-up itself where nobody calls, or as the citizen's own rating beside a call.
/// </summary>
public sealed class PortalService(CityLoopDb db, CaseCommands commands, IOptions<PortalOptions> options)
{
    public static readonly Actor Channel = new("system:portal", "市民门户", new HashSet<Role> { Role.PortalChannel }, null, IsSystem: true);

    readonly PortalOptions _o = options.Value;

    public PortalOptions Options => _o;

    /// <summary>Checks the photos by their content and size before anything is stored (the one check of every channel).</summary>
    public IReadOnlyList<CheckedPhoto> CheckPhotos(IReadOnlyList<UploadedPhoto> photos)
    {
        try
        {
            return PhotoUploads.Check(photos, _o.MaxPhotos, _o.MaxPhotoBytes, "photo");
        }
        catch (PhotoRefusal r)
        {
            throw new PortalException("photos", r.Message);
        }
    }

    /// <summary>Turns the form into an intake, or says in the citizen's language what is missing.</summary>
    public NewCase Check(PortalReport r)
    {
        var description = r.Description?.Trim();
        if (string.IsNullOrEmpty(description) || description.Length < 5)
            throw new PortalException("description", Pick("请描述问题（至少 5 个字）。", "Describe the problem (at least 5 characters)."));
        if (description.Length > 2000)
            throw new PortalException("description", Pick("问题描述最多 2000 字。", "The description has at most 2,000 characters."));
        var category = PortalCategory.Find(r.Category)
            ?? throw new PortalException("category", Pick("请选择问题类型。", "Choose what kind of problem it is."));
        double? lat = null, lon = null;
        if (!string.IsNullOrWhiteSpace(r.Latitude) || !string.IsNullOrWhiteSpace(r.Longitude))
        {
            if (!double.TryParse(r.Latitude, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var la)
                || !double.TryParse(r.Longitude, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lo)
                || !InputLimits.IsLatitude(la) || !InputLimits.IsLongitude(lo))
                throw new PortalException("location", Pick("位置无效，请在地图上重新点选。", "The position is not valid: tap the map again."));
            (lat, lon) = (Math.Round(la, 6), Math.Round(lo, 6));
        }
        var address = r.Address?.Trim();
        if (lat is null && string.IsNullOrEmpty(address))
            throw new PortalException("location", Pick("请在地图上点选问题位置、使用手机定位，或填写位置描述。",
                "Tap the map where the problem is, use your phone's position, or describe the place."));
        if (address is { Length: > 200 })
            throw new PortalException("address", Pick("位置描述最多 200 字。", "The place description has at most 200 characters."));
        var name = r.Name?.Trim();
        if (name is { Length: > 50 })
            throw new PortalException("name", Pick("称呼最多 50 字。", "Your name has at most 50 characters."));
        var phone = r.Phone?.Trim();
        if (!string.IsNullOrEmpty(phone))
        {
            var digits = phone.Count(char.IsAsciiDigit);
            if (phone.Any(ch => !char.IsAsciiDigit(ch) && ch is not ('+' or '-' or ' ')) || digits is < 7 or > 15)
                throw new PortalException("phone", Pick("手机号码格式不正确。", "The phone number is not valid."));
        }
        return new NewCase
        {
            Source = CaseSource.Website, RequestType = RequestType.Complaint, Title = category.Zh, Description = description,
            CategoryCode = category.CategoryCode, Latitude = lat, Longitude = lon, Address = string.IsNullOrEmpty(address) ? null : address,
            ReporterName = string.IsNullOrEmpty(name) ? null : name, ReporterPhone = string.IsNullOrEmpty(phone) ? null : phone,
            // Without a number nobody can be called back or sent the rating link: the case is anonymous.
            Anonymous = string.IsNullOrEmpty(phone),
        };
    }

    /// <summary>
    /// Files the report through the one intake and stores its photos on the case. The form's key makes a double
    /// submission return the first case (the query code is shown only once, at the first answer).
    /// </summary>
    public async Task<PortalReceipt> ReportAsync(PortalReport report, IReadOnlyList<UploadedPhoto> photos, string? formKey, CancellationToken ct = default)
    {
        var input = Check(report);
        var checkedPhotos = CheckPhotos(photos);
        var key = Guid.TryParse(formKey, out var k) ? "portal:" + k.ToString("N") : null;
        var hash = key is null ? null : Hash(input, checkedPhotos);
        IntakeResult result;
        try
        {
            result = await commands.IntakeAsync(input, Channel, key, hash, ct);
        }
        catch (Infrastructure.ConflictException)
        {
            throw new PortalException("form", Pick("这份表单已经提交过。请刷新页面后重新填写。", "This form was already sent. Reload the page and fill it in again."));
        }
        if (result.Replayed) return new PortalReceipt(result.Case.Number, null, true);
        foreach (var p in checkedPhotos)
            await commands.StoreAttachmentAsync(result.Case, p.FileName, p.ContentType, p.Bytes, Channel, ct, p.Thumbnail);
        return new PortalReceipt(result.Case.Number, result.QueryCode, false);
    }

    static string Hash(NewCase input, IEnumerable<CheckedPhoto> photos)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(input));
        foreach (var p in photos) sha.AppendData(SHA256.HashData(p.Bytes));
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>The case behind a number and query code, or null: the two together are the only key.</summary>
    public async Task<Case?> FindAsync(string? number, string? code, bool track = false, CancellationToken ct = default)
    {
        number = number?.Trim();
        code = code?.Trim();
        if (string.IsNullOrEmpty(number) || string.IsNullOrEmpty(code) || number.Length > 40 || code.Length > 16) return null;
        var q = track ? db.Cases : db.Cases.AsNoTracking();
        var c = await q.FirstOrDefaultAsync(x => x.Number == number, ct);
        if (c?.QueryCodeHash is null) return null;
        var expected = Encoding.ASCII.GetBytes(c.QueryCodeHash);
        var given = Encoding.ASCII.GetBytes(CaseCommands.HashQueryCode(c.Number, code));
        return CryptographicOperations.FixedTimeEquals(expected, given) ? c : null;
    }

    public async Task<PortalView> ViewAsync(Case c, CancellationToken ct = default)
    {
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == c.Id).OrderBy(e => e.Seq).ToListAsync(ct);
        var departments = await db.DepartmentNamesAsync(ct);
        var photos = await db.Attachments.AsNoTracking().CountAsync(a => a.CaseId == c.Id && a.UploadedBy == Channel.Id, ct);
        var category = PortalCategory.All.FirstOrDefault(p => p.CategoryCode == c.CategoryCode && p.CategoryCode is not null)?.Name
            ?? (c.Title is { Length: > 0 } t && c.CreatedBy == Channel.Id ? t : Pick("市民反映", "Citizen report"));
        var own = OwnRating(c, events);
        return new PortalView(c.Number, c.State, category, c.Description, c.Address, c.CreatedAt, c.ClosedAt,
            c.LeadDepartmentCode is { } d ? departments.GetValueOrDefault(d, d) : null,
            c.State == CaseState.Closed ? c.Answer ?? c.Result : null, photos, PublicTimeline.Of(events, departments),
            c.State == CaseState.Closed && !c.SelfHandled && own is null, own);
    }

    /// <summary>The citizen's own rating of the current closure, if they gave one (the follow-up by the portal, or a rating beside a call).</summary>
    static Satisfaction? OwnRating(Case c, IEnumerable<CaseEvent> events)
    {
        if (c.ClosedAt is not { } closed) return null;
        var e = events.LastOrDefault(e => e.At >= closed && e.Role == Role.PortalChannel && e.Action is "follow-up" or "citizen-rating");
        if (e?.Payload is null) return null;
        using var doc = JsonDocument.Parse(e.Payload);
        return doc.RootElement.TryGetProperty("satisfaction", out var s) && s.ValueKind == JsonValueKind.String
            && Domain.Kebab.TryParse<Satisfaction>(s.GetString(), out var v) ? v : null;
    }

    /// <summary>
    /// Records the citizen's rating of the reply. Where the closure's follow-up is a self-rating (no call is planned, or
    /// there is nobody to call) the rating is that follow-up; where a call is planned or made, it is the citizen's own
    /// rating beside it, and FollowUp:CountedRating decides which one the satisfaction figures count.
    /// </summary>
    public async Task RateAsync(Case c, bool resolved, Satisfaction satisfaction, string? comment, CancellationToken ct = default)
    {
        if (c.State != CaseState.Closed || c.SelfHandled)
            throw new PortalException("rating", Pick("案件办结后才能评价。", "You can rate once the case is closed."));
        var events = await db.CaseEvents.AsNoTracking().Where(e => e.CaseId == c.Id && e.At >= c.ClosedAt).ToListAsync(ct);
        if (OwnRating(c, events.OrderBy(e => e.Seq)) is not null)
            throw new PortalException("rating", Pick("您已经评价过本次办理结果，谢谢。", "You have already rated this reply. Thank you."));
        comment = comment?.Trim();
        if (comment is { Length: > 500 })
            throw new PortalException("comment", Pick("意见最多 500 字。", "The comment has at most 500 characters."));
        if (string.IsNullOrEmpty(comment)) comment = null;
        var task = await db.Set<FollowUpTask>().AsNoTracking().Where(t => t.CaseId == c.Id).OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .FirstOrDefaultAsync(ct);
        var followedUp = c.FollowedUpAt is { } f && f >= c.ClosedAt;
        if (!followedUp && task?.Method != "call")
        {
            var answer = new ActionInput { Contacted = true, Resolved = resolved, Satisfaction = satisfaction, Comment = comment };
            await commands.ChangeAsync([c], Channel, (x, ctx) => x.Perform(CaseAction.FollowUp, answer, ctx), ct: ct);
        }
        else
            await commands.NoteAsync(c, "citizen-rating", Channel, null, new { resolved, satisfaction, comment }, ct);
    }
}

/// <summary>The timeline a citizen sees: what happened to their report in plain words, never who did it or why internally.</summary>
public static class PublicTimeline
{
    public static IReadOnlyList<PublicEntry> Of(IEnumerable<CaseEvent> events, IReadOnlyDictionary<string, string> departments)
    {
        var list = new List<PublicEntry>();
        foreach (var e in events)
        {
            using var doc = e.Payload is null ? null : JsonDocument.Parse(e.Payload);
            var p = doc?.RootElement;
            string? Dept(string name) => p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? departments.GetValueOrDefault(v.GetString()!, v.GetString()!) : null;
            (string Zh, string En)? text = e.Action switch
            {
                "create" => ("已收到您的反映", "Your report was received"),
                "request-verification" => ("已安排现场核实", "An on-site check of your report was arranged"),
                "verify" => ("现场核实完毕", "The report was checked on site"),
                "file" => ("已立案，进入办理", "Accepted for handling"),
                "register" => ("已登记", "Registered"),
                "reject" => ("经审核，不属于受理范围，不予立案", "After review, the report was not accepted for handling"),
                "answer-directly" => ("已答复", "Answered"),
                "dispatch" or "redispatch" when Dept("leadDepartment") is { } d => ($"已交{d}办理", $"Passed to {d} for handling"),
                "sign-for" => ("办理单位已接收", "The department took it on"),
                "approve-extension" => ("办理期限已延长", "The time for handling was extended"),
                "approve-suspension" => ("暂缓办理", "Handling paused"),
                "resume" => ("恢复办理", "Handling resumed"),
                "finish" => ("办理单位已处理完毕，等待核查", "The department reports it done; awaiting a check"),
                "check-fail" => ("核查未通过，重新处理", "The check found it not done; being redone"),
                "check-pass" => ("核查通过", "The result was checked"),
                "close" or "self-handle" => ("已办结", "Closed"),
                "follow-up" => ("已回访", "Followed up"),
                "citizen-rating" => ("您已评价", "You rated the reply"),
                "reopen" => ("重新办理", "Reopened for more work"),
                "transfer" => ("已转交其他单位办理", "Transferred to another body"),
                "merge" => ("与同一问题的其他反映合并办理", "Handled together with another report of the same problem"),
                "cancel" => ("已撤销", "Withdrawn"),
                _ => null,
            };
            if (text is { } t) list.Add(new PublicEntry(e.At, Pick(t.Zh, t.En), e.Action));
        }
        return list;
    }
}

/// <summary>
/// The portal map's outlines: the platform's streets as the union of their unit grids (no tile server is needed), built
/// once per reference snapshot.
/// </summary>
public sealed class PortalMap(ReferenceCache reference)
{
    readonly Lock _gate = new();
    (object Snapshot, string Json)? _cached;

    public string OutlinesJson()
    {
        var geo = reference.Geo;
        lock (_gate)
            if (_cached is { } c && ReferenceEquals(c.Snapshot, geo)) return c.Json;
        var features = new List<GeoFeature>();
        foreach (var street in geo.Grids.Grids.Where(g => g.CommunityCode.Length >= 9).GroupBy(g => g.CommunityCode[..9]).OrderBy(g => g.Key))
        {
            var union = UnaryUnionOp.Union(street.Select(g => (Geometry)g.Polygon).ToList());
            var outline = TopologyPreservingSimplifier.Simplify(union, 0.0002);
            var name = geo.Divisions.Find(street.Key)?.Name ?? street.Key;
            features.Add(new GeoFeature(outline, new Dictionary<string, JsonNode?> { ["code"] = street.Key, ["name"] = name }));
        }
        var json = GeoJson.ToJson(features);
        lock (_gate) _cached = (geo, json);
        return json;
    }
}

/// <summary>The states as a citizen needs them: fewer and plainer than the desks' workflow states.</summary>
public static class PortalText
{
    public static string State(CaseState s) => s switch
    {
        CaseState.Reported or CaseState.Verifying or CaseState.PendingFiling => Pick("已受理，审核中", "Received, being reviewed"),
        CaseState.PendingDispatch or CaseState.PendingSignFor => Pick("正在交办", "Being passed to a department"),
        CaseState.Suspended => Pick("暂缓办理", "Paused"),
        CaseState.PendingCheck or CaseState.PendingClose => Pick("处理完毕，核查中", "Done, being checked"),
        CaseState.Closed => Pick("已办结", "Closed"),
        CaseState.Rejected => Pick("不予受理", "Not accepted"),
        CaseState.Transferred => Pick("已转交其他单位", "Transferred"),
        CaseState.Cancelled => Pick("已撤销", "Withdrawn"),
        CaseState.Merged => Pick("已合并办理", "Handled with another report"),
        _ => Pick("办理中", "Being handled"),
    };
}
