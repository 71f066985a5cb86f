using Concert.Application.Queue;
using Concert.Domain.Queue;
using static Concert.Application.Queue.WaitingLine;

namespace Concert.Application.UnitTests.Queue;

/// <summary>
/// What a group commit of joins read for its joins' places (<see cref="JoinedSince"/>): counted the way the per-join
/// queries count, and no answer at all where the rows read cannot tell (the join then counts with a query).
/// </summary>
public sealed class JoinedSinceTests
{
    private const long End = QueueToken.NotDrawn;

    private static LineEntry Waiting(long id, long round, long key = End) => new(id, QueueTokenStatus.Waiting, round, key);

    [Fact]
    public void Every_row_above_the_copy_counts_those_ahead_by_round_then_draw_key_then_id()
    {
        var since = JoinedSince.Of(new LineRead(100, long.MaxValue), [
            Waiting(101, 2), Waiting(102, 2), Waiting(103, 1), Waiting(104, 2), Waiting(105, 2, key: 7), Waiting(106, 2)]);

        // Token 104 at the end of round 2, copy read up to 100: 101, 102 (earlier ids), 103 (earlier round) and 105
        // (a draw key ahead of the end) stand ahead; 106 does not, nor itself.
        Assert.Equal(4, since.CountAhead(maxId: 100, id: 104, round: 2, drawKey: End));
        // A newer copy (up to 102) already holds 101 and 102.
        Assert.Equal(2, since.CountAhead(maxId: 102, id: 104, round: 2, drawKey: End));
        // Of those that joined after 101, 103 is of an earlier round.
        Assert.Equal(1, since.CountJoinedLaterOfEarlierRound(id: 101, round: 2));
        Assert.Equal(0, since.CountJoinedLaterOfEarlierRound(id: 103, round: 2));
    }

    [Fact]
    public void Rows_above_a_later_copy_cannot_count_for_an_earlier_one()
    {
        var since = JoinedSince.Of(new LineRead(100, long.MaxValue), [Waiting(101, 2), Waiting(102, 2)]);

        Assert.Null(since.CountAhead(maxId: 99, id: 102, round: 2, drawKey: End));
        Assert.Null(since.CountJoinedLaterOfEarlierRound(id: 99, round: 2));
    }

    [Fact]
    public void Rows_of_earlier_rounds_only_bound_a_place_but_never_count_it_exactly()
    {
        // Read for joins of round 3: only rows of rounds before 3 above 200.
        var since = JoinedSince.Of(new LineRead(200, 3), [Waiting(205, 2), Waiting(207, 1)]);

        Assert.Null(since.CountAhead(maxId: 200, id: 203, round: 3, drawKey: End));
        Assert.Equal(2, since.CountJoinedLaterOfEarlierRound(id: 203, round: 3));
        Assert.Equal(1, since.CountJoinedLaterOfEarlierRound(id: 206, round: 3));
        Assert.Equal(1, since.CountJoinedLaterOfEarlierRound(id: 203, round: 2));
        // Round 4 would need the rows of round 3 too, which were not read.
        Assert.Null(since.CountJoinedLaterOfEarlierRound(id: 203, round: 4));
        Assert.Null(since.CountJoinedLaterOfEarlierRound(id: 199, round: 3));
    }
}
