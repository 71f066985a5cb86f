using Concert.Domain.Queue;

namespace Concert.Domain.UnitTests.Queue;

public sealed class QueueGateTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    [Fact]
    public void Create_is_the_singleton_with_nothing_recorded()
    {
        var gate = QueueGate.Create();

        Assert.Equal(QueueGate.SingletonId, gate.Id);
        Assert.Equal(0, gate.AdmittedTotal);
        Assert.Null(gate.PendingDrawId);
        Assert.Equal(0, gate.Round);
        Assert.Null(gate.RateWindowStartedAt);
        Assert.Equal(0, gate.RateWindowAdmitted);
        Assert.Null(gate.ObservedAdmissionsPerSecond);
    }

    [Fact]
    public void RecordAdmissions_counts_every_admission_and_opens_the_rate_window_on_the_first()
    {
        var gate = QueueGate.Create();

        gate.RecordAdmissions(10, Now, Window);
        gate.RecordAdmissions(5, Now.AddSeconds(20), Window);

        Assert.Equal(15, gate.AdmittedTotal);
        Assert.Equal(Now, gate.RateWindowStartedAt);
        Assert.Equal(15, gate.RateWindowAdmitted);
        Assert.Null(gate.ObservedAdmissionsPerSecond);
        Assert.Equal(2, gate.Version);
    }

    [Fact]
    public void RecordAdmissions_closes_the_window_once_it_has_lasted_and_observes_the_rate()
    {
        var gate = QueueGate.Create();
        gate.RecordAdmissions(10, Now, Window);
        gate.RecordAdmissions(20, Now.AddSeconds(30), Window);

        gate.RecordAdmissions(30, Now.AddSeconds(75), Window);

        // 60 admissions over the 75 s the window lasted.
        Assert.Equal(60.0 / 75.0, gate.ObservedAdmissionsPerSecond);
        Assert.Equal(60, gate.AdmittedTotal);
        Assert.Equal(Now.AddSeconds(75), gate.RateWindowStartedAt);
        Assert.Equal(0, gate.RateWindowAdmitted);
    }

    [Fact]
    public void RecordAdmissions_keeps_the_last_observed_rate_while_the_next_window_fills()
    {
        var gate = QueueGate.Create();
        gate.RecordAdmissions(60, Now, Window);
        gate.RecordAdmissions(60, Now.AddSeconds(60), Window);
        Assert.Equal(2.0, gate.ObservedAdmissionsPerSecond);

        gate.RecordAdmissions(6, Now.AddSeconds(90), Window);
        Assert.Equal(2.0, gate.ObservedAdmissionsPerSecond);
        Assert.Equal(6, gate.RateWindowAdmitted);

        gate.RecordAdmissions(6, Now.AddSeconds(120), Window);
        Assert.Equal(12.0 / 60.0, gate.ObservedAdmissionsPerSecond);
        Assert.Equal(132, gate.AdmittedTotal);
    }

    [Fact]
    public void Initialise_writes_the_configurations_settings_once()
    {
        var gate = QueueGate.Create();

        gate.Initialise(250, paused: true);
        gate.Initialise(7, paused: false);   // a second instance starting later

        Assert.Equal(250, gate.MaxActiveTokens);
        Assert.True(gate.Paused);
        Assert.True(gate.SettingsInitialised);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_001)]
    public void The_cap_stays_within_1_to_100000(int cap)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QueueGate.Create().SetCap(cap));
    }

    [Fact]
    public void A_scheduled_opening_takes_a_prequeue_until_its_time_then_its_draw_is_due()
    {
        var gate = QueueGate.Create();
        var draw = QueueDraw.Schedule(Now);
        gate.Schedule(draw, Now.AddMinutes(30), Now);

        Assert.True(gate.IsPrequeueOpen(Now.AddMinutes(29)));
        Assert.False(gate.IsDrawDue(Now.AddMinutes(29)));
        Assert.Equal(WaitingRoomState.Scheduled, gate.StateAt(Now));
        Assert.False(gate.IsPrequeueOpen(Now.AddMinutes(30)));
        Assert.True(gate.IsDrawDue(Now.AddMinutes(30)));
        Assert.Equal(draw.Id, gate.RoundForLine);   // a joiner after the time, before the draw: behind the draw
    }

    [Fact]
    public void Moving_an_opening_keeps_its_draw_and_clearing_it_makes_the_draw_due_at_once()
    {
        var gate = QueueGate.Create();
        gate.Schedule(QueueDraw.Schedule(Now), Now.AddMinutes(30), Now);

        gate.MoveOpening(Now.AddHours(2), Now);
        Assert.Equal(Now.AddHours(2), gate.OpensAt);
        Assert.NotNull(gate.PendingDrawId);

        gate.MoveOpening(null, Now);
        Assert.True(gate.IsDrawDue(Now));
        Assert.Equal(WaitingRoomState.Open, gate.StateAt(Now));
    }

    [Fact]
    public void An_opening_is_never_scheduled_or_moved_into_the_past()
    {
        var gate = QueueGate.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => gate.Schedule(QueueDraw.Schedule(Now), Now, Now));
        gate.Schedule(QueueDraw.Schedule(Now), Now.AddMinutes(1), Now);
        Assert.Throws<ArgumentOutOfRangeException>(() => gate.MoveOpening(Now.AddSeconds(-1), Now));
        Assert.Throws<InvalidOperationException>(() => gate.Schedule(QueueDraw.Schedule(Now), Now.AddMinutes(5), Now));
    }

    [Fact]
    public void Opened_makes_the_draws_round_the_lines_and_clears_the_opening()
    {
        var gate = QueueGate.Create();
        var draw = QueueDraw.Schedule(Now);
        gate.Schedule(draw, Now.AddMinutes(1), Now);

        gate.Opened(draw.Id);

        Assert.Equal(draw.Id, gate.Round);
        Assert.Null(gate.PendingDrawId);
        Assert.Null(gate.OpensAt);
        Assert.Equal(WaitingRoomState.Open, gate.StateAt(Now));
        gate.SetPaused(true);
        Assert.Equal(WaitingRoomState.Paused, gate.StateAt(Now));
    }

    [Fact]
    public void AdmissionsPerSecond_before_any_admission_is_capacity_over_lifetime()
    {
        var gate = QueueGate.Create();

        Assert.Equal(100 / 600.0, gate.AdmissionsPerSecond(Now, 100, Lifetime));
    }

    [Fact]
    public void AdmissionsPerSecond_fallback_never_divides_by_zero_nor_reports_zero()
    {
        var gate = QueueGate.Create();

        Assert.Equal(1 / 600.0, gate.AdmissionsPerSecond(Now, 0, Lifetime));
        Assert.Equal(50.0, gate.AdmissionsPerSecond(Now, 50, TimeSpan.Zero));
    }

    [Fact]
    public void AdmissionsPerSecond_uses_the_partial_window_once_it_has_run_five_seconds()
    {
        var gate = QueueGate.Create();
        gate.RecordAdmissions(10, Now, Window);

        Assert.Equal(100 / 600.0, gate.AdmissionsPerSecond(Now.AddSeconds(4), 100, Lifetime));
        Assert.Equal(2.0, gate.AdmissionsPerSecond(Now.AddSeconds(5), 100, Lifetime));
        Assert.Equal(0.5, gate.AdmissionsPerSecond(Now.AddSeconds(20), 100, Lifetime));
    }

    [Fact]
    public void AdmissionsPerSecond_prefers_the_observed_rate()
    {
        var gate = QueueGate.Create();
        gate.RecordAdmissions(30, Now, Window);
        gate.RecordAdmissions(30, Now.AddSeconds(60), Window);
        gate.RecordAdmissions(100, Now.AddSeconds(61), Window);

        Assert.Equal(1.0, gate.AdmissionsPerSecond(Now.AddSeconds(90), 100, Lifetime));
    }
}
