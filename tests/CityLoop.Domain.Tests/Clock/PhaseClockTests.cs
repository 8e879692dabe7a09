using CityLoop.Domain.Clock;
using CsCheck;
using static CityLoop.Domain.Tests.Clock.TestCalendars;
using static CityLoop.Domain.Tests.Clock.WorkingCalendarPropertyTests;

namespace CityLoop.Domain.Tests.Clock;

public class PhaseClockTests
{
    private static readonly WorkingCalendar Calendar = ChinaDefault;

    [Fact]
    public void Due_WithoutPauses_EqualsCalendarAddLimit()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4));
        Assert.Equal(Cn(2025, 11, 17, 15, 30), clock.Due(Calendar)); // 3 h morning + 1 h afternoon
    }

    [Fact]
    public void Due_PausedOverWorkingHours_MovesLaterByPausedBusinessTime()
    {
        // Paused Mon 10:00–11:00 (1 working hour) → due moves from 15:30 to 16:30.
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4))
            .Pause(Cn(2025, 11, 17, 10), "挂账").Resume(Cn(2025, 11, 17, 11));
        Assert.Equal(Cn(2025, 11, 17, 16, 30), clock.Due(Calendar));
    }

    [Fact]
    public void Due_PausedOnlyOvernight_DoesNotMove()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 16), TimeLimit.WorkingHours(4))
            .Pause(Cn(2025, 11, 17, 18)).Resume(Cn(2025, 11, 18, 8));
        Assert.Equal(Calendar.AddLimit(Cn(2025, 11, 17, 16), TimeLimit.WorkingHours(4)), clock.Due(Calendar));
    }

    [Fact]
    public void Due_WhilePaused_IsNullButProjectedDueAssumesResumeNow()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4)).Pause(Cn(2025, 11, 17, 10));
        Assert.True(clock.IsPaused);
        Assert.Null(clock.Due(Calendar));
        Assert.Equal(Cn(2025, 11, 18, 11, 30), clock.ProjectedDue(Calendar, Cn(2025, 11, 18, 8, 30)));
    }

    [Fact]
    public void Due_PauseAfterBreach_KeepsTheBreachedDue()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(1)).Pause(Cn(2025, 11, 17, 15));
        Assert.Equal(Cn(2025, 11, 17, 10), clock.Due(Calendar));
        Assert.Equal(ClockLight.Red, clock.Light(Calendar, Cn(2025, 11, 17, 16)));
    }

    [Fact]
    public void UsedAndWallTime_SeparateBusinessFromNaturalTime()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingDays(3))
            .Pause(Cn(2025, 11, 18)).Resume(Cn(2025, 11, 19));
        var now = Cn(2025, 11, 19, 12);
        Assert.Equal(TimeSpan.FromHours(51), clock.WallTime(now));
        Assert.Equal(TimeSpan.FromHours(51), clock.BusinessTime(Calendar, now));
        Assert.Equal(TimeSpan.FromHours(24), clock.PausedTime(Calendar, now));
        Assert.Equal(TimeSpan.FromHours(27), clock.Used(Calendar, now));
        Assert.Equal(TimeSpan.FromHours(45), clock.Remaining(Calendar, now));
        Assert.Equal(27.0 / 72, clock.FractionUsed(Calendar, now), 9);
    }

    [Fact]
    public void Light_GoesGreenYellowRedAndShowsPause()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 8, 30), TimeLimit.WorkingHours(10)); // due Tue 12:00
        Assert.Equal(ClockLight.Green, clock.Light(Calendar, Cn(2025, 11, 18, 9, 30)));         // 7.5 h
        Assert.Equal(ClockLight.Yellow, clock.Light(Calendar, Cn(2025, 11, 18, 10)));           // 8 h = 80 %
        Assert.Equal(ClockLight.Green, clock.Light(Calendar, Cn(2025, 11, 18, 10), 0.9));
        Assert.Equal(ClockLight.Yellow, clock.Light(Calendar, Cn(2025, 11, 18, 12)));           // exactly due
        Assert.Equal(ClockLight.Red, clock.Light(Calendar, Cn(2025, 11, 18, 12, 1)));
        var paused = clock.Pause(Cn(2025, 11, 18, 9));
        Assert.Equal(ClockLight.Paused, paused.Light(Calendar, Cn(2025, 11, 20)));
    }

    [Fact]
    public void Extend_AddsBusinessTimeOfTheSameType()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingDays(3)).Extend(TimeLimit.WorkingDays(2));
        Assert.Equal(TimeSpan.FromDays(5), clock.Budget);
        Assert.Equal(Cn(2025, 11, 24, 9), clock.Due(Calendar));
        Assert.Throws<InvalidOperationException>(() => clock.Extend(TimeLimit.WorkingHours(4)));
    }

    [Fact]
    public void ExtendTo_SetsTheNewDueAndSurvivesLaterPauses()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4)).ExtendTo(Calendar, Cn(2025, 11, 18, 10));
        Assert.Equal(Cn(2025, 11, 18, 10), clock.Due(Calendar));
        var paused = clock.Pause(Cn(2025, 11, 18, 9)).Resume(Cn(2025, 11, 18, 9, 30));
        Assert.Equal(Cn(2025, 11, 18, 10, 30), paused.Due(Calendar));
        Assert.Throws<InvalidOperationException>(() => clock.ExtendTo(Calendar, Cn(2025, 11, 17, 18)));
    }

    [Fact]
    public void IllegalOperations_ThrowWithClearMessages()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4));
        Assert.Contains("not paused", Assert.Throws<InvalidOperationException>(() => clock.Resume(Cn(2025, 11, 17, 10))).Message);
        Assert.Contains("before the clock started", Assert.Throws<InvalidOperationException>(() => clock.Pause(Cn(2025, 11, 17, 8))).Message);
        var paused = clock.Pause(Cn(2025, 11, 17, 10));
        Assert.Contains("already paused", Assert.Throws<InvalidOperationException>(() => paused.Pause(Cn(2025, 11, 17, 11))).Message);
        Assert.Contains("backwards", Assert.Throws<InvalidOperationException>(() => paused.Resume(Cn(2025, 11, 17, 9, 30))).Message);
        var resumed = paused.Resume(Cn(2025, 11, 17, 11));
        Assert.Contains("backwards", Assert.Throws<InvalidOperationException>(() => resumed.Pause(Cn(2025, 11, 17, 10, 30))).Message);
        Assert.Contains("paused", Assert.Throws<InvalidOperationException>(() => paused.ExtendTo(Calendar, Cn(2025, 11, 20))).Message);
    }

    [Fact]
    public void Restore_RebuildsAnEqualClock()
    {
        var clock = PhaseClock.StartAt(Cn(2025, 11, 17, 9), TimeLimit.WorkingHours(4))
            .Pause(Cn(2025, 11, 17, 10), "延期").Resume(Cn(2025, 11, 17, 11)).Extend(TimeLimit.WorkingHours(2)).Pause(Cn(2025, 11, 17, 15));
        var restored = PhaseClock.Restore(clock.Start, clock.Limit, clock.Pauses, clock.Extensions);
        Assert.Equal(clock, restored);
        Assert.Throws<InvalidOperationException>(() => PhaseClock.Restore(clock.Start, clock.Limit,
            [new PauseInterval(Cn(2025, 11, 17, 10), Cn(2025, 11, 17, 9))], []));
    }

    [Theory]
    [MemberData(nameof(WorkingCalendarPropertyTests.Calendars), MemberType = typeof(WorkingCalendarPropertyTests))]
    public void Property_PauseThenResume_ShiftsDueByBusinessTimeInsideThePause(string name)
    {
        var calendar = ByName(name);
        Gen.Select(Instant, Limit, Share, Share).Sample((start, limit, pauseShare, resumeShare) =>
        {
            var plain = PhaseClock.StartAt(start, limit);
            var due = plain.Due(calendar)!.Value;
            var pausedAt = start.AddTicks(Within((due - start).Ticks + TimeSpan.TicksPerDay, pauseShare));
            var resumedAt = pausedAt.AddTicks(Within(TimeSpan.TicksPerDay * 10, resumeShare));
            var shifted = plain.Pause(pausedAt).Resume(resumedAt).Due(calendar)!.Value;

            if (pausedAt < due)
            {
                Assert.True(shifted >= due);
                Assert.Equal(calendar.Elapsed(pausedAt, resumedAt, limit.Type), calendar.Elapsed(due, shifted, limit.Type));
            }
            else
            {
                Assert.Equal(due, shifted);
            }
            // Used time at the due is always exactly the budget.
            Assert.Equal(plain.Budget, plain.Pause(pausedAt).Resume(resumedAt).Used(calendar, shifted));
        }, iter: WorkingCalendarPropertyTests.Cases);
    }

    [Theory]
    [MemberData(nameof(WorkingCalendarPropertyTests.Calendars), MemberType = typeof(WorkingCalendarPropertyTests))]
    public void Property_UsedPlusRemaining_IsTheBudget(string name)
    {
        var calendar = ByName(name);
        Gen.Select(Instant, Limit, Share, Share, Share).Sample((start, limit, pauseShare, resumeShare, nowShare) =>
        {
            var clock = PhaseClock.StartAt(start, limit);
            var pausedAt = start.AddTicks(Within(TimeSpan.TicksPerDay * 5, pauseShare));
            clock = clock.Pause(pausedAt).Resume(pausedAt.AddTicks(Within(TimeSpan.TicksPerDay * 5, resumeShare)));
            var now = start.AddTicks(Within(TimeSpan.TicksPerDay * 40, nowShare));
            Assert.Equal(clock.Budget, clock.Used(calendar, now) + clock.Remaining(calendar, now));
            Assert.Equal(now > clock.Due(calendar)!.Value, clock.Light(calendar, now) == ClockLight.Red);
        }, iter: WorkingCalendarPropertyTests.Cases);
    }
}
