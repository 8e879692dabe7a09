using CityLoop.Domain.Indicators;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>接通率 and the call counts over hand-built calls: answered, abandoned in the queue, still queued, outside the period.</summary>
public sealed class CallFigureTests
{
    static readonly DateTimeOffset T = new(2026, 6, 8, 9, 0, 0, TimeSpan.FromHours(8));

    static IReadOnlyList<CallFact> Calls() =>
    [
        CallFact.Of(T, T.AddSeconds(10), T.AddMinutes(4)),             // answered, ended
        CallFact.Of(T.AddMinutes(1), T.AddMinutes(2), null),           // answered, still talking
        CallFact.Of(T.AddMinutes(2), null, T.AddMinutes(3)),           // abandoned: missed
        CallFact.Of(T.AddMinutes(3), null, null),                      // still queued: offered, neither answered nor missed
        CallFact.Of(T.AddDays(-40), T.AddDays(-40).AddSeconds(5), T.AddDays(-40).AddMinutes(1)), // another month
    ];

    [Theory]
    [InlineData("calls-offered", 4, null)]
    [InlineData("calls-missed", 1, null)]
    [InlineData("call-connection-rate", 2L, 4L)]
    public void CallFigures_CountTheCallsOfThePeriod(string id, long numerator, long? denominator)
    {
        var def = IndicatorCatalogue.Find(id)!;
        Assert.Equal(IndicatorSubject.Calls, def.Subject);
        var result = CallFact.Evaluate(def, Calls(), T.AddDays(-7), T.AddDays(1));
        Assert.Equal((numerator, denominator), (result.Numerator, result.Denominator));
    }

    [Fact]
    public void ConnectionRate_IsAnsweredOverOffered_RoundedHalfUp()
    {
        var def = IndicatorCatalogue.Find("call-connection-rate")!;
        Assert.Equal(50.00m, CallFact.Evaluate(def, Calls(), T.AddDays(-7), T.AddDays(1)).Value);
        // 2 of 3 → 66.666… → 66.67
        Assert.Equal(66.67m, def.ValueOf(2, 3));
        Assert.Null(CallFact.Evaluate(def, [], T, T.AddDays(1)).Value);
    }

    [Fact]
    public void ACall_IsMissedOnlyOnceItEndedUnanswered()
    {
        Assert.Equal((1, 0, 0), (CallFact.Of(T, null, null).Offered, CallFact.Of(T, null, null).Answered, CallFact.Of(T, null, null).Missed));
        Assert.Equal(1, CallFact.Of(T, null, T.AddSeconds(30)).Missed);
        Assert.Equal(0, CallFact.Of(T, T.AddSeconds(3), T.AddSeconds(30)).Missed);
        Assert.Throws<ArgumentException>(() => CallFact.Evaluate(IndicatorCatalogue.Find("reported")!, Calls()));
    }
}
