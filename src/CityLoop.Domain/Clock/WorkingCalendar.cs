using System.Runtime.InteropServices;

namespace CityLoop.Domain.Clock;

/// <summary>
/// Immutable working-time calendar: a time zone, a weekly schedule and dated exceptions (holidays, 调休 make-up workdays).
/// All instants in and out are <see cref="DateTimeOffset"/>; results are expressed in the calendar's local offset.
/// <para>Counting rules (the same for <see cref="AddLimit"/>, <see cref="Elapsed"/> and <see cref="Remaining"/>):</para>
/// <list type="bullet">
/// <item>UrgentHours, CalendarDays: natural time (CalendarDays = N × 24 h).</item>
/// <item>WorkingHours: only time inside the working periods of working dates counts. A start outside working time
/// effectively begins at the next period; a due that exactly exhausts a period is that period's end (12:00, not 14:30).</item>
/// <item>WorkingDays: every instant whose local date is a working date counts, 24 h per such date (23/25 h on DST
/// transition dates). So 3 working days from Friday 10:00 = Wednesday 10:00, and from Saturday 10:00 = Thursday 00:00
/// (Monday 00:00 + 72 h of working-date time, i.e. the end of Wednesday).</item>
/// <item><see cref="Elapsed"/> returns zero when <c>to ≤ from</c>; it is additive and monotonic, and
/// <c>Elapsed(s, AddLimit(s, L)) == L.ToTimeSpan()</c> exactly (tick precision).</item>
/// </list>
/// </summary>
public sealed class WorkingCalendar
{
    /// <summary>The platform default time zone.</summary>
    public const string DefaultTimeZoneId = "Asia/Shanghai";

    // AddLimit gives up after this many days without finding enough time (guards against misconfiguration).
    private const int MaxScanDays = 200 * 366;

    private readonly TimeZoneInfo _tz;
    private readonly WorkingPeriod[][] _weekly;
    private readonly WorkingPeriod[] _makeUp;
    private readonly Dictionary<DateOnly, CalendarException> _exceptions;
    private readonly TimeSpan? _fixedOffset;
    private readonly int[] _ruleFromDay;
    private readonly int[] _ruleMaxToDay;
    private readonly int _maxPeriodsPerDay;
    private readonly HashSet<int> _exceptionYears;

    public WorkingCalendar(WorkingCalendarDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _tz = definition.TimeZone ?? throw new ArgumentException("A working calendar needs a time zone.", nameof(definition));
        ArgumentNullException.ThrowIfNull(definition.WeeklySchedule, nameof(definition.WeeklySchedule));

        _weekly = new WorkingPeriod[7][];
        for (var d = 0; d < 7; d++)
        {
            var day = (DayOfWeek)d;
            _weekly[d] = definition.WeeklySchedule.TryGetValue(day, out var periods) ? Normalise(periods, day.ToString()) : [];
        }
        if (_weekly.All(p => p.Length == 0))
            throw new ArgumentException("The weekly schedule has no working period at all; working time could never elapse.", nameof(definition));

        _makeUp = definition.MakeUpDaySchedule is null
            ? _weekly[(int)DayOfWeek.Monday]
            : Normalise(definition.MakeUpDaySchedule, "make-up workday");

        _exceptions = new Dictionary<DateOnly, CalendarException>();
        foreach (var ex in definition.Exceptions ?? [])
        {
            ArgumentNullException.ThrowIfNull(ex, nameof(definition.Exceptions));
            if (!_exceptions.TryAdd(ex.Date, ex))
                throw new ArgumentException($"Calendar exception for {ex.Date:yyyy-MM-dd} is listed twice.", nameof(definition));
        }

        // Zones without any adjustment rule never change offset: skip the TimeZoneInfo machinery entirely.
        // Otherwise remember the (widened) date spans of the rules: outside them the offset is the base offset.
        var rules = _tz.GetAdjustmentRules();
        _fixedOffset = rules.Length == 0 ? _tz.BaseUtcOffset : null;
        var spans = rules
            .Select(r => (From: DateOnly.FromDateTime(r.DateStart).DayNumber - 2, To: DateOnly.FromDateTime(r.DateEnd).DayNumber + 2))
            .OrderBy(r => r.From)
            .ToArray();
        _ruleFromDay = spans.Select(r => r.From).ToArray();
        _ruleMaxToDay = new int[spans.Length];
        for (var i = 0; i < spans.Length; i++)
            _ruleMaxToDay[i] = Math.Max(spans[i].To, i > 0 ? _ruleMaxToDay[i - 1] : int.MinValue);
        _maxPeriodsPerDay = Math.Max(1, _weekly.Append(_makeUp).Max(p => p.Length));
        // The stored definition holds normalised read-only copies, so callers cannot change the calendar afterwards.
        Definition = new WorkingCalendarDefinition(
            _tz,
            Enumerable.Range(0, 7).ToDictionary(d => (DayOfWeek)d, d => (IReadOnlyList<WorkingPeriod>)_weekly[d].AsReadOnly()).AsReadOnly(),
            _exceptions.Values.OrderBy(e => e.Date).ToList().AsReadOnly(),
            _makeUp.AsReadOnly());
        _exceptionYears = _exceptions.Keys.Select(d => d.Year).ToHashSet();
        DayRule = definition.DayRule;
    }

