using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Mediator;

namespace Concert.Application.Queue.Queries.GetQueueStatus;

public sealed record GetQueueStatusQuery : IQuery<QueueStatusDto>, IMayUseQueueTokenView;

/// <summary>A poll: a read (of memory only, for a token this instance already holds in its copy of the line,
/// <see cref="WaitingLine"/>) that also keeps a token in line alive (<see cref="QueuePoll"/>).</summary>
public sealed class GetQueueStatusQueryHandler(QueueTokenContext context, QueuePoll poll)
    : IQueryHandler<GetQueueStatusQuery, QueueStatusDto>
{
    public async ValueTask<QueueStatusDto> Handle(GetQueueStatusQuery query, CancellationToken cancellationToken) =>
        await poll.DescribeAsync(context.Known, context.Row, cancellationToken);
}
