using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// One poll of a token: answered from this instance's <see cref="QueueTokenView"/> when it can, else from the row.
/// It also keeps a waiting token alive, but writes that down at most once per
/// <see cref="QueueOptions.PollRecordInterval"/>, so polling stays a read. The poll endpoint and every look of a
/// status stream go through here, so both answer alike and both count as polls for idle expiry.
/// </summary>
public sealed class QueuePoll(IConcertDbContext db, QueueService queue, QueueTokenView view, IOptions<QueueOptions> options)
{
    /// <param name="token">The token as resolved for this request.</param>
    /// <param name="viewed">The view entry it was resolved from, when it came from memory.</param>
    public async Task<QueueStatusDto> DescribeAsync(QueueToken token, QueueTokenView.Entry? viewed, CancellationToken cancellationToken)
    {
        if (viewed is { } entry)
        {
            if (await queue.TryDescribeFromViewAsync(token, entry, cancellationToken) is { } fromView)
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

    /// <summary>A later look at a token already resolved and checked (a stream's): from the view when it holds the
    /// token, else the row. Null when the row is gone (purged long after expiry).</summary>
    public async Task<QueueStatusDto?> DescribeAgainAsync(long tokenId, string token, CancellationToken cancellationToken)
    {
        if (view.TryGet(token, out var entry))
        {
            return await DescribeAsync(entry.ToToken(), entry, cancellationToken);
        }

        var row = await db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId, cancellationToken);
        return row is null ? null : await DescribeAsync(row, null, cancellationToken);
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