    /// <summary>How "N working days" ends: at the same clock time N working days on, or at the close of the Nth working day.</summary>
    public WorkingDayRule DayRule { get; }

    /// <summary>The definition this calendar was built from (with the effective make-up-day schedule filled in).</summary>
    public WorkingCalendarDefinition Definition { get; }

    public TimeZoneInfo TimeZone => _tz;

    /// <summary>Asia/Shanghai, Mon–Fri 08:30–12:00 and 14:30–17:30, with the given holidays (the State Council's, as data).</summary>
    public static WorkingCalendar China(IReadOnlyList<CalendarException> holidays)
    {
        var day = new[] { new WorkingPeriod(new(8, 30), new(12, 0)), new WorkingPeriod(new(14, 30), new(17, 30)) };
        return new WorkingCalendar(new WorkingCalendarDefinition(ChinaTimeZone(), WorkingCalendarDefinition.MondayToFriday(day), holidays));
    }

    /// <summary>Same as <see cref="WithOverrides"/>: a department's calendar derived from a base one.</summary>
    public static WorkingCalendar Merge(WorkingCalendar baseCalendar, WorkingCalendarOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(baseCalendar);
        return baseCalendar.WithOverrides(overrides);
    }

    /// <summary>
    /// A calendar with per-department changes: e.g. different hours but the same holidays. Days present in
    /// <see cref="WorkingCalendarOverrides.WeeklySchedule"/> replace the base's; other days are kept.
    /// If the overrides change Monday but not the make-up schedule, make-up days follow the new Monday
    /// unless the base had an explicit make-up schedule different from its Monday.
    /// </summary>
    public WorkingCalendar WithOverrides(WorkingCalendarOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var weekly = new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>();
        for (var d = 0; d < 7; d++)
            weekly[(DayOfWeek)d] = _weekly[d];
        foreach (var (day, periods) in overrides.WeeklySchedule ?? new Dictionary<DayOfWeek, IReadOnlyList<WorkingPeriod>>())
            weekly[day] = periods;

        var exceptions = new Dictionary<DateOnly, CalendarException>(_exceptions);
        foreach (var ex in overrides.AdditionalExceptions ?? [])
            exceptions[ex.Date] = ex;

        var baseMakeUpIsMonday = _makeUp.AsSpan().SequenceEqual(_weekly[(int)DayOfWeek.Monday]);
        var makeUp = overrides.MakeUpDaySchedule ?? (baseMakeUpIsMonday ? null : _makeUp);

        return new WorkingCalendar(new WorkingCalendarDefinition(
            overrides.TimeZone ?? _tz, weekly, exceptions.Values.OrderBy(e => e.Date).ToList(), makeUp)
        { DayRule = overrides.DayRule ?? DayRule });
    }

    // ---- queries -------------------------------------------------------------------------------------------

    /// <summary>The exception (holiday / make-up workday) for a date, if any.</summary>
    public CalendarException? GetException(DateOnly date) => _exceptions.GetValueOrDefault(date);

    /// <summary>All exceptions, ordered by date.</summary>
    public IReadOnlyList<CalendarException> Exceptions => Definition.Exceptions;

    /// <summary>True when the date's working time counts: not a holiday, and a make-up workday or a scheduled weekday.</summary>
    public bool IsWorkingDay(DateOnly date) => _exceptions.TryGetValue(date, out var ex)
        ? ex.Kind == CalendarExceptionKind.MakeUpWorkday
        : _weekly[(int)date.DayOfWeek].Length > 0;

