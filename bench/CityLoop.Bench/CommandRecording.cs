using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CityLoop.Bench;

/// <summary>
/// The database's share of a piece of work, measured without the application: every command CityLoop's EF Core sent
/// while the work ran (statements, parameters, and which ones shared a transaction), recorded from EF Core's
/// diagnostics and replayed by plain Npgsql as new work — no HTTP, JSON, authentication, validation or domain, only
/// the statements and their round trips. No request over HTTP that asks the database for the same can be faster on the
/// same machine, so a replay's rate is the ceiling for CityLoop's.
/// <para>A replay is a new case: every identifier created during the recording (a version-7 uuid from then on) becomes
/// a fresh one, the same old value the same new one within the replay; every case number the recording inserted (and
/// any text carrying it) becomes a new unique number; a 64-digit hex text (a token's or a query code's hash, unique in
/// some tables) becomes a fresh random one. Reference data (departments, users, grids) keeps its identifiers.</para>
/// </summary>
public sealed class CommandRecording : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    sealed record Command(string Text, NpgsqlParameter[] Parameters, object? Transaction);

    readonly IDisposable _subscription;
    readonly List<IDisposable> _listeners = [];
    readonly List<Command> _commands = [];
    readonly List<string> _numbers = [];
    readonly DateTimeOffset _from = DateTimeOffset.UtcNow.AddSeconds(-1);
    volatile bool _recording = true;
    long _replays;

    CommandRecording() => _subscription = DiagnosticListener.AllListeners.Subscribe(this);

    /// <summary>
    /// Records the commands <paramref name="work"/> makes EF Core send. EF Core caches for a second whether anyone
    /// listens (<c>LoggingCacheTime</c>), so the work starts after that second; nothing else should run meanwhile.
    /// </summary>
    public static async Task<CommandRecording> RecordAsync(Func<Task> work)
    {
        var recording = new CommandRecording();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await work();
        recording._recording = false;
        if (recording._numbers.Count == 0) throw new InvalidOperationException("The recording holds no new case: did EF Core's diagnostics reach it?");
        return recording;
    }

    public int Statements { get { lock (_commands) return _commands.Sum(c => c.Text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length); } }
    public int RoundTrips { get { lock (_commands) return _commands.Count; } }
    public int Transactions { get { lock (_commands) return _commands.Where(c => c.Transaction is not null).Select(c => c.Transaction).Distinct().Count(); } }
    public int Parameters { get { lock (_commands) return _commands.Sum(c => c.Parameters.Length); } }

    /// <summary>What was recorded, a line per round trip (the first words of each statement).</summary>
    public string Summary()
    {
        lock (_commands)
            return string.Join(Environment.NewLine, _commands.Select(c => (c.Transaction is null ? "   " : " T ") + string.Join(" | ",
                c.Text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.Length > 48 ? s[..48] + "…" : s))));
    }

    /// <summary>The first failure of a replay, if any (a replay that fails is counted as an error by the benchmark).</summary>
    public string? FirstError { get; private set; }

    /// <summary>Sends every recorded command once more, in order, as a new case; a recorded transaction is one here too.</summary>
    public async Task<bool> ReplayAsync(NpgsqlDataSource data)
    {
        try { return await ReplayOnceAsync(data); }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            FirstError ??= e.Message;
            return false;
        }
    }

    async Task<bool> ReplayOnceAsync(NpgsqlDataSource data)
    {
        var guids = new Dictionary<Guid, Guid>();
        var hashes = new Dictionary<string, string>();
        var serial = Interlocked.Increment(ref _replays);
        var numbers = _numbers.Select((n, k) => (Old: n, New: $"R{Environment.ProcessId}-{serial:D9}-{k}")).ToArray();
        Command[] commands;
        lock (_commands) commands = [.. _commands];
        for (var i = 0; i < commands.Length;)
        {
            await using var conn = await data.OpenConnectionAsync();
            var tx = commands[i].Transaction;
            await using var transaction = tx is null ? null : await conn.BeginTransactionAsync();
            do
            {
                await using var cmd = new NpgsqlCommand(commands[i].Text, conn, transaction);
                foreach (var p in commands[i].Parameters)
                {
                    var copy = p.Clone();
                    copy.Value = Fresh(p.Value, guids, hashes, numbers);
                    cmd.Parameters.Add(copy);
                }
                await using (var reader = await cmd.ExecuteReaderAsync())
                    do { while (await reader.ReadAsync()) { } } while (await reader.NextResultAsync());
                i++;
            } while (tx is not null && i < commands.Length && ReferenceEquals(commands[i].Transaction, tx));
            if (transaction is not null) await transaction.CommitAsync();
        }
        return true;
    }

    object? Fresh(object? value, Dictionary<Guid, Guid> guids, Dictionary<string, string> hashes, (string Old, string New)[] numbers)
    {
        switch (value)
        {
            case Guid g when g.Version == 7 && CreatedAt(g) >= _from:
                return guids.TryGetValue(g, out var n) ? n : guids[g] = Guid.CreateVersion7();
            case string s when s.Length == 64 && s.All(char.IsAsciiHexDigit):
                return hashes.TryGetValue(s, out var h) ? h : hashes[s] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            case string s:
                foreach (var (old, @new) in numbers)
                    if (s.Contains(old, StringComparison.Ordinal)) s = s.Replace(old, @new, StringComparison.Ordinal);
                return s;
            default:
                return value;
        }
    }

    /// <summary>The instant a version-7 uuid was made (its first 48 bits are Unix milliseconds).</summary>
    static DateTimeOffset CreatedAt(Guid g)
    {
        Span<byte> b = stackalloc byte[16];
        g.TryWriteBytes(b, bigEndian: true, out _);
        long ms = 0;
        for (var k = 0; k < 6; k++) ms = ms << 8 | b[k];
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
            lock (_listeners) _listeners.Add(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> e)
    {
        if (!_recording || e.Key != RelationalEventId.CommandExecuting.Name || e.Value is not CommandEventData data || data.Command is not NpgsqlCommand cmd) return;
        var command = new Command(cmd.CommandText, [.. cmd.Parameters.Select(p => p.Clone())], cmd.Transaction);
        lock (_commands)
        {
            _commands.Add(command);
            if (NumberOfInsertedCase(command) is { } number) _numbers.Add(number);
        }
    }

    /// <summary>The case number a command inserts into cases: the parameter at the column "number"'s place.</summary>
    static string? NumberOfInsertedCase(Command command)
    {
        var at = command.Text.IndexOf("INSERT INTO cases (", StringComparison.Ordinal);
        if (at < 0) return null;
        var insert = command.Text[at..];
        var columns = insert[(insert.IndexOf('(') + 1)..insert.IndexOf(')')].Split(',', StringSplitOptions.TrimEntries).Select(c => c.Trim('"')).ToList();
        var values = insert[(insert.IndexOf("VALUES (", StringComparison.Ordinal) + 8)..];
        var names = values[..values.IndexOf(')')].Split(',', StringSplitOptions.TrimEntries);
        var column = columns.IndexOf("number");
        if (column < 0) return null;
        var name = names[column].TrimStart('@');
        return command.Parameters.FirstOrDefault(p => p.ParameterName.TrimStart('@') == name)?.Value as string;
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    public void Dispose()
    {
        _subscription.Dispose();
        lock (_listeners) foreach (var l in _listeners) l.Dispose();
    }
}
