using Concert.Domain.Queue;

namespace Concert.Application.Common.Interfaces;

/// <summary>The caller's queue token, resolved once per request by the queue-token behaviour.</summary>
public sealed class QueueTokenContext
{
    private QueueToken? _token;

    /// <summary>The view entry the token was read from, when it came from this instance's memory rather than the
    /// database (polls only).</summary>
    public Queue.QueueTokenView.Entry? Viewed { get; private set; }

    public bool IsResolved => _token is not null;

    public QueueToken Token => _token ?? throw new InvalidOperationException("The queue token was not resolved; mark the request with IRequireQueueToken.");

    /// <summary>The token's user: the caller of every token-gated use case.</summary>
    public long UserId => Token.UserId;

    internal void Set(QueueToken token, Queue.QueueTokenView.Entry? viewed = null)
    {
        _token = token;
        Viewed = viewed;
    }
}
