namespace CityLoop.Domain.Indicators;

/// <summary>
/// What one call contributes to the call figures: it was offered (1), answered by an agent or not, missed (abandoned
/// before an answer). The call records store these counters beside the call, so a figure is one SUM as for cases.
/// </summary>
public sealed record CallFact(DateTimeOffset ReceivedAt, int Offered, int Answered, int Missed)
{
    /// <summary>The counters of a call from its times: answered when an agent picked it up, else missed once it ended.</summary>
    public static CallFact Of(DateTimeOffset receivedAt, DateTimeOffset? answeredAt, DateTimeOffset? endedAt) =>
        new(receivedAt, 1, answeredAt is null ? 0 : 1, answeredAt is null && endedAt is not null ? 1 : 0);

    public int Counter(string name) => name switch
    {
        nameof(Offered) => Offered,
        nameof(Answered) => Answered,
        nameof(Missed) => Missed,
        _ => throw new ArgumentException($"A call has no counter '{name}'.", nameof(name)),
    };

    /// <summary>The call figure over calls in memory (the definition the SQL implements).</summary>
    public static IndicatorResult Evaluate(IndicatorDefinition def, IEnumerable<CallFact> calls, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (def.Subject != IndicatorSubject.Calls) throw new ArgumentException($"{def.Id} is not a call figure.", nameof(def));
        long n = 0, d = 0;
        foreach (var c in calls)
        {
            if (from is not null && c.ReceivedAt < from) continue;
            if (to is not null && c.ReceivedAt >= to) continue;
            n += c.Counter(def.Numerator);
            if (def.Denominator is not null) d += c.Counter(def.Denominator);
        }
        return new IndicatorResult(def.ValueOf(n, d), n, def.Denominator is null ? null : d);
    }
}