    /// <summary>The working periods of a date (empty on holidays and days off).</summary>
    public IReadOnlyList<WorkingPeriod> GetWorkingPeriods(DateOnly date) => PeriodsOf(date).AsReadOnly();

    /// <summary>
    /// True when the calendar has holiday data for the year. Holidays are published each November; a health check
    /// should warn before a year without data starts, because it would silently count holidays as working days.
    /// </summary>
    public bool HasExceptionsForYear(int year) => _exceptionYears.Contains(year);

    /// <summary>True when the instant lies inside a working period of a working date.</summary>
    public bool IsWorkingTime(DateTimeOffset instant)
    {
        var utc = instant.UtcTicks;
        Span<Interval> buffer = stackalloc Interval[_maxPeriodsPerDay];
        var date = LocalDate(utc);
        // The previous date is checked too because a DST shift may move its midnight-ending period past local midnight.
        for (var d = date.AddDays(-1); d <= date; d = d.AddDays(1))
        {
            var n = Intervals(d, LimitType.WorkingHours, buffer);
            for (var i = 0; i < n; i++)
                if (buffer[i].Start <= utc && utc < buffer[i].End)
                    return true;
        }
        return false;
    }

    /// <summary>The local calendar date of an instant in this calendar's time zone.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => LocalDate(instant.UtcTicks);

    /// <summary>The instant expressed in this calendar's local offset.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset instant) => FromUtcTicks(instant.UtcTicks);

    /// <summary>The first instant ≥ <paramref name="instant"/> at which time of the given type counts.</summary>
    public DateTimeOffset NextCountingInstant(DateTimeOffset instant, LimitType type = LimitType.WorkingHours)
    {
        if (type.IsNatural())
            return ToLocal(instant);
        var start = instant.UtcTicks;
        Span<Interval> buffer = stackalloc Interval[_maxPeriodsPerDay];
        var date = LocalDate(start).AddDays(-1);
        for (var scanned = 0; scanned < MaxScanDays; scanned++, date = date.AddDays(1))
        {
            var n = Intervals(date, type, buffer);
            for (var i = 0; i < n; i++)
                if (buffer[i].End > start)
                    return FromUtcTicks(Math.Max(buffer[i].Start, start));
        }
        throw NoWorkingTime(instant);
    }

    // ---- arithmetic ----------------------------------------------------------------------------------------

    /// <summary>The due instant for a limit started at <paramref name="start"/>.</summary>
    public DateTimeOffset AddLimit(DateTimeOffset start, TimeLimit limit)
    {
        if (limit.Value <= 0m)
            throw new ArgumentException("The time limit is uninitialised (value 0).", nameof(limit));
        if (limit.Type == LimitType.WorkingDays && DayRule == WorkingDayRule.CloseOfBusiness && decimal.IsInteger(limit.Value))
            return CloseOfWorkingDay(start, (int)limit.Value);
        return AddBusinessTime(start, limit.ToTimeSpan(), limit.Type);
    }

    /// <summary>The instant of a local date and time of day (24:00 allowed) on this calendar.</summary>
    public DateTimeOffset AtLocal(DateOnly date, TimeSpan timeOfDay) => FromUtcTicks(ToUtcTicks(date.ToDateTime(TimeOnly.MinValue) + timeOfDay));

    /// <summary>
    /// The close of business of the <paramref name="n"/>th working day after the start's own date (the day a request
    /// arrives does not count): the end of that day's last working period.
    /// </summary>
    public DateTimeOffset CloseOfWorkingDay(DateTimeOffset start, int n)
    {
        var date = LocalDate(start.UtcTicks);
        for (int found = 0, scanned = 0; scanned < MaxScanDays; scanned++)
        {
            date = date.AddDays(1);
            if (!IsWorkingDay(date)) continue;
            if (++found < n) continue;
            var periods = PeriodsOf(date);
            var end = periods.Length == 0 ? TimeSpan.FromDays(1) : periods[^1].EndOffset;
            return FromUtcTicks(ToUtcTicks(date.ToDateTime(TimeOnly.MinValue) + end));
        }
        throw NoWorkingTime(start);
    }

