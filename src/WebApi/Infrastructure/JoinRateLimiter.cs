using System.Collections.Concurrent;
using Concert.Application.Common.Interfaces;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Joins per signed-in user per window (<see cref="RateLimitOptions.Joins"/> per <see cref="RateLimitOptions.Window"/>,
/// per instance): a count per user in this window's table, the whole table dropped when the window turns.
/// <para>
/// Not ASP.NET Core's partitioned limiter, which the sign-up and sign-in limits use: it keeps a limiter object per
/// key and visits every one of them ten times a second (to refill it and to drop it once idle). An opening brings
/// 100,000 joiners within a minute, one key each: measured (bench/queue with limits on), the service held 336 MB
/// right after the rush against 271 MB with this class, and polls right after it ran at 0.39 of
/// <c>/health/live</c> (0.44–0.52 with this class). Here a user costs one entry of a dictionary (~40 bytes) until
/// the window turns, and nothing visits them.
/// </para>
/// </summary>
public sealed class JoinRateLimiter(TimeProvider clock, RateLimitOptions options)
{
    private Window _current = new(clock.GetUtcNow());

    public bool Enabled => options.Enabled;

    /// <summary>Counts one join by <paramref name="userId"/>; false, with the time left in the window, when it is
    /// one over the limit.</summary>
    public bool TryAcquire(long userId, out TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        var window = Volatile.Read(ref _current);
        if (now - window.Start >= options.Window)
        {
            var next = new Window(now);
            var seen = Interlocked.CompareExchange(ref _current, next, window);
            window = ReferenceEquals(seen, window) ? next : seen;
        }

        var count = window.Counts.AddOrUpdate(userId, 1, static (_, c) => c + 1);
        retryAfter = window.Start + options.Window - now;
        return count <= options.Joins;
    }

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public ConcurrentDictionary<long, int> Counts { get; } = new();
    }
}

/// <summary>Over the limit: 429 <c>rate_limited</c> with <c>Retry-After</c>, as ASP.NET Core's limiter answers the
/// other limits. Runs after authorization: only signed-in callers are counted.</summary>
public sealed class JoinRateLimitFilter(JoinRateLimiter limiter) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (limiter.Enabled
            && http.RequestServices.GetRequiredService<ICurrentUser>().UserId is { } userId
            && !limiter.TryAcquire(userId, out var retryAfter))
        {
            Problems.SetRetryAfter(http, retryAfter);
            var (code, detail) = Problems.ForStatus(StatusCodes.Status429TooManyRequests);
            await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, code, detail);
            return Results.Empty;
        }

        return await next(context);
    }
}
