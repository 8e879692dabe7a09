using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Reference;

public sealed record GridAssignmentRequest(IReadOnlyList<string>? Grids, string? Inspector);
public sealed record GridAssignmentResult(string? Inspector, int Changed, int Unchanged);
public sealed record GridTenureDto(string Grid, string Inspector, string? InspectorName, DateTimeOffset From, DateTimeOffset? To, string AssignedBy);
public sealed record GridInspectorDto(string Code, string Name, string CommunityCode, string? CommunityName, string? Inspector, string? InspectorName);
public sealed record GridPageDto(IReadOnlyList<GridInspectorDto> Items, int Total, int Page, int PageSize);

/// <summary>
/// Which inspector (监督员) has which grid (单元网格): the administrators' assignment, one grid or thousands at once,
/// and the history of every grid's tenures (decision 054). The current inspector (<see cref="GridRow.Inspector"/>)
/// is who checks results in the grid and who hears of a camera's alert there; the tenures are what a past period's
/// 漏报 is counted by. Both change here only, together, in one transaction.
/// </summary>
public sealed class GridAssignments(CityLoopDb db, ReferenceCache cache, Audit audit, TimeProvider clock)
{
    /// <summary>At most this many grids in one assignment (a district's grids; a city has tens of thousands).</summary>
    public const int MaxGrids = 5_000;

    /// <summary>Node-wide on SQLite (one node, one writer): two assignments of a grid at once leave one open tenure.</summary>
    static readonly SemaphoreSlim SqliteGate = new(1, 1);

