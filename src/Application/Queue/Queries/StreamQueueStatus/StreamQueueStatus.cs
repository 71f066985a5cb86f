using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Mediator;

namespace Concert.Application.Queue.Queries.StreamQueueStatus;

/// <summary>Opens a live status stream. Through the pipeline like a poll, so a missing, unknown or another user's
/// token is refused before anything is streamed.</summary>
public sealed record StreamQueueStatusQuery : IQuery<QueueStatusStream>, IMayUseQueueTokenView;

public sealed class StreamQueueStatusQueryHandler(
    QueueTokenContext context, QueuePoll poll, QueueChanges changes, QueueStatusStreams streams)
    : IQueryHandler<StreamQueueStatusQuery, QueueStatusStream>
{
    public async ValueTask<QueueStatusStream> Handle(StreamQueueStatusQuery query, CancellationToken cancellationToken)
    {
        var pulse = changes.Next;
        var first = await poll.DescribeAsync(context.Known, context.Row, cancellationToken);
        return streams.Open(context.Known, first, pulse);
    }
}
