using Concert.Application.Common.Options;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Concert.Application.UnitTests.Queue;

public sealed class QueueTokenViewTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(Now));
    private readonly QueueOptions _options = new() { PollViewMaxAge = TimeSpan.FromSeconds(30), PollViewCapacity = 3 };
    private readonly List<QueueToken> _line = [];
    private readonly QueueTokenView _view;
    private long _ids;

    public QueueTokenViewTests() => _view = new QueueTokenView(_clock, Options.Create(_options));

    /// <summary>A token as read from the database: Id set as the store would.</summary>
    private QueueToken Waiting()
    {
        var token = QueueToken.Issue(userId: 7, Now);
        typeof(QueueToken).GetProperty(nameof(QueueToken.Id))!.SetValue(token, ++_ids);
        return token;
    }

    [Fact]
    public void An_entry_is_served_until_it_is_max_age_old_then_dropped()
    {
        var token = Waiting();
        _view.Put(token, ahead: 10, admittedTotal: 5);

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.True(_view.TryGet(token.Token, out var entry));
        Assert.Equal(10, entry.Ahead);
        Assert.Equal(5, entry.AdmittedTotal);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_view.TryGet(token.Token, out _));
        Assert.Equal(0, _view.Count);
    }

    [Fact]
    public void Max_age_never_exceeds_the_idle_timeout()
    {
        _options.PollViewMaxAge = TimeSpan.FromMinutes(10);
        _options.WaitingTokenIdleTimeout = TimeSpan.FromMinutes(5);

        Assert.Equal(TimeSpan.FromMinutes(5), _view.MaxAge);
    }

    [Fact]
    public void A_zero_max_age_turns_the_view_off()
    {
        _options.PollViewMaxAge = TimeSpan.Zero;
        var token = Waiting();

        _view.Put(token, 1, 0);

        Assert.False(_view.TryGet(token.Token, out _));
        Assert.Equal(0, _view.Count);
    }

    [Fact]
    public void Only_waiting_tokens_are_kept()
    {
        var active = Waiting();
        active.Activate(Now, TimeSpan.FromMinutes(10));
        var expired = Waiting();
        expired.Expire(Now);

        _view.Put(active, 0, 0);
        _view.Put(expired, 0, 0);

        Assert.Equal(0, _view.Count);
    }

    [Fact]
    public void A_full_view_takes_no_new_token_but_still_renews_the_ones_it_holds()
    {
        var held = Enumerable.Range(0, 3).Select(_ => Waiting()).ToList();
        held.ForEach(t => _view.Put(t, 1, 0));
        var extra = Waiting();

        _view.Put(extra, 1, 0);
        _view.Put(held[0], 9, 0);

        Assert.False(_view.TryGet(extra.Token, out _));
        Assert.True(_view.TryGet(held[0].Token, out var renewed));
        Assert.Equal(9, renewed.Ahead);
        Assert.Equal(3, _view.Count);
    }

    [Fact]
    public void Eviction_by_id_removes_the_entry_and_a_replaced_entry_is_no_longer_held()
    {
        var token = Waiting();
        var other = Waiting();
        _view.Put(token, 3, 0);
        _view.Put(other, 4, 0);
        Assert.True(_view.TryGet(token.Token, out var first));

        _view.Put(token, 2, 1);
        Assert.False(_view.Holds(first));
        Assert.True(_view.TryGet(token.Token, out var second));
        Assert.True(_view.Holds(second));

        _view.Evict([token.Token]);
        Assert.False(_view.TryGet(token.Token, out _));
        Assert.False(_view.Holds(second));
        Assert.True(_view.TryGet(other.Token, out _));
    }

    [Fact]
    public void Entries_keep_their_own_copy_of_the_row()
    {
        var token = Waiting();
        _view.Put(token, 3, 0);

        token.Expire(Now);   // the caller's object changes later: the view must not

        Assert.True(_view.TryGet(token.Token, out var entry));
        Assert.Equal(QueueTokenStatus.Waiting, entry.ToToken().Status);
    }

    [Fact]
    public void A_recorded_poll_is_kept_in_a_new_copy()
    {
        var token = Waiting();
        _view.Put(token, 3, 0);
        Assert.True(_view.TryGet(token.Token, out var before));

        _view.Seen(token, Now.AddMinutes(2));

        Assert.True(_view.TryGet(token.Token, out var after));
        Assert.Equal(Now.AddMinutes(2), after.LastSeenAt);
        Assert.Equal(Now, before.LastSeenAt);
        Assert.Equal(3, after.Ahead);
    }

    private static QueueTokenView.Entry Entry(QueueToken token, long ahead, long admittedTotal) =>
        new(token.Id, token.Token, token.UserId, token.IssuedAt, token.LastSeenAt, ahead, admittedTotal, Now, 0);

    [Theory]
    [InlineData(10, 5, 5, 10)]    // no admissions since the count
    [InlineData(10, 5, 8, 7)]     // three admitted since, all of them ahead (FIFO)
    [InlineData(10, 5, 15, 0)]    // now first in line
    [InlineData(10, 5, 16, -1)]   // the admissions reach it: the view cannot tell
    [InlineData(10, 5, 3, 10)]    // a snapshot older than the count never adds places
    public void Those_ahead_are_the_count_less_the_admissions_since(long ahead, long countedAt, long admittedNow, long expected)
    {
        var entry = Entry(Waiting(), ahead, countedAt);

        Assert.Equal(expected, entry.AheadAfter(admittedNow));
    }

    [Fact]
    public void Pruning_drops_entries_nobody_polled_within_max_age()
    {
        var stale = Waiting();
        var fresh = Waiting();
        _view.Put(stale, 1, 0);
        _clock.Advance(TimeSpan.FromSeconds(20));
        _view.Put(fresh, 1, 0);
        _clock.Advance(TimeSpan.FromSeconds(15));

        _view.PruneIfDue();

        Assert.Equal(1, _view.Count);
        Assert.True(_view.TryGet(fresh.Token, out _));
    }

    /// <summary>Five waiting tokens in join order (ids 1–5).</summary>
    private List<QueueToken> Line()
    {
        for (var i = 0; i < 5; i++)
        {
            _line.Add(Waiting());
        }

        return _line;
    }

    private QueueTokenView.Entry Get(QueueToken token)
    {
        Assert.True(_view.TryGet(token.Token, out var entry));
        return entry;
    }

    [Fact]
    public void A_leave_here_after_the_count_moves_those_behind_up_and_no_one_ahead()
    {
        var line = Line();
        _view.Put(line[4], ahead: 4, admittedTotal: 0);
        _view.Put(line[1], ahead: 1, admittedTotal: 0);

        _view.LeftHere(line[2].Id, line[2].Token, Now, _view.NextSequence());

        Assert.Equal(1, _view.LeftAheadSince(Get(line[4])));
        Assert.Equal(3, Get(line[4]).AheadAfter(0, _view.LeftAheadSince(Get(line[4]))));
        Assert.Equal(0, _view.LeftAheadSince(Get(line[1])));
    }

    [Fact]
    public void A_leave_that_began_before_the_count_finished_is_not_subtracted()
    {
        var line = Line();
        var sequence = _view.NextSequence();   // the leave began…
        _view.Put(line[4], ahead: 3, admittedTotal: 0);   // …a count finished (it may or may not have seen it)…

        _view.LeftHere(line[2].Id, line[2].Token, Now, sequence);   // …then the leave was written

        Assert.Equal(0, _view.LeftAheadSince(Get(line[4])));   // high by one until recounted, never low
    }

    [Fact]
    public void Another_instances_leaver_counts_only_when_it_certainly_expired_after_the_count()
    {
        var line = Line();
        _view.Put(line[4], ahead: 4, admittedTotal: 0);

        _view.Expired([(line[1].Id, Now + QueueTokenView.ClockSkewAllowance)]);   // within the skew: doubtful
        _view.Expired([(line[2].Id, Now + QueueTokenView.ClockSkewAllowance + TimeSpan.FromMilliseconds(1))]);

        Assert.Equal(1, _view.LeftAheadSince(Get(line[4])));
    }

    [Fact]
    public void A_leaver_that_left_before_the_count_is_never_subtracted()
    {
        var line = Line();
        _view.Put(line[4], ahead: 3, admittedTotal: 0);

        _view.Expired([(line[1].Id, Now.AddSeconds(-10))]);   // learnt late, but it left before the count

        Assert.Equal(0, _view.LeftAheadSince(Get(line[4])));
    }

    [Fact]
    public void Leavers_are_not_kept_while_the_view_holds_nothing()
    {
        var line = Line();
        _view.LeftHere(line[1].Id, line[1].Token, Now, _view.NextSequence());
        _view.Expired([(line[2].Id, Now.AddSeconds(5))]);

        _view.Put(line[4], ahead: 4, admittedTotal: 0);

        Assert.Equal(0, _view.LeftAheadSince(Get(line[4])));
    }

    [Fact]
    public void A_recorded_poll_keeps_the_count_current()
    {
        var token = Waiting();
        _view.Put(token, 3, 0);
        Assert.True(_view.TryGet(token.Token, out var entry));

        _view.Seen(token, Now.AddMinutes(1));

        Assert.True(_view.Holds(entry));
    }

    [Fact]
    public void A_leaver_learnt_twice_counts_once()
    {
        var line = Line();
        _view.Put(line[4], ahead: 4, admittedTotal: 0);

        _view.LeftHere(line[2].Id, line[2].Token, Now, _view.NextSequence());
        _clock.Advance(TimeSpan.FromSeconds(5));
        _view.Expired([(line[2].Id, Now)]);

        Assert.Equal(1, _view.LeftAheadSince(Get(line[4])));
    }
}
