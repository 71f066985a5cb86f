using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Options;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue.Queries.GetQueueStatus;

public sealed record GetQueueStatusQuery : IQuery<QueueStatusDto>, IRequireQueueToken;

/// <summary>
/// A poll. It also keeps a waiting token alive, but writes that down at most once per
/// <see cref="QueueOptions.PollRecordInterval"/>, so polling stays a read.
/// </summary>
public sealed class GetQueueStatusQueryHandler(
    IConcertDbContext db, QueueTokenContext context, QueueService queue, IOptions<QueueOptions> options)
    : IQueryHandler<GetQueueStatusQuery, QueueStatusDto>
{
    public async ValueTask<QueueStatusDto> Handle(GetQueueStatusQuery query, CancellationToken cancellationToken)
    {
        var token = context.Token;
        var now = queue.Now;
        if (token.StatusAt(now, options.Value.IdleExpiryAfterLastRecordedPoll) == QueueTokenStatus.Waiting
            && token.ShouldRecordPoll(now, options.Value.PollRecordInterval))
        {
            await db.QueueTokens
                .Where(t => t.Id == token.Id && t.Status == QueueTokenStatus.Waiting && t.LastSeenAt < now)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastSeenAt, now), cancellationToken);
            token.Seen(now);
        }

        return await queue.DescribeAsync(token, cancellationToken);
    }
}
