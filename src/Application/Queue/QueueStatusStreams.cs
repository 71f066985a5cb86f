using Concert.Application.Common.Options;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// This instance's open status streams: how many (bounded by <see cref="QueueOptions.MaxStreamsPerInstance"/>, a
/// per-process resource limit, so an <see cref="Interlocked"/> count is enough), and each one's loop — wait for a
/// <see cref="QueueChanges"/> pulse or the keep-alive, look at the token again through the poll's own path, and
/// yield only when its status or position changed.
/// </summary>
public sealed class QueueStatusStreams(
    IServiceScopeFactory scopes, QueueChanges changes, TimeProvider clock, IOptions<QueueOptions> options)
{
    /// <summary>The longest a stream stays silent: then it says something (a keep-alive) and looks again, which
    /// also keeps a waiting token from idling out.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>How long a refused client should poll before it tries a stream again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    private int _open;

    public int OpenCount => Volatile.Read(ref _open);

    /// <summary>Takes a slot for a stream of <paramref name="token"/> that starts at <paramref name="first"/>;
    /// 429 rate_limited when the instance is full. <paramref name="pulse"/> was taken before <paramref name="first"/>
    /// was described, so no change in between is missed.</summary>
    public QueueStatusStream Open(WaitingLine.KnownToken token, QueueStatusDto first, Task pulse)
    {
        if (Interlocked.Increment(ref _open) > options.Value.MaxStreamsPerInstance)
        {
            Interlocked.Decrement(ref _open);
            throw Errors.RateLimited(RetryAfter);
        }

        return new QueueStatusStream(this, token.Id, token.Token, first, pulse);
    }

    internal void Release() => Interlocked.Decrement(ref _open);

    internal Task NextPulse => changes.Next;

    internal TimeProvider Clock => clock;

    internal async Task<QueueStatusDto?> DescribeAgainAsync(long tokenId, string token, CancellationToken cancellationToken)
    {
        // A scope per look, not one per stream: an idle stream holds no database context.
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<QueuePoll>().DescribeAgainAsync(tokenId, token, cancellationToken);
    }
}

/// <summary>
/// One open stream: its first status at once, then a status at every change of status or position, and null when it
/// has been silent for <see cref="QueueStatusStreams.KeepAliveInterval"/> (the edge writes a keep-alive). Ends after
/// a status that says expired, or when the caller goes away. Dispose releases its slot (once).
/// </summary>
public sealed class QueueStatusStream : IAsyncEnumerable<QueueStatusDto?>, IAsyncDisposable
{
    private readonly QueueStatusStreams _streams;
    private readonly long _tokenId;
    private readonly string _token;
    private readonly QueueStatusDto _first;
    private readonly Task _firstPulse;
    private int _released;

    internal QueueStatusStream(QueueStatusStreams streams, long tokenId, string token, QueueStatusDto first, Task pulse)
    {
        _streams = streams;
        _tokenId = tokenId;
        _token = token;
        _first = first;
        _firstPulse = pulse;
    }

    public async IAsyncEnumerator<QueueStatusDto?> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var clock = _streams.Clock;
        var last = _first;
        // When it is said, not when the consumer comes back for more: that may be after the clock has moved on.
        var saidAt = clock.GetTimestamp();
        yield return last;
        var pulse = _firstPulse;
        while (last.Status != QueueTokenStatus.Expired)
        {
            var silence = QueueStatusStreams.KeepAliveInterval - clock.GetElapsedTime(saidAt);
            if (last.ExpiresAt is { } expiresAt)
            {
                // An active window ends by time alone, with no write to wake anyone: look again right then.
                var left = expiresAt - clock.GetUtcNow().UtcDateTime;
                silence = left < silence ? left + TimeSpan.FromMilliseconds(1) : silence;
            }

            if (silence > TimeSpan.Zero)
            {
                // A timeout is as good as a pulse (look again); only the caller leaving ends the wait for good.
                await pulse.WaitAsync(silence, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            pulse = _streams.NextPulse;
            var now = await _streams.DescribeAgainAsync(_tokenId, _token, cancellationToken);
            if (now is null)
            {
                yield break;
            }

            if (now.Status != last.Status || now.Position != last.Position)
            {
                last = now;
                saidAt = clock.GetTimestamp();
                yield return now;
            }
            else if (clock.GetElapsedTime(saidAt) >= QueueStatusStreams.KeepAliveInterval)
            {
                saidAt = clock.GetTimestamp();
                yield return null;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _streams.Release();
        }

        return ValueTask.CompletedTask;
    }
}