    public async Task<GridAssignmentResult> AssignAsync(IReadOnlyList<string>? grids, string? inspector, Actor actor, CancellationToken ct = default)
    {
        var codes = (grids ?? []).Select(g => g?.Trim() ?? "").Where(g => g.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (codes.Count == 0) throw CaseValidationException.Single("grids", Shared.Ui.Pick("请至少选择一个网格。", "Choose at least one grid."));
        if (codes.Count > MaxGrids)
            throw CaseValidationException.Single("grids", Shared.Ui.Pick($"一次最多分配 {MaxGrids} 个网格。", $"At most {MaxGrids} grids at once."));
        if (codes.FirstOrDefault(c => c.Length > 18 || !c.All(char.IsAsciiDigit)) is { } bad)
            throw CaseValidationException.Single("grids", Shared.Ui.Pick($"“{Cut(bad)}”不是网格编码（至多 18 位数字）。", $"'{Cut(bad)}' is not a grid code (up to 18 digits)."));
        var name = string.IsNullOrWhiteSpace(inspector) ? null : inspector.Trim();
        if (name is not null)
        {
            if (InputLimits.TextProblem(name, InputLimits.Short) is { } problem) throw CaseValidationException.Single("inspector", problem);
            if (!(await ActiveInspectorsAsync([name], ct)).TryGetValue(name, out var account))
                throw CaseValidationException.Single("inspector", Shared.Ui.Pick($"“{Cut(name)}”不是在用的监督员账号。", $"'{Cut(name)}' is not an active inspector's account."));
            // A sub-centre's administrator gives its grids to its own inspectors (decision 026, addendum 2).
            if (actor.PlatformCode is { } own && account.PlatformCode != own)
                throw CaseValidationException.Single("inspector", Shared.Ui.Pick($"监督员“{Cut(name)}”不属于本分中心。", $"Inspector '{Cut(name)}' is not of your sub-centre."));
        }
        foreach (var code in codes) RequireArea(actor, code);

        var gate = db.IsPostgres ? null : SqliteGate;
        if (gate is not null) await gate.WaitAsync(ct);
        try
        {
            var strategy = db.Database.CreateExecutionStrategy();
            return await strategy.ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // On PostgreSQL the grids' rows are locked first: two assignments of a grid at once run one after the other.
                var rows = db.IsPostgres
                    ? await db.Set<GridRow>().FromSql($"SELECT * FROM grids WHERE code = ANY({codes.ToArray()}) ORDER BY code FOR UPDATE").ToListAsync(ct)
                    : await db.Set<GridRow>().Where(g => codes.Contains(g.Code)).ToListAsync(ct);
                var unknown = codes.Except(rows.Select(r => r.Code), StringComparer.Ordinal).ToList();
                if (unknown.Count > 0)
                    throw CaseValidationException.Single("grids", Shared.Ui.Pick($"没有这些网格：{string.Join("、", unknown.Take(10))}{(unknown.Count > 10 ? " 等" : "")}。",
                        $"No such grids: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? " …" : "")}."));
                var now = clock.GetUtcNow();
                var changing = rows.Where(r => r.Inspector != name).ToList();
                var changingCodes = changing.Select(r => r.Code).ToList();
                var open = await db.Set<GridAssignmentRow>().Where(a => changingCodes.Contains(a.GridCode) && a.ValidTo == null).ToListAsync(ct);
                foreach (var tenure in open) tenure.ValidTo = now;
                foreach (var grid in changing)
                {
                    grid.Inspector = name;
                    if (name is not null)
                        db.Set<GridAssignmentRow>().Add(new GridAssignmentRow { GridCode = grid.Code, Inspector = name, ValidFrom = now, AssignedBy = actor.Id });
                }
                if (changing.Count > 0)
                    audit.Add(actor.Id, actor.Name, "grid-assign", name ?? "-",
                        detail: $"{changing.Count} grid(s): {string.Join(",", changingCodes.Take(20))}{(changingCodes.Count > 20 ? ",…" : "")}");
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return new GridAssignmentResult(name, changing.Count, rows.Count - changing.Count);
            });
        }
        finally
        {
            gate?.Release();
            cache.Invalidate(ReferencePart.Geo);
        }
    }

    /// <summary>A grid's tenures, newest first.</summary>
    public async Task<IReadOnlyList<GridTenureDto>> HistoryAsync(string code, Actor actor, CancellationToken ct = default)
    {
        code = code.Trim();
        if (!await db.Set<GridRow>().AnyAsync(g => g.Code == code, ct)) throw new NotFoundException(Shared.Ui.Pick($"没有网格 {Cut(code)}。", $"There is no grid {Cut(code)}."));
        RequireArea(actor, code);
        var rows = await db.Set<GridAssignmentRow>().AsNoTracking().Where(a => a.GridCode == code).ToListAsync(ct);
        var names = await DisplayNamesAsync(rows.Select(r => r.Inspector), ct);
        // Who assigned: an administrator by their name (the rows keep the account's id), a migration or the demo as such.
        var adminIds = rows.Select(r => Guid.TryParse(r.AssignedBy, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();
        var admins = adminIds.Count == 0 ? [] : await db.Users.AsNoTracking().Where(u => adminIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id.ToString(), u => u.DisplayName, ct);
        return rows.OrderByDescending(r => r.ValidFrom).ThenByDescending(r => r.ValidTo ?? DateTimeOffset.MaxValue)
            .Select(r => new GridTenureDto(r.GridCode, r.Inspector, names.GetValueOrDefault(r.Inspector), r.ValidFrom, r.ValidTo,
                admins.GetValueOrDefault(r.AssignedBy) ?? r.AssignedBy)).ToList();
    }

    /// <summary>
    /// The grids with their current inspector, by code, a page at a time: those whose code starts with
    /// <paramref name="prefix"/> (a district's, a street's or a community's), of one inspector, or without one.
    /// </summary>
    public async Task<GridPageDto> ListAsync(string? prefix, string? inspector, bool unassigned, int page, int pageSize, Actor actor, CancellationToken ct = default,
        int maxPageSize = 500)
    {
        page = Math.Clamp(page, 1, 100_000);
        pageSize = Math.Clamp(pageSize, 1, maxPageSize);
        var q = db.Set<GridRow>().AsNoTracking();
        if (actor.PlatformCode is { } area) q = q.Where(g => g.Code.StartsWith(area));
        if (!string.IsNullOrWhiteSpace(prefix))
        {
            var p = prefix.Trim();
            if (p.Length > 18 || !p.All(char.IsAsciiDigit))
                throw CaseValidationException.Single("prefix", Shared.Ui.Pick("编码前缀只含数字（至多 18 位）。", "A code prefix has digits only (up to 18)."));
            q = q.Where(g => g.Code.StartsWith(p));
        }
        if (unassigned) q = q.Where(g => g.Inspector == null);
        else if (!string.IsNullOrWhiteSpace(inspector))
        {
            if (InputLimits.TextProblem(inspector, InputLimits.Short) is { } problem) throw CaseValidationException.Single("inspector", problem);
            var i = inspector.Trim();
            q = q.Where(g => g.Inspector == i);
        }
        var total = await q.CountAsync(ct);
        var rows = await q.OrderBy(g => g.Code).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(g => new { g.Code, g.Name, g.CommunityCode, g.Inspector }).ToListAsync(ct);
        var names = await DisplayNamesAsync(rows.Where(r => r.Inspector is not null).Select(r => r.Inspector!), ct);
        var communities = cache.Geo.Divisions;
        return new GridPageDto(rows.Select(r => new GridInspectorDto(r.Code, r.Name, r.CommunityCode, communities.Find(r.CommunityCode)?.Name,
            r.Inspector, r.Inspector is null ? null : names.GetValueOrDefault(r.Inspector))).ToList(), total, page, pageSize);
    }

    /// <summary>The active inspectors an administrator may give grids to: their own platform's (all at the root).</summary>
    public async Task<IReadOnlyList<(string UserName, string DisplayName)>> InspectorsAsync(Actor actor, CancellationToken ct = default) =>
        (await ActiveInspectorsAsync(null, ct)).Where(u => actor.PlatformCode is null || u.Value.PlatformCode == actor.PlatformCode)
            .OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => (u.Key, u.Value.DisplayName)).ToList();

    /// <summary>The active inspectors' accounts among <paramref name="names"/> (all of them when null): user name → display name and platform.</summary>
    public async Task<Dictionary<string, (string DisplayName, string? PlatformCode)>> ActiveInspectorsAsync(IReadOnlyCollection<string>? names, CancellationToken ct = default)
    {
        var q = db.Users.AsNoTracking().Where(u => !u.Disabled && u.Roles.Contains("inspector"));
        if (names is not null)
        {
            var wanted = names.ToArray();
            q = q.Where(u => wanted.Contains(u.UserName));
        }
        var users = await q.Select(u => new { u.UserName, u.DisplayName, u.Roles, u.PlatformCode }).ToListAsync(ct);
        return users.Where(u => User.ParseRoles(u.Roles).Contains(Role.Inspector))
            .ToDictionary(u => u.UserName, u => (u.DisplayName, u.PlatformCode), StringComparer.Ordinal);
    }

    /// <summary>A sub-centre's administrator keeps the grids of its own area (decision 026, addendum 2).</summary>
    static void RequireArea(Actor actor, string code)
    {
        if (actor.PlatformCode is { } area && !code.StartsWith(area, StringComparison.Ordinal))
            throw new CaseForbiddenException(Shared.Ui.Pick($"网格 {Cut(code)} 不在本分中心辖区（{area}）内。", $"Grid {Cut(code)} is not in your sub-centre's area ({area})."));
    }

    async Task<Dictionary<string, string>> DisplayNamesAsync(IEnumerable<string> userNames, CancellationToken ct)
    {
        var wanted = userNames.Distinct().ToList();
        if (wanted.Count == 0) return [];
        return await db.Users.AsNoTracking().Where(u => wanted.Contains(u.UserName)).ToDictionaryAsync(u => u.UserName, u => u.DisplayName, ct);
    }

    static string Cut(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>
/// Who had each grid at each instant, from the tenures (<see cref="GridAssignmentRow"/>): per grid, the tenures in order
/// of their start, found by a binary search. Built for the inspectors a figure asks about; a grid none of them held
/// is not in it.
/// </summary>
public sealed class GridTenures
{
    readonly Dictionary<string, (long[] From, long[] To, int[] Who)> _byGrid;

    GridTenures(Dictionary<string, (long[] From, long[] To, int[] Who)> byGrid) => _byGrid = byGrid;

    /// <summary>The tenures of the given inspectors (user name → index) that overlap [from, to).</summary>
    public static async Task<GridTenures> LoadAsync(CityLoopDb db, IReadOnlyDictionary<string, int> inspectors, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var names = inspectors.Keys.ToArray();
        var rows = await db.Set<GridAssignmentRow>().AsNoTracking()
            .Where(a => names.Contains(a.Inspector) && a.ValidFrom < to && (a.ValidTo == null || a.ValidTo > from))
            .Select(a => new { a.GridCode, a.Inspector, a.ValidFrom, a.ValidTo }).ToListAsync(ct);
        return new GridTenures(rows.GroupBy(r => r.GridCode).ToDictionary(g => g.Key, g =>
        {
            var ordered = g.OrderBy(r => r.ValidFrom).ThenBy(r => r.ValidTo ?? DateTimeOffset.MaxValue).ToArray();
            return (ordered.Select(r => r.ValidFrom.UtcTicks).ToArray(), ordered.Select(r => r.ValidTo?.UtcTicks ?? long.MaxValue).ToArray(),
                ordered.Select(r => inspectors[r.Inspector]).ToArray());
        }, StringComparer.Ordinal));
    }

    public bool IsEmpty => _byGrid.Count == 0;

    /// <summary>The grids any of the inspectors held in the span.</summary>
    public IReadOnlyCollection<string> Grids => _byGrid.Keys;

    /// <summary>The index of the inspector who held <paramref name="grid"/> at the instant (UTC ticks), or -1.</summary>
    public int At(string grid, long ticks)
    {
        if (!_byGrid.TryGetValue(grid, out var t)) return -1;
        // The last tenure starting at or before the instant (tenures of a grid follow one another: each starts when the
        // one before it ends, an instant's reassignment leaving an empty one first), if it has not ended by then.
        int lo = 0, hi = t.From.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (t.From[mid] <= ticks) lo = mid + 1;
            else hi = mid;
        }
        var i = lo - 1;
        return i >= 0 && ticks < t.To[i] ? t.Who[i] : -1;
    }
}
