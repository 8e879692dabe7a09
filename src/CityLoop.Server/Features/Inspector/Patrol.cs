using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;
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
        var shifts = await db.Set<PatrolShift>().AsNoTracking().Where(s => s.UserId == user && s.StartedAt < to && (s.EndedAt == null || s.EndedAt > from))
            .OrderBy(s => s.StartedAt).ToListAsync(ct);
        EndIdle(shifts);
        return shifts;
    }

    /// <summary>An open shift counts until now, or until its last sign of life when the phone has gone quiet.</summary>
    void EndIdle(IEnumerable<PatrolShift> shifts)
    {
        var now = clock.GetUtcNow();
        var idle = TimeSpan.FromMinutes(Math.Max(1, _o.IdleMinutes));
        foreach (var s in shifts.Where(s => s.EndedAt is null))
        {
            var lastSeen = s.LastPositionAt ?? s.StartedAt;
            if (now - lastSeen > idle) s.EndedAt = lastSeen;
        }
    }

    /// <summary>
    /// The duty windows of one inspector's shifts in [from, to): each shift clipped to the period (one still open ends
    /// now), in order, overlapping or touching ones merged — an instant is on duty or not, never twice.
    /// </summary>
    static List<(DateTimeOffset Start, DateTimeOffset End)> DutyWindows(IEnumerable<PatrolShift> shifts, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var merged = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        foreach (var w in shifts.Select(s => (Start: s.StartedAt < from ? from : s.StartedAt, End: Min(s.EndedAt ?? now, to)))
                     .Where(w => w.End > w.Start).OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && w.Start <= merged[^1].End) merged[^1] = (merged[^1].Start, w.End > merged[^1].End ? w.End : merged[^1].End);
            else merged.Add(w);
        }
        return merged;
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
        var shifts = await ShiftsAsync(userId, from, to, ct);
        var now = clock.GetUtcNow();
        var windows = DutyWindows(shifts, from, to, now);
        // The grids the inspector held in the span, and who held each when (decision 054): a case counts against the
        // inspector only in a grid that was theirs at the instant it was reported.
        var tenures = await GridTenures.LoadAsync(db, new Dictionary<string, int> { [userName] = 0 }, from, to, ct);
        var grids = tenures.Grids.Order(StringComparer.Ordinal).ToList();
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
            foreach (var c in candidates.Where(c => windows.Any(w => c.CreatedAt >= w.Start && c.CreatedAt < w.End) && tenures.At(c.GridCode!, c.CreatedAt.UtcTicks) == 0))
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
    /// reports there): one read of the shifts and one of the cases, however many inspectors and periods (decisions 032,
    /// 036).
    /// </summary>
    /// <remarks>
    /// The duty windows are made as <see cref="FindMissedAsync"/> makes them (<see cref="DutyWindows"/>: merged, so that
    /// nothing counts twice). The cases of the span are read as plain columns — grid, instant, state, platform, creator —
    /// by the instant's covering index (an index-only scan, migration 0027) with a data reader, and each is matched in
    /// memory: its grid's inspector, that inspector's platform, and a binary search in the inspector's windows of each
    /// period. Counting in SQL (the windows as parameters, joined by inspector and day) and streaming through EF Core
    /// were both measured slower at the size of two months of 10 million cases (decision 036).
    /// </remarks>
    public async Task<List<Dictionary<Guid, (int Found, int Own)>>> MissedCountsAsync(IReadOnlyList<Guid> userIds,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, CancellationToken ct)
    {
        var result = periods.Select(_ => userIds.Distinct().ToDictionary(id => id, _ => (0, 0))).ToList();
        if (userIds.Count == 0 || periods.Count == 0) return result;
        var ids = userIds.Distinct().ToArray();
        var users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => new { u.Id, u.UserName, u.PlatformCode }).ToListAsync(ct);
        if (users.Count == 0) return result;
        // Per inspector (by index): the id as the cases store their creator, and the platform whose cases count
        // (the inspector's own only, as FindMissedAsync counts them).
        var idText = users.Select(u => u.Id.ToString()).ToArray();
        var platformOf = users.Select(u => u.PlatformCode ?? platform.Value.Code).ToArray();
        var index = users.Select((u, i) => (u.UserName, i)).ToDictionary(x => x.UserName, x => x.i);
        var (from, to) = (periods.Min(p => p.From), periods.Max(p => p.To));
        // Who held each grid when (decision 054): a case counts for the inspector whose grid it was at its instant.
        var owner = await GridTenures.LoadAsync(db, index, from, to, ct);
        if (owner.IsEmpty) return result;
        var now = clock.GetUtcNow();
        var shifts = await db.Set<PatrolShift>().AsNoTracking().Where(s => ids.Contains(s.UserId) && s.StartedAt < to && (s.EndedAt == null || s.EndedAt > from))
            .ToListAsync(ct);
        EndIdle(shifts);
        var byUser = shifts.ToLookup(s => s.UserId);
        // Per period and inspector: the merged windows' starts and ends in UTC ticks, in order.
        var windows = new (long[] Starts, long[] Ends)[periods.Count, users.Count];
        var (start, end) = (long.MaxValue, long.MinValue);
        for (var k = 0; k < periods.Count; k++)
            for (var u = 0; u < users.Count; u++)
            {
                var w = DutyWindows(byUser[users[u].Id], periods[k].From, periods[k].To, now);
                windows[k, u] = (w.Select(x => x.Start.UtcTicks).ToArray(), w.Select(x => x.End.UtcTicks).ToArray());
                if (w.Count == 0) continue;
                start = Math.Min(start, w[0].Start.UtcTicks);
                end = Math.Max(end, w[^1].End.UtcTicks);
            }
        if (start >= end) return result;
        int[,] found, own;

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            // The span's bounds as stored: to the microsecond (PostgreSQL) or millisecond (SQLite), the end rounded up so
            // that no stored instant before the unrounded end is left out; the windows below decide exactly.
            var epoch = DateTimeOffset.UnixEpoch.UtcTicks;
            var step = db.IsPostgres ? TimeSpan.TicksPerMicrosecond : TimeSpan.TicksPerMillisecond;
            var upperEnd = (end - epoch + step - 1) / step * step + epoch;
            object Bound(long ticks) => db.IsPostgres ? new DateTime(ticks, DateTimeKind.Utc) : (ticks - epoch) / TimeSpan.TicksPerMillisecond;
            var (fromP, toP) = (Indicators.FactDayShape.Parameter(cmd, Bound(start)), Indicators.FactDayShape.Parameter(cmd, Bound(upperEnd)));
            cmd.CommandText = $"""
                SELECT grid_code, created_at, state, platform_code, created_by FROM cases
                WHERE created_at >= {fromP} AND created_at < {toP} AND grid_code IS NOT NULL
                """;
            var tally = new MissedTally(owner, platformOf, idText, windows, db.IsPostgres);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) tally.Add(r);
            (found, own) = (tally.Found, tally.Own);
        }
        finally { await db.Database.CloseConnectionAsync(); }
        for (var k = 0; k < periods.Count; k++)
            for (var u = 0; u < users.Count; u++) result[k][users[u].Id] = (found[k, u], own[k, u]);
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

