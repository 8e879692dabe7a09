using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Inspector;

/// <summary>Settings of the inspector's patrol (section Patrol).</summary>
public sealed class PatrolOptions
{
    /// <summary>A shift left on duty with no position for this long is treated as ended at its last position.</summary>
    public int IdleMinutes { get; set; } = 30;
    /// <summary>Positions are posted at most this often by the phone page (seconds); the server keeps what arrives.</summary>
    public int PositionSeconds { get; set; } = 60;
}

/// <summary>One stretch on duty (在岗) of an inspector: from switching on to switching off on the phone.</summary>
public sealed class PatrolShift
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public string UserName { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public DateTimeOffset? LastPositionAt { get; set; }
}

/// <summary>One position of the patrol track, as the phone reported it while on duty, with the grid it falls in.</summary>
public sealed class PatrolPosition
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ShiftId { get; set; }
    public Guid UserId { get; set; }
    public DateTimeOffset At { get; set; }
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public double? Accuracy { get; set; }
    public string? GridCode { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

public sealed class PatrolShiftConfiguration : IEntityTypeConfiguration<PatrolShift>
{
    public void Configure(EntityTypeBuilder<PatrolShift> e)
    {
        e.ToTable("patrol_shifts");
        e.HasKey(x => x.Id);
        e.Property(x => x.UserName).HasMaxLength(64);
        e.HasIndex(x => new { x.UserId, x.StartedAt });
        e.HasIndex(x => x.StartedAt);
    }
}

public sealed class PatrolPositionConfiguration : IEntityTypeConfiguration<PatrolPosition>
{
    public void Configure(EntityTypeBuilder<PatrolPosition> e)
    {
        e.ToTable("patrol_positions");
        e.HasKey(x => x.Id);
        e.Property(x => x.GridCode).HasMaxLength(64);
        e.HasIndex(x => new { x.UserId, x.At });
    }
}

public sealed record DutyDto(bool OnDuty, Guid? ShiftId, DateTimeOffset? Since, int PositionSeconds);

public sealed record PositionRequest(double? Lat, double? Lon, double? Accuracy, DateTimeOffset? At);

public sealed record TrackPointDto(DateTimeOffset At, double Lat, double Lon, double? Accuracy, string? GridCode);

public sealed record TrackShiftDto(Guid Id, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, IReadOnlyList<TrackPointDto> Points);

public sealed record TrackDto(string Inspector, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<TrackShiftDto> Shifts, int Points, double Metres);

public sealed record MissedCaseDto(Guid Id, string Number, DateTimeOffset ReportedAt, string? GridCode, string Source, string State);

public sealed record MissedPeriodDto(string Period, int Missed);

/// <summary>
/// 漏报 of one inspector in a period: valid cases reported by anyone else in the inspector's grids while the inspector
/// was on duty — problems the patrol should have found first.
/// </summary>
public sealed record MissedDto(string Inspector, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> Grids, int Missed,
    int OwnReports, double DutyHours, IReadOnlyList<MissedPeriodDto> Periods, IReadOnlyList<MissedCaseDto> Cases);

/// <summary>
/// The inspector's patrol: on and off duty, the positions the phone posts while on duty, the track, and the 漏报
/// assessment read from the track's shifts and the cases reported in the inspector's grids.
/// </summary>
public sealed class PatrolService(CityLoopDb db, TimeProvider clock, IPlaceResolver places, IOptions<PatrolOptions> options, IOptions<PlatformOptions> platform)
{
    readonly PatrolOptions _o = options.Value;

    public static readonly Role[] TrackReaders = [Role.Supervisor, Role.ShiftLeader, Role.IntakeOperator, Role.Dispatcher];

    static Guid Me(Actor actor)
    {
        if (!actor.Has(Role.Inspector) || !Guid.TryParse(actor.Id, out var id))
            throw new CaseForbiddenException("The patrol is for inspectors.");
        return id;
    }

    async Task<PatrolShift?> OpenShiftAsync(Guid user, CancellationToken ct)
    {
        var shift = await db.Set<PatrolShift>().Where(s => s.UserId == user && s.EndedAt == null).OrderByDescending(s => s.StartedAt).FirstOrDefaultAsync(ct);
        if (shift is null) return null;
        // A phone that went quiet for longer than the idle limit ended its shift at its last sign of life.
        var lastSeen = shift.LastPositionAt ?? shift.StartedAt;
        if (clock.GetUtcNow() - lastSeen > TimeSpan.FromMinutes(Math.Max(1, _o.IdleMinutes)))
        {
            shift.EndedAt = lastSeen;
            await db.SaveChangesAsync(ct);
            return null;
        }
        return shift;
    }

    public async Task<DutyDto> DutyAsync(Actor actor, CancellationToken ct = default)
    {
        var shift = await OpenShiftAsync(Me(actor), ct);
        return new DutyDto(shift is not null, shift?.Id, shift?.StartedAt, _o.PositionSeconds);
    }

    /// <summary>Switches the inspector on or off duty; switching to the state they are in changes nothing.</summary>
    public async Task<DutyDto> SetDutyAsync(Actor actor, bool onDuty, CancellationToken ct = default)
    {
        var me = Me(actor);
        var shift = await OpenShiftAsync(me, ct);
        var now = clock.GetUtcNow();
        if (onDuty && shift is null)
        {
            shift = new PatrolShift { UserId = me, UserName = await UserNameAsync(me, ct), StartedAt = now };
            db.Add(shift);
        }
        else if (!onDuty && shift is not null)
        {
            shift.EndedAt = now;
            shift = null;
        }
        await db.SaveChangesAsync(ct);
        return new DutyDto(shift is not null, shift?.Id, shift?.StartedAt, _o.PositionSeconds);
    }

    async Task<string> UserNameAsync(Guid id, CancellationToken ct) =>
        await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.UserName).FirstAsync(ct);

    /// <summary>Records one position of the track; only while on duty (the page posts nothing otherwise).</summary>
    public async Task<TrackPointDto> RecordAsync(Actor actor, PositionRequest p, CancellationToken ct = default)
    {
        var me = Me(actor);
        var errors = new Dictionary<string, string[]>();
        if (p.Lat is not { } lat || !InputLimits.IsLatitude(lat)) errors["lat"] = ["'lat' is a latitude between -90 and 90."];
        if (p.Lon is not { } lon || !InputLimits.IsLongitude(lon)) errors["lon"] = ["'lon' is a longitude between -180 and 180."];
        if (p.Accuracy is { } acc && (!double.IsFinite(acc) || acc < 0 || acc > 100_000)) errors["accuracy"] = ["'accuracy' is in metres, 0 to 100000."];
        if (errors.Count > 0) throw new CaseValidationException(errors);
        var shift = await OpenShiftAsync(me, ct) ?? throw new ConflictException("You are off duty: switch on duty to record the patrol track.");
        var now = clock.GetUtcNow();
        // The phone's own fix time, within reason: never before the shift or in the future.
        var at = p.At is { } given && given >= shift.StartedAt && given <= now ? given : now;
        var place = places.Resolve(p.Lat, p.Lon);
        var point = new PatrolPosition
        {
            ShiftId = shift.Id, UserId = me, At = at, Latitude = Math.Round(p.Lat!.Value, 6), Longitude = Math.Round(p.Lon!.Value, 6),
            Accuracy = p.Accuracy is { } a ? Math.Round(a, 1) : null, GridCode = place?.GridCode, ReceivedAt = now,
        };
        db.Add(point);
        if (shift.LastPositionAt is null || at > shift.LastPositionAt) shift.LastPositionAt = at;
        await db.SaveChangesAsync(ct);
        return new TrackPointDto(point.At, point.Latitude, point.Longitude, point.Accuracy, point.GridCode);
    }

    /// <summary>The inspector a reader asks about: inspectors read their own, the command centre anyone's.</summary>
    async Task<User> InspectorAsync(Actor actor, string userName, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, ct)
            ?? throw new NotFoundException($"There is no user '{userName}'.");
        if (!user.RoleSet().Contains(Role.Inspector)) throw new NotFoundException($"'{userName}' is not an inspector.");
        if (user.Id.ToString() != actor.Id && !actor.Roles.Any(TrackReaders.Contains))
            throw new CaseForbiddenException("Inspectors read their own patrol; supervisors and the command centre read everyone's.");
        // A sub-centre's readers read their own platform's inspectors; another's is not there for them (decision 026).
        if (!actor.AtRoot && user.PlatformCode != actor.PlatformCode) throw new NotFoundException($"There is no user '{userName}'.");
        return user;
    }

    public async Task<TrackDto> TrackAsync(Actor actor, string userName, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        CheckPeriod(from, to);
        var user = await InspectorAsync(actor, userName, ct);
        var shifts = await ShiftsAsync(user.Id, from, to, ct);
        var ids = shifts.Select(s => s.Id).ToList();
        var points = await db.Set<PatrolPosition>().AsNoTracking().Where(p => p.UserId == user.Id && p.At >= from && p.At < to)
            .OrderBy(p => p.At).ToListAsync(ct);
        var byShift = points.GroupBy(p => p.ShiftId).ToDictionary(g => g.Key, g => g.ToList());
        var dto = shifts.Select(s => new TrackShiftDto(s.Id, s.StartedAt, s.EndedAt,
            (byShift.GetValueOrDefault(s.Id) ?? []).Select(p => new TrackPointDto(p.At, p.Latitude, p.Longitude, p.Accuracy, p.GridCode)).ToList())).ToList();
        var metres = byShift.Values.Sum(list => list.Zip(list.Skip(1), (a, b) => Metres(a.Latitude, a.Longitude, b.Latitude, b.Longitude)).Sum());
        return new TrackDto(user.UserName, from, to, dto, points.Count, Math.Round(metres));
    }

    async Task<List<PatrolShift>> ShiftsAsync(Guid user, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var idle = TimeSpan.FromMinutes(Math.Max(1, _o.IdleMinutes));
        var shifts = await db.Set<PatrolShift>().AsNoTracking().Where(s => s.UserId == user && s.StartedAt < to && (s.EndedAt == null || s.EndedAt > from))
            .OrderBy(s => s.StartedAt).ToListAsync(ct);
        // An open shift counts until now, or until its last sign of life when the phone has gone quiet.
        foreach (var s in shifts.Where(s => s.EndedAt is null))
        {
            var lastSeen = s.LastPositionAt ?? s.StartedAt;
            if (now - lastSeen > idle) s.EndedAt = lastSeen;
        }
        return shifts;
    }

    static void CheckPeriod(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from) throw CaseValidationException.Single("to", "'to' is after 'from'.");
        if (to - from > TimeSpan.FromDays(400)) throw CaseValidationException.Single("to", "A period is at most 400 days.");
    }

    /// <summary>
    /// 漏报: the valid cases (not rejected or cancelled) that someone other than this inspector reported in one of the
    /// inspector's grids while the inspector was on duty, in [from, to), with one count per local day or month.
    /// </summary>
    public async Task<MissedDto> MissedAsync(Actor actor, string userName, DateTimeOffset from, DateTimeOffset to, string? groupBy, CancellationToken ct = default)
    {
        CheckPeriod(from, to);
        var monthly = groupBy switch
        {
            null or "" or "day" => false,
            "month" => true,
            _ => throw CaseValidationException.Single("groupBy", "'groupBy' is day or month."),
        };
        var user = await InspectorAsync(actor, userName, ct);
        var (grids, windows, found, own) = await FindMissedAsync(user.Id, user.UserName, from, to, ct);
        var zone = platform.Value.Zone;
        string Period(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, zone).ToString(monthly ? "yyyy-MM" : "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var periods = found.GroupBy(c => Period(c.CreatedAt)).OrderBy(g => g.Key).Select(g => new MissedPeriodDto(g.Key, g.Count())).ToList();
        var hours = windows.Sum(w => (w.End - w.Start).TotalHours);
        return new MissedDto(user.UserName, from, to, grids, found.Count, own, Math.Round(hours, 2), periods,
            found.OrderBy(c => c.CreatedAt).Select(c => new MissedCaseDto(c.Id, c.Number, c.CreatedAt, c.GridCode,
                Domain.Kebab.From(c.Source.ToString()), Domain.Kebab.From(c.State.ToString()))).ToList());
    }

    /// <summary>
    /// The 漏报 of one inspector over [from, to): their grids, duty windows, the cases others reported there while they
    /// were on duty (not rejected or cancelled), and the count of their own reports in the same windows. The figure of
    /// the inspector assessment (漏报率) and the list of <see cref="MissedAsync"/> are this one result.
    /// </summary>
    public async Task<(List<string> Grids, List<(DateTimeOffset Start, DateTimeOffset End)> Windows, List<Case> Found, int Own)> FindMissedAsync(
        Guid userId, string userName, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        // The cases of the inspector's own platform only: another centre's case in the same grid is not theirs to have missed.
        var platformCode = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.PlatformCode).FirstOrDefaultAsync(ct) ?? platform.Value.Code;
        var grids = await db.Set<GridRow>().AsNoTracking().Where(g => g.Inspector == userName).Select(g => g.Code).ToListAsync(ct);
        var shifts = await ShiftsAsync(userId, from, to, ct);
        var now = clock.GetUtcNow();
        var windows = shifts.Select(s => (Start: s.StartedAt < from ? from : s.StartedAt, End: Min(s.EndedAt ?? now, to))).Where(w => w.End > w.Start).ToList();
        var me = userId.ToString();
        var found = new List<Case>();
        var own = 0;
        if (grids.Count > 0 && windows.Count > 0)
        {
            var start = windows.Min(w => w.Start);
            var end = windows.Max(w => w.End);
            var candidates = await db.Cases.AsNoTracking()
                .Where(c => c.CreatedAt >= start && c.CreatedAt < end && c.GridCode != null && grids.Contains(c.GridCode) && c.PlatformCode == platformCode)
                .ToListAsync(ct);
            foreach (var c in candidates.Where(c => windows.Any(w => c.CreatedAt >= w.Start && c.CreatedAt < w.End)))
            {
                if (c.CreatedBy == me) own++;
                else if (c.State is not (CaseState.Rejected or CaseState.Cancelled)) found.Add(c);
            }
        }
        return (grids, windows, found, own);
    }

    /// <summary>
    /// The 漏报 counts of many inspectors over several periods, by the rule of <see cref="FindMissedAsync"/> (their grids,
    /// their duty windows in each period, the cases others reported there — not rejected or cancelled — and their own
    /// reports there): one read of the shifts and one of the cases, with only the columns the counts need, however many
    /// inspectors and periods (decision 032; the assessment asked once per inspector and period, each reading whole cases).
    /// </summary>
    public async Task<List<Dictionary<Guid, (int Found, int Own)>>> MissedCountsAsync(IReadOnlyList<Guid> userIds,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, CancellationToken ct)
    {
        var result = periods.Select(_ => userIds.Distinct().ToDictionary(id => id, _ => (0, 0))).ToList();
        if (userIds.Count == 0 || periods.Count == 0) return result;
        var ids = userIds.Distinct().ToArray();
        var users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => new { u.Id, u.UserName, u.PlatformCode }).ToListAsync(ct);
        var names = users.ToDictionary(u => u.UserName, u => u.Id);
        // The cases of each inspector's own platform only, as FindMissedAsync counts them.
        var platformOf = users.ToDictionary(u => u.Id, u => u.PlatformCode ?? platform.Value.Code);
        var nameList = names.Keys.ToArray();
        var owner = (await db.Set<GridRow>().AsNoTracking().Where(g => g.Inspector != null && nameList.Contains(g.Inspector))
                .Select(g => new { g.Code, g.Inspector }).ToListAsync(ct))
            .ToDictionary(g => g.Code, g => names[g.Inspector!]);
        if (owner.Count == 0) return result;
        var (from, to) = (periods.Min(p => p.From), periods.Max(p => p.To));
        var now = clock.GetUtcNow();
        var idle = TimeSpan.FromMinutes(Math.Max(1, _o.IdleMinutes));
        var shifts = await db.Set<PatrolShift>().AsNoTracking().Where(s => ids.Contains(s.UserId) && s.StartedAt < to && (s.EndedAt == null || s.EndedAt > from))
            .OrderBy(s => s.StartedAt).ToListAsync(ct);
        foreach (var s in shifts.Where(s => s.EndedAt is null))
        {
            var lastSeen = s.LastPositionAt ?? s.StartedAt;
            if (now - lastSeen > idle) s.EndedAt = lastSeen;
        }
        // Per period, per inspector: the duty windows clipped to the period, as FindMissedAsync makes them.
        var windows = periods.Select(p => shifts.GroupBy(s => s.UserId).ToDictionary(g => g.Key, g => g
                .Select(s => (Start: s.StartedAt < p.From ? p.From : s.StartedAt, End: Min(s.EndedAt ?? now, p.To))).Where(w => w.End > w.Start).ToList()))
            .ToList();
        var all = windows.SelectMany(w => w.Values.SelectMany(x => x)).ToList();
        if (all.Count == 0) return result;
        var (start, end) = (all.Min(w => w.Start), all.Max(w => w.End));
        // The grids are matched here, not in SQL: an inspected-grid list of a city (thousands of codes) checked row by row
        // in the database costs more than the few rows of grids nobody inspects.
        // Read as a stream (an index-only scan of the instant's covering index, migration 0027), each case checked against
        // its inspector's duty windows by binary search: at 10 million cases two months are ≈ 560,000 rows.
        var idText = ids.ToDictionary(id => id, id => id.ToString());
        // Per period and inspector: the windows' starts in order, and the latest end among the windows up to each — an
        // instant is on duty when the last window starting at or before it, or any before that, ends after it.
        var sorted = windows.Select(w => w.ToDictionary(x => x.Key, x =>
        {
            var byStart = x.Value.OrderBy(v => v.Start).ToList();
            var latestEnd = new long[byStart.Count];
            for (var i = 0; i < byStart.Count; i++) latestEnd[i] = Math.Max(i > 0 ? latestEnd[i - 1] : long.MinValue, byStart[i].End.UtcTicks);
            return (Starts: byStart.Select(v => v.Start.UtcTicks).ToArray(), LatestEnd: latestEnd);
        })).ToList();
        static bool Within((long[] Starts, long[] LatestEnd) w, long at)
        {
            var i = Array.BinarySearch(w.Starts, at);
            if (i < 0) i = ~i - 1;
            while (i + 1 < w.Starts.Length && w.Starts[i + 1] <= at) i++;
            return i >= 0 && at < w.LatestEnd[i];
        }
        var cases = db.Cases.AsNoTracking()
            .Where(c => c.CreatedAt >= start && c.CreatedAt < end && c.GridCode != null)
            .Select(c => new { c.GridCode, c.CreatedAt, c.CreatedBy, c.State, c.PlatformCode }).AsAsyncEnumerable();
        await foreach (var c in cases.WithCancellation(ct))
        {
            if (!owner.TryGetValue(c.GridCode!, out var inspector) || c.PlatformCode != platformOf[inspector]) continue;
            var at = c.CreatedAt.UtcTicks;
            for (var k = 0; k < periods.Count; k++)
            {
                if (!sorted[k].TryGetValue(inspector, out var mine) || !Within(mine, at)) continue;
                var (found, own) = result[k][inspector];
                if (c.CreatedBy == idText[inspector]) own++;
                else if (c.State is not (CaseState.Rejected or CaseState.Cancelled)) found++;
                result[k][inspector] = (found, own);
            }
        }
        return result;
    }

    static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Great-circle distance in metres (haversine), enough for a patrol track and a task's distance.</summary>
    public static double Metres(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6_371_000;
        double Rad(double d) => d * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}
