using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Tests.Cases;

namespace CityLoop.Domain.Tests.Indicators;

/// <summary>及时反馈率 of a case dispatched down by an upper platform (市派): answered on time when it closes by the upper's deadline.</summary>
public class FeedbackDueTests
{
    static Case Dispatched(CaseBuilder b, DateTimeOffset? feedbackDue) =>
        Case.Create(new NewCase
        {
            Source = CaseSource.UpperPlatform, RequestType = RequestType.Complaint, Description = "市派：井盖缺失", Address = "金城中路",
            ExternalId = "451200-20260302-000001", FeedbackDueAt = feedbackDue,
        }, "451202-20260302-00001", "451202", null, null, b.Ctx(CaseBuilder.As(Role.PeerPlatform)));

    static Case Closed(CaseBuilder b, Case c)
    {
        foreach (var (action, role) in new[] { (CaseAction.File, Role.ShiftLeader), (CaseAction.Dispatch, Role.Dispatcher), (CaseAction.SignFor, Role.DepartmentHandler),
                     (CaseAction.Finish, Role.DepartmentHandler), (CaseAction.CheckPass, Role.Inspector), (CaseAction.Close, Role.ShiftLeader) })
            b.Do(c, action, role);
        return c;
    }

    [Fact]
    public void A市派ClosedByTheUppersDeadline_IsRepliedOnTime_AndOneClosedAfterItIsNot_ThoughHandledInItsOwnLimit()
    {
        var b = new CaseBuilder();
        // Seven steps ten minutes apart: created at T0+10 min, closed at T0+70 min.
        var inTime = Closed(b, Dispatched(b, CaseBuilder.T0.AddMinutes(70)));
        var fact = IndicatorTests.Fold(inTime);
        Assert.Equal(CaseBuilder.T0.AddMinutes(70), fact.FeedbackDueAt);
        Assert.Equal(1, fact.RepliedOnTime);
        Assert.Contains("\"feedbackDueAt\"", inTime.NewEvents[0].Payload);

        b = new CaseBuilder();
        var late = IndicatorTests.Fold(Closed(b, Dispatched(b, CaseBuilder.T0.AddMinutes(69))));
        Assert.Equal(1, late.DisposedOnTime);
        Assert.Equal(0, late.RepliedOnTime);

        // Without an upper's deadline the platform's own rule stands: reported done within the handling limit.
        b = new CaseBuilder();
        var own = IndicatorTests.Fold(Closed(b, Dispatched(b, null)));
        Assert.Null(own.FeedbackDueAt);
        Assert.Equal(1, own.RepliedOnTime);
    }

    [Fact]
    public void A市派NotYetClosed_IsNotRepliedOnTime()
    {
        var b = new CaseBuilder();
        var c = Dispatched(b, CaseBuilder.T0.AddDays(3));
        b.Do(c, CaseAction.File, Role.ShiftLeader);
        b.Do(c, CaseAction.Dispatch, Role.Dispatcher);
        b.Do(c, CaseAction.SignFor, Role.DepartmentHandler);
        b.Do(c, CaseAction.Finish, Role.DepartmentHandler);
        Assert.Equal(0, IndicatorTests.Fold(c).RepliedOnTime);
    }
}
