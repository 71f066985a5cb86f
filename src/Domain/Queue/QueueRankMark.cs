namespace Concert.Domain.Queue;

/// <summary>
/// A signpost in the waiting line taken by the admission worker: the waiting token <see cref="TokenId"/> had
/// <see cref="Ahead"/> waiting tokens before it when the snapshot was taken. A poll counts only the short stretch
/// between the nearest signpost and its own token, so its cost does not grow with the queue.
/// </summary>
public sealed class QueueRankMark
{
    private QueueRankMark() { }

    public long TokenId { get; private set; }

    public long Ahead { get; private set; }

    public static QueueRankMark Create(long tokenId, long ahead) => new() { TokenId = tokenId, Ahead = ahead };
}
