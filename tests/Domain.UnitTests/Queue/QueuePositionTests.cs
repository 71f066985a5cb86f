using Concert.Domain.Queue;

namespace Concert.Domain.UnitTests.Queue;

public sealed class QueuePositionTests
{
    [Theory]
    [InlineData(10, 2.0, 5)]
    [InlineData(11, 2.0, 6)]
    [InlineData(1, 100.0, 1)]
    [InlineData(300, 0.25, 1200)]
    public void EstimatedWaitSeconds_is_position_over_rate_rounded_up(long position, double rate, int expected)
    {
        Assert.Equal(expected, QueuePosition.EstimatedWaitSeconds(position, rate));
    }

    [Fact]
    public void EstimatedWaitSeconds_survives_a_zero_rate_and_huge_positions()
    {
        Assert.Equal(1000, QueuePosition.EstimatedWaitSeconds(1, 0));
        Assert.Equal(1000, QueuePosition.EstimatedWaitSeconds(1, -5));
        Assert.Equal(int.MaxValue, QueuePosition.EstimatedWaitSeconds(long.MaxValue, 0.001));
        Assert.Equal(int.MaxValue, QueuePosition.EstimatedWaitSeconds(10_000_000, 0));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(19, 1)]
    [InlineData(20, 2)]
    [InlineData(150, 15)]
    [InlineData(200, 20)]
    [InlineData(10_000, 20)]
    [InlineData(int.MaxValue, 20)]
    public void PollAfterSeconds_is_a_tenth_of_the_wait_between_1_and_20(int wait, int expected)
    {
        Assert.Equal(expected, QueuePosition.PollAfterSeconds(wait));
    }

    [Fact]
    public void PollAfterSeconds_stays_within_1_to_20_for_any_estimate()
    {
        var waits = Enumerable.Range(0, 5_000).Concat([int.MaxValue, int.MaxValue - 1, 1_000_000]);

        Assert.All(waits, w => Assert.InRange(QueuePosition.PollAfterSeconds(w), 1, 20));
    }
}
