using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// One poll of a token: answered from this instance's copy of the line (<see cref="WaitingLine"/>) when it holds
/// the token, else from the row. It also keeps a token in line alive, but writes that down at most once per
/// <see cref="QueueOptions.PollRecordInterval"/>, so polling stays a read (and those writes share commits:
/// <see cref="PollRecords"/>). The poll endpoint and every look of a
/// status stream go through here, so both answer alike and both count as polls for idle expiry.
/// </summary>
public sealed class QueuePoll(
    Lazy<IConcertDbContext> database, QueueService queue, WaitingLine line, PollRecords records, IOptions<QueueOptions> options)
{
    // Taken from the pool only when used: a poll answered from the copy of the line needs none.
    private IConcertDbContext db => database.Value;

    /// <summary>Describes the caller's token: <paramref name="row"/> when the request read it, else only what this
    /// instance knows of it (<paramref name="known"/>).</summary>
    public async Task<QueueStatusDto> DescribeAsync(WaitingLine.KnownToken known, QueueToken? row, CancellationToken cancellationToken)
    {
        if (row is null)
        {
            var snapshot = await line.CurrentAsync(database, cancellationToken);
            if (queue.DescribeFromLine(known, snapshot) is { } fromLine)
            {
                await RecordPollIfDueAsync(known.Id, known.Token, known.LastSeenAt, cancellationToken);
                return fromLine;
            }

            // Admitted, expired or joined since the copy was read, perhaps: the row tells.
            row = await db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == known.Id, cancellationToken)
                  ?? throw Errors.QueueTokenInvalid();
        }

        line.Remember(row);
        if (row.StatusAt(queue.Now, options.Value.IdleExpiryAfterLastRecordedPoll) is QueueTokenStatus.Waiting or QueueTokenStatus.Prequeue)
        {
            await RecordPollIfDueAsync(row.Id, row.Token, row.LastSeenAt, cancellationToken);
        }

        return await queue.DescribeAsync(row, cancellationToken);
    }

    /// <summary>A later look at a token already resolved and checked (a stream's): from the copy of the line when
    /// it can, else the row. Null when the row is gone (purged long after expiry).</summary>
    public async Task<QueueStatusDto?> DescribeAgainAsync(long tokenId, string token, CancellationToken cancellationToken)
    {
        if (line.TryKnown(token, out var known))
        {
            return await DescribeAsync(known, null, cancellationToken);
        }

        var row = await db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId, cancellationToken);
        return row is null ? null : await DescribeAsync(line.Remember(row), row, cancellationToken);
    }

    private async Task RecordPollIfDueAsync(long id, string token, DateTime lastSeenAt, CancellationToken cancellationToken)
    {
        var now = queue.Now;
        if (now - lastSeenAt < options.Value.PollRecordInterval)
        {
            return;
        }

        // Shared with every other poll due in the same commit.
        await records.RecordAsync(id, now, cancellationToken);
        line.Seen(token, now);
    }
}
