using Concert.Application.Queue;
using Concert.Domain.Queue;

namespace Concert.Application.Common.Interfaces;

/// <summary>The caller's queue token, resolved once per request by the queue-token behaviour: its row, except for a
/// poll that this instance could answer from what it already knows (<see cref="Known"/> only).</summary>
public sealed class QueueTokenContext
{
    private QueueToken? _row;
    private WaitingLine.KnownToken? _known;

    /// <summary>The token's row as read for this request; every request that acts on a token has it.</summary>
    public QueueToken Token => _row ?? throw new InvalidOperationException(
        "The queue token's row was not read; mark the request with IRequireQueueToken (not IMayUseQueueTokenView) to act on it.");

    /// <summary>The row, when the request read it (a poll may not have).</summary>
    public QueueToken? Row => _row;

    /// <summary>The token's fixed facts: every resolved request has them.</summary>
    public WaitingLine.KnownToken Known => _known ?? throw new InvalidOperationException(
        "The queue token was not resolved; mark the request with IRequireQueueToken.");

    public bool IsResolved => _known is not null;

    /// <summary>The token's user: the caller of every token-gated use case.</summary>
    public long UserId => Known.UserId;

    internal void Set(QueueToken row, WaitingLine.KnownToken known)
    {
        _row = row;
        _known = known;
    }

    internal void SetKnown(WaitingLine.KnownToken known) => _known = known;
}
