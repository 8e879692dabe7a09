using System.Collections.Concurrent;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CityLoop.Server.Features.Identity;

/// <summary>
/// The people behind requests, kept in memory on PostgreSQL so that a request does not re-read its user row (decision
/// 029). Decision 003 still holds — a disabled account or a changed role takes effect at once on every node — because
/// an entry lives only while this node listens to the database's account changes: a trigger on <c>users</c> (migration
/// 0022) sends <c>NOTIFY cityloop_users</c> with the id in the transaction that changes the row, so every node drops
/// its copy the moment the change commits (a NOTIFY is delivered at commit, within milliseconds), and this node drops
/// it before the saving request even answers (<see cref="UserCacheInterceptor"/>). Without a live listener (SQLite,
/// where a read is an in-process call; a lost connection; startup) nothing is cached and every request reads the row.
/// </summary>
public sealed class UserCache
{
    readonly ConcurrentDictionary<Guid, User> _users = new();
    long _generation;
    volatile bool _live;

    /// <summary>Whether entries may be used: only while the listener is connected and listening.</summary>
    public bool Live => _live;

    /// <summary>Taken before a read of a user row; a read may be kept only if no change arrived meanwhile.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public User? Get(Guid id) => _live && _users.TryGetValue(id, out var user) ? user : null;

    /// <summary>Keeps a row read from the database, unless an account change arrived since <paramref name="generation"/>.</summary>
    public void Keep(User user, long generation)
    {
        if (!_live || _users.Count > 50_000) return;
        _users[user.Id] = user;
        // A change that arrived during the read may concern this row: forget it rather than keep a stale copy.
        if (Generation != generation || !_live) _users.TryRemove(user.Id, out _);
    }

    public void Forget(Guid id)
    {
        Interlocked.Increment(ref _generation);
        _users.TryRemove(id, out _);
    }

    /// <summary>An active account, its roles and its contact row (where it has one), as the staff directory holds it.</summary>
    public sealed record StaffMember(User User, IReadOnlySet<Role> Roles, Notifications.UserContact? Contact = null);

    sealed record Directory(long Generation, IReadOnlyList<StaffMember> Members);
    volatile Directory? _staff;

    /// <summary>
    /// Every active account with its roles — whom a step tells (the act-now notices ask "the dispatchers", "the
    /// handlers of this department") — while no account has changed since it was read: any change, on any node, moves
    /// <see cref="Generation"/> on, and the directory is read again. Null when it is not held (or the cache is off).
    /// </summary>
    public IReadOnlyList<StaffMember>? Staff() => _live && _staff is { } d && d.Generation == Generation ? d.Members : null;

    /// <summary>Keeps the active accounts read from the database, unless an account changed since <paramref name="generation"/>.</summary>
    public IReadOnlyList<StaffMember> KeepStaff(IEnumerable<User> active, IEnumerable<Notifications.UserContact> contacts, long generation)
    {
        var byUser = contacts.ToDictionary(c => c.UserId);
        var members = active.Select(u => new StaffMember(u, u.RoleSet(), byUser.GetValueOrDefault(u.Id))).ToList();
        _directoryTooLarge = members.Count > MaxDirectory;
        if (_live && !_directoryTooLarge && Generation == generation) _staff = new Directory(generation, members);
        return members;
    }

    /// <summary>More active accounts than a node keeps in its directory: the notifier asks for each role's holders instead.</summary>
    public bool DirectoryTooLarge => _directoryTooLarge;
    volatile bool _directoryTooLarge;
    const int MaxDirectory = 50_000;

    /// <summary>An account was added: the directory no longer holds everyone (the per-user entries stay right).</summary>
    public void Added() => Interlocked.Increment(ref _generation);

    /// <summary>Turns caching on (a listener has just started listening) or off (it lost its connection), dropping everything.</summary>
    public void SetLive(bool live)
    {
        Interlocked.Increment(ref _generation);
        _live = live;
        _users.Clear();
    }
}

/// <summary>
/// Drops a user this node changes through EF from <see cref="UserCache"/> as soon as the change is saved (and again
/// when the transaction ends, for a change saved inside one), so this node never waits for its own NOTIFY. Statements
/// that bypass tracking (<c>ExecuteUpdate</c> on users) are heard through the trigger.
/// </summary>
public sealed class UserCacheInterceptor(UserCache cache) : SaveChangesInterceptor
{
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbContext, List<Guid>> _saving = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Before(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Before(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        After(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        After(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => After(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        After(eventData.Context);
        return Task.CompletedTask;
    }

    void Before(DbContext? db)
    {
        if (db is null || !cache.Live) return;
        // Every tracked user is forgotten, changed or not (forgetting costs one read): no change detection needed here.
        // So is one whose contact row is tracked: the staff directory carries it (decision 052, addendum).
        var entries = db.WithoutChangeScan(t => t.Entries<User>().Select(e => (e.State, e.Entity.Id))
            .Concat(t.Entries<Notifications.UserContact>().Select(e => (State: e.State == EntityState.Added ? EntityState.Modified : e.State, Id: e.Entity.UserId))).ToList());
        if (entries.Any(e => e.State == EntityState.Added)) cache.Added();
        var ids = entries.Where(e => e.State is not (EntityState.Added or EntityState.Detached)).Select(e => e.Id).ToList();
        if (ids.Count == 0) return;
        foreach (var id in ids) cache.Forget(id);
        _saving.AddOrUpdate(db, ids);
    }

    // Once more after the save: a request that read the old row while this one was saving must not keep it.
    void After(DbContext? db)
    {
        if (db is null || !_saving.TryGetValue(db, out var ids)) return;
        _saving.Remove(db);
        foreach (var id in ids) cache.Forget(id);
    }
}