    /// <summary>
    /// The earliest instant at which <paramref name="amount"/> of business time (counted as <paramref name="type"/>)
    /// has elapsed since <paramref name="start"/>. A zero amount returns <paramref name="start"/>.
    /// </summary>
    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan amount, LimitType type)
    {
        if (amount < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "Business time to add must not be negative.");
        if (amount == TimeSpan.Zero)
            return ToLocal(start);
        if (type.IsNatural())
            return ToLocal(start + amount);

        var startUtc = start.UtcTicks;
        var left = amount.Ticks;
        Span<Interval> buffer = stackalloc Interval[_maxPeriodsPerDay];
        var date = LocalDate(startUtc).AddDays(-1);
        for (var scanned = 0; scanned < MaxScanDays; scanned++, date = date.AddDays(1))
        {
            var n = Intervals(date, type, buffer);
            for (var i = 0; i < n; i++)
            {
                if (buffer[i].End <= startUtc)
                    continue;
                var from = Math.Max(buffer[i].Start, startUtc);
                var available = buffer[i].End - from;
                if (left <= available)
                    return FromUtcTicks(from + left);
                left -= available;
            }
        }
        throw NoWorkingTime(start);
    }

    /// <summary>
    /// Business time between two instants, counted as <paramref name="type"/>. Zero when <c>to ≤ from</c>.
    /// </summary>
    public TimeSpan Elapsed(DateTimeOffset from, DateTimeOffset to, LimitType type)
    {
        var fromUtc = from.UtcTicks;
        var toUtc = to.UtcTicks;
        if (toUtc <= fromUtc)
            return TimeSpan.Zero;
        if (type.IsNatural())
            return TimeSpan.FromTicks(toUtc - fromUtc);

        long sum = 0;
        Span<Interval> buffer = stackalloc Interval[_maxPeriodsPerDay];
        var last = LocalDate(toUtc).AddDays(1);
        for (var date = LocalDate(fromUtc).AddDays(-1); date <= last; date = date.AddDays(1))
        {
            var n = Intervals(date, type, buffer);
            for (var i = 0; i < n; i++)
            {
                var s = Math.Max(buffer[i].Start, fromUtc);
                var e = Math.Min(buffer[i].End, toUtc);
                if (e > s)
                    sum += e - s;
            }
        }
        return TimeSpan.FromTicks(sum);
    }

    /// <summary>
    /// Business time left until <paramref name="due"/>; negative (the business time overdue) once <paramref name="now"/> is past it.
    /// </summary>
    public TimeSpan Remaining(DateTimeOffset now, DateTimeOffset due, LimitType type) =>
        now <= due ? Elapsed(now, due, type) : -Elapsed(due, now, type);

    // ---- internals -----------------------------------------------------------------------------------------

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Interval(long Start, long End);

    private WorkingPeriod[] PeriodsOf(DateOnly date)
    {
        if (_exceptions.TryGetValue(date, out var ex))
            return ex.Kind == CalendarExceptionKind.Holiday ? [] : _makeUp;
        return _weekly[(int)date.DayOfWeek];
    }

    /// <summary>Writes the UTC intervals of a local date that count for <paramref name="type"/>; returns how many.</summary>
    private int Intervals(DateOnly date, LimitType type, Span<Interval> buffer)
    {
        if (type == LimitType.WorkingDays)
        {
            if (!IsWorkingDay(date))
                return 0;
            var midnight = date.ToDateTime(TimeOnly.MinValue);
            buffer[0] = UniformOffset(date) is { } dayOffset
                ? new Interval((midnight - dayOffset).Ticks, (midnight.AddDays(1) - dayOffset).Ticks)
                : new Interval(ToUtcTicks(midnight), ToUtcTicks(midnight.AddDays(1)));
            return 1;
        }

        var periods = PeriodsOf(date);
        if (periods.Length == 0)
            return 0;
        var dayStart = date.ToDateTime(TimeOnly.MinValue);
        var count = 0;
        if (UniformOffset(date) is { } offset)
        {
            foreach (var p in periods)
                buffer[count++] = new Interval((dayStart + p.Start.ToTimeSpan() - offset).Ticks, (dayStart + p.EndOffset - offset).Ticks);
            return count;
        }

        var previousEnd = long.MinValue;
        foreach (var p in periods)
        {
            // Max() keeps intervals ordered even if a DST gap squeezes a period to nothing.
            var s = Math.Max(ToUtcTicks(dayStart + p.Start.ToTimeSpan()), previousEnd);
            var e = Math.Max(ToUtcTicks(dayStart + p.EndOffset), s);
            if (e > s)
                buffer[count++] = new Interval(s, e);
            previousEnd = e;
        }
        return count;
    }

    /// <summary>
    /// The UTC offset valid for the whole local date, or null when the offset changes during it (DST transition day),
    /// in which case each local time goes through <see cref="ToUtcTicks"/>.
    /// </summary>
    private TimeSpan? UniformOffset(DateOnly date)
    {
        if (_fixedOffset is { } fixedOffset)
            return fixedOffset;
        if (!CoveredByRule(date.DayNumber))
            return _tz.BaseUtcOffset;
        var start = date.ToDateTime(TimeOnly.MinValue);
        var end = start.AddDays(1);
        if (_tz.IsAmbiguousTime(start) || _tz.IsInvalidTime(start) || _tz.IsAmbiguousTime(end) || _tz.IsInvalidTime(end))
            return null;
        var offset = _tz.GetUtcOffset(start);
        return offset == _tz.GetUtcOffset(end) ? offset : null;
    }

    private bool CoveredByRule(int dayNumber)
    {
        // Last span starting on or before the day; the running maximum of span ends covers overlapping spans.
        var index = Array.BinarySearch(_ruleFromDay, dayNumber);
        var last = index >= 0 ? LastIndexOf(_ruleFromDay, index) : ~index - 1;
        return last >= 0 && _ruleMaxToDay[last] >= dayNumber;

        static int LastIndexOf(int[] sorted, int i)
        {
            while (i + 1 < sorted.Length && sorted[i + 1] == sorted[i])
                i++;
            return i;
        }
    }

    private TimeSpan OffsetAtUtc(long utcTicks) =>
        _fixedOffset ?? _tz.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc));

    private DateOnly LocalDate(long utcTicks) => DateOnly.FromDateTime(new DateTime(utcTicks + OffsetAtUtc(utcTicks).Ticks));

    private DateTimeOffset FromUtcTicks(long utcTicks)
    {
        var offset = OffsetAtUtc(utcTicks);
        // DateTimeOffset only accepts whole-minute offsets (historic LMT offsets are not).
        if (offset.Ticks % TimeSpan.TicksPerMinute != 0)
            offset = TimeSpan.FromMinutes(Math.Truncate(offset.TotalMinutes));
        return new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(offset);
    }

    /// <summary>
    /// Local wall time → UTC ticks. Ambiguous times (DST fall-back) take the earlier instant; times inside a
    /// spring-forward gap map to the end of the gap, so the mapping stays monotonic.
    /// </summary>
    private long ToUtcTicks(DateTime local)
    {
        if (_fixedOffset is { } fixedOffset)
            return local.Ticks - fixedOffset.Ticks;
        if (_tz.IsAmbiguousTime(local))
            return local.Ticks - _tz.GetAmbiguousTimeOffsets(local).Max().Ticks;
        if (!_tz.IsInvalidTime(local))
            return local.Ticks - _tz.GetUtcOffset(local).Ticks;

        // Binary search the transition: the first UTC instant whose local time is past the requested one.
        long lo = local.Ticks - TimeSpan.TicksPerHour * 15, hi = local.Ticks + TimeSpan.TicksPerHour * 15;
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            if (mid + OffsetAtUtc(mid).Ticks >= local.Ticks)
                hi = mid;
            else
                lo = mid;
        }
        return hi;
    }

    private static WorkingPeriod[] Normalise(IReadOnlyList<WorkingPeriod>? periods, string what)
    {
        if (periods is null)
            return [];
        var sorted = periods.OrderBy(p => p.Start).ToArray();
        for (var i = 1; i < sorted.Length; i++)
            if (sorted[i - 1].End == TimeOnly.MinValue || sorted[i].Start < sorted[i - 1].End)
                throw new ArgumentException($"Working periods of {what} overlap: {sorted[i - 1]} and {sorted[i]}.");
        return sorted;
    }

    private InvalidOperationException NoWorkingTime(DateTimeOffset start) => new(
        $"No working time found within {MaxScanDays} days after {start:O}; check the calendar's schedule and holidays.");

    /// <summary>Asia/Shanghai from the system tz database, or a fixed UTC+8 zone when the database is missing.</summary>
    public static TimeZoneInfo ChinaTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(DefaultTimeZoneId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // China has not observed DST since 1991, so a fixed offset is exact for any date the platform handles.
            return TimeZoneInfo.CreateCustomTimeZone(DefaultTimeZoneId, TimeSpan.FromHours(8), "China Standard Time", "China Standard Time");
        }
    }
}
