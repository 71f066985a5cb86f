using Concert.WebApi.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>The per-user join limit on its own: a user's joins over the limit within a window are refused with the
/// time left in it, nobody else's are, and a new window starts every count afresh.</summary>
public sealed class JoinRateLimiterTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static (JoinRateLimiter Limiter, FakeTimeProvider Clock) Create(int joins = 2) =>
        Create(new RateLimitOptions { Joins = joins, Window = TimeSpan.FromMinutes(1) });

    private static (JoinRateLimiter Limiter, FakeTimeProvider Clock) Create(RateLimitOptions options)
    {
        var clock = new FakeTimeProvider(Start);
        return (new JoinRateLimiter(clock, options), clock);
    }

    [Fact]
    public void The_join_over_the_limit_is_refused_with_the_time_left_in_the_window()
    {
        var (limiter, clock) = Create(joins: 2);
        Assert.True(limiter.TryAcquire(7, out _));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(limiter.TryAcquire(7, out _));

        Assert.False(limiter.TryAcquire(7, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(40), retryAfter);
        Assert.True(limiter.TryAcquire(8, out _));   // another user's joins are their own
    }

    [Fact]
    public void A_new_window_counts_afresh()
    {
        var (limiter, clock) = Create(joins: 1);
        Assert.True(limiter.TryAcquire(7, out _));
        Assert.False(limiter.TryAcquire(7, out _));

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(limiter.TryAcquire(7, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(7, out _));
        Assert.False(limiter.TryAcquire(7, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
    }

    [Fact]
    public void Racing_joins_of_one_user_get_exactly_the_limit()
    {
        var (limiter, _) = Create(joins: 20);
        var granted = 0;
        Parallel.For(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (limiter.TryAcquire(7, out _))
            {
                Interlocked.Increment(ref granted);
            }
        });

        Assert.Equal(20, granted);
    }
}