/// <summary>
/// The matching of <see cref="PatrolService.MissedCountsAsync"/>, one case row at a time: its grid's inspector at its instant, that
/// inspector's platform, and a binary search in the inspector's merged windows of each period. Compiled optimised at
/// once: the assessment is asked rarely, and the runtime's first, unoptimised code took 2–3 µs a row.
/// </summary>
sealed class MissedTally(GridTenures owner, string[] platformOf, string[] idText, (long[] Starts, long[] Ends)[,] windows, bool postgres)
{
    static readonly long Epoch = DateTimeOffset.UnixEpoch.UtcTicks;
    public int[,] Found { get; } = new int[windows.GetLength(0), windows.GetLength(1)];
    public int[,] Own { get; } = new int[windows.GetLength(0), windows.GetLength(1)];

    /// <summary>One row: grid_code, created_at, state, platform_code, created_by.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Add(System.Data.Common.DbDataReader r)
    {
        var at = postgres ? r.GetFieldValue<DateTime>(1).Ticks : Epoch + r.GetInt64(1) * TimeSpan.TicksPerMillisecond;
        var u = owner.At(r.GetString(0), at);
        if (u < 0 || r.GetString(3) != platformOf[u]) return;
        var mine = r.GetString(4) == idText[u];
        if (!mine && r.GetString(2) is nameof(CaseState.Rejected) or nameof(CaseState.Cancelled)) return;
        for (var k = 0; k < windows.GetLength(0); k++)
        {
            // The last window starting at or before the instant (merged: none overlaps the next) holds it or none does.
            var (starts, ends) = windows[k, u];
            var i = Array.BinarySearch(starts, at);
            if (i < 0) i = ~i - 1;
            if (i < 0 || at >= ends[i]) continue;
            if (mine) Own[k, u]++;
            else Found[k, u]++;
        }
    }
}
