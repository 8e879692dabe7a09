using CityLoop.Domain.Cases;

namespace CityLoop.Bench;

/// <summary>
/// A case to load: a history made by the domain (written with its events), or a copy of a template history moved by
/// whole weeks, with its own id and number (written as its case and fact rows only — see <see cref="CaseReplicator"/>).
/// </summary>
public sealed record BenchCase(GeneratedCase Source, TimeSpan Shift = default, Guid? CopyId = null, string? CopyNumber = null)
{
    public bool IsCopy => CopyId is not null;
    public DateTimeOffset CreatedAt => Source.Case.CreatedAt + Shift;
}

/// <summary>
/// Many millions of legal case histories in minutes (decision 032). The domain makes D distinct histories — the cases
/// of the last week before the end, each carried to its end by <see cref="CaseHistoryGenerator"/> (Case.Create and
/// Case.Perform through the transition table) — and every older week is filled with copies of them moved back by whole
/// weeks, so weekdays and the daily rhythm stay where they were. The generator's deadlines are fixed durations
/// (<see cref="CaseHistoryGenerator.Deadlines"/>), so a history moved by whole weeks is exactly the history the domain
/// makes from the same steps at the moved instants: every instant, deadline and clock moves by the same amount and
/// every on-time verdict and counter stays. A copy therefore needs no domain work: its case row and its fact row are
/// the template's rows with a new id (UUIDv7 of its moved intake instant), a new number of its own day, and every
/// instant moved. Its events are not stored (the budget: about 10 KB a case with the clock records), only the figures'
/// and the lists' tables. Where a moved history would run past the end — every case of the last week, and the rare
/// older copy still open at the end — the history is made again by the domain from its recipe at the moved instants
/// and stopped at the end, with its events, so the cases open at the end are real open cases.
/// </summary>
public sealed class CaseReplicator(GeneratorWorld world, int seed)
{
    public static readonly TimeSpan Week = TimeSpan.FromDays(7);
    readonly Random _rng = new(seed ^ 0x5eed);
    readonly Dictionary<string, int> _perDay = [];

    /// <summary>The templates: the last week's cases before <paramref name="end"/>, each carried to the end of its history.</summary>
    public List<GeneratedCase> Templates(int count, DateTimeOffset end)
    {
        end = TimeZoneInfo.ConvertTime(end, world.Zone);
        return new CaseHistoryGenerator(world, seed).Generate(count, end - Week, end, until: end.AddYears(1)).ToList();
    }

    /// <summary>
    /// About <paramref name="count"/> cases received over the <paramref name="weeks"/> whole weeks before
    /// <paramref name="end"/> (a local midnight), oldest week first and each week in the order of its intakes; the
    /// state of every case is its state at <paramref name="end"/>. Weekly volumes vary by ±15 % over the year.
    /// </summary>
    public IEnumerable<BenchCase> Generate(int count, int weeks, DateTimeOffset end, Action<int>? templatesMade = null)
    {
        var local = TimeZoneInfo.ConvertTime(end, world.Zone);
        if (local.TimeOfDay != TimeSpan.Zero) throw new ArgumentException("The end is a local midnight, so that weeks move whole days.", nameof(end));
        weeks = Math.Max(1, weeks);
        // Seasonal weights, the latest week at a middling volume; the per-week counts add up to the total.
        var weights = Enumerable.Range(0, weeks).Select(j => 1 + 0.15 * Math.Sin(2 * Math.PI * (j + 13) / 52.0)).ToArray();
        var perWeek = weights.Select(w => (int)Math.Round(count * w / weights.Sum())).ToArray();
        var templates = Templates(Math.Max(1, perWeek[0]), end);
        templatesMade?.Invoke(templates.Count);
        for (var j = weeks - 1; j >= 1; j--)
        {
            var shift = -Week * j;
            var want = perWeek[j];
            var layers = want / templates.Count;
            var rest = want - layers * templates.Count;
            var left = templates.Count;
            foreach (var t in templates)
            {
                // Selection sampling: exactly `rest` of the templates once more than the whole layers, in intake order.
                var n = layers;
                if (rest > 0 && _rng.NextDouble() * left < rest) { n++; rest--; }
                left--;
                for (var k = 0; k < n; k++) yield return t.LastAt + shift < end ? Copy(t, shift) : Replay(t, shift, NextNumber(t.Case.CreatedAt + shift), end);
            }
        }
        // The last week: the templates themselves, made again and stopped at the end, under their own numbers.
        foreach (var t in templates) yield return Replay(t, TimeSpan.Zero, t.Case.Number, end);
    }

    BenchCase Copy(GeneratedCase t, TimeSpan shift)
    {
        var at = t.Case.CreatedAt + shift;
        return new BenchCase(t, shift, Guid.CreateVersion7(at), NextNumber(at));
    }

    BenchCase Replay(GeneratedCase t, TimeSpan shift, string number, DateTimeOffset until) =>
        new(Replay(world, t.Recipe, shift, number, until));

    /// <summary>
    /// The history of <paramref name="recipe"/> made again by the domain with every instant moved by
    /// <paramref name="shift"/>, under <paramref name="number"/>, stopped before the first step after
    /// <paramref name="until"/>.
    /// </summary>
    public static GeneratedCase Replay(GeneratorWorld world, CaseRecipe recipe, TimeSpan shift, string number, DateTimeOffset until)
    {
        var deadlines = CaseHistoryGenerator.Deadlines;
        var c = Case.Create(recipe.Input, number, world.PlatformCode, recipe.Place, null, new TransitionContext(recipe.Creator, recipe.At + shift, deadlines));
        var events = new List<CaseEvent>(c.NewEvents);
        c.AcceptEvents();
        var steps = new List<CaseStep>();
        foreach (var s in recipe.Steps)
        {
            var at = s.At + shift;
            if (at > until) break;
            var input = s.Input.DueAt is { } due ? s.Input with { DueAt = due + shift } : s.Input;
            c.Perform(s.Action, input, new TransitionContext(s.Actor, at, deadlines));
            events.AddRange(c.NewEvents);
            c.AcceptEvents();
            steps.Add(s with { Input = input, At = at });
        }
        return new GeneratedCase(c, events, GeneratedCase.FactOf(c, events), recipe with { At = recipe.At + shift, Steps = steps });
    }

    string NextNumber(DateTimeOffset at)
    {
        var day = TimeZoneInfo.ConvertTime(at, world.Zone).ToString("yyyyMMdd");
        var n = _perDay[day] = _perDay.GetValueOrDefault(day) + 1;
        return $"{world.PlatformCode}-{day}-{n:D6}";
    }
}
