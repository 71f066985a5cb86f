using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Options;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue.Queries.GetQueueStatus;

public sealed record GetQueueStatusQuery : IQuery<QueueStatusDto>, IMayUseQueueTokenView;

/// <summary>
/// A poll. It also keeps a waiting token alive, but writes that down at most once per
/// <see cref="QueueOptions.PollRecordInterval"/>, so polling stays a read — and, for a token this instance already
/// holds in its <see cref="QueueTokenView"/>, a read of memory only.
/// </summary>
public sealed class GetQueueStatusQueryHandler(
    IConcertDbContext db, QueueTokenContext context, QueueService queue, QueueTokenView view, IOptions<QueueOptions> options)
    : IQueryHandler<GetQueueStatusQuery, QueueStatusDto>
{
    public async ValueTask<QueueStatusDto> Handle(GetQueueStatusQuery query, CancellationToken cancellationToken)
    {
        var token = context.Token;
        if (context.Viewed is { } viewed)
        {
            if (await queue.TryDescribeFromViewAsync(token, viewed, cancellationToken) is { } fromView)
            {
                await RecordPollIfDueAsync(token, cancellationToken);
                return fromView;
            }

            // Admitted, expired or near the head since the view counted it, perhaps: the row tells.
            token = await db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == token.Id, cancellationToken)
                    ?? throw Errors.QueueTokenInvalid();
        }

        await RecordPollIfDueAsync(token, cancellationToken);
        return await queue.DescribeAsync(token, cancellationToken);
    }

    private async Task RecordPollIfDueAsync(QueueToken token, CancellationToken cancellationToken)
    {
        var now = queue.Now;
        if (token.StatusAt(now, options.Value.IdleExpiryAfterLastRecordedPoll) == QueueTokenStatus.Waiting
            && token.ShouldRecordPoll(now, options.Value.PollRecordInterval))
        {
            await db.QueueTokens
                .Where(t => t.Id == token.Id && t.Status == QueueTokenStatus.Waiting && t.LastSeenAt < now)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastSeenAt, now), cancellationToken);
            token.Seen(now);
            view.Seen(token, now);
        }
    }
}
