using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue.Commands.IssueQueueToken;

/// <summary>Joins the queue as the signed-in caller: a join carries no user id, so nobody joins for someone else.</summary>
public sealed record IssueQueueTokenCommand : ICommand<IssuedQueueToken>;

/// <summary>The status, and whether the token is new (201) or the user's live one returned again (200).</summary>
public sealed record IssuedQueueToken(QueueStatusDto Status, bool Created);

/// <summary>
/// One live token per user is the database's job: a unique index on <see cref="QueueToken.LiveUserId"/>. Of
/// concurrent joins by one user exactly one insert wins; the others read the winner's token back. A join inserts
/// first and reads the caller only when the insert was refused, so a first join is one write and no read of its own.
/// </summary>
public sealed class IssueQueueTokenCommandHandler(
    IConcertDbContext db, QueueService queue, WaitingLine line, ICurrentUser caller, IOptions<QueueOptions> options,
    ConcertMetrics metrics, JoinCommits commits)
    : ICommandHandler<IssueQueueTokenCommand, IssuedQueueToken>
{
    public async ValueTask<IssuedQueueToken> Handle(IssueQueueTokenCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.RequireId();
        QueueToken? token = null;
        JoinedSince? joinedSince = null;

        // Most joins are a user's first: the new token goes straight into a commit shared with the joins arriving
        // meanwhile (group commit), and what its place needs is read once for that whole commit. The caller is read
        // only when the database did not take it: a live token of theirs refused it, or it does not have the user.
        for (var attempt = 0; token is null; attempt++)
        {
            var now = queue.Now;
            if (attempt > 0)
            {
                // The caller's row and live token in one read the first time; then their live token.
                var live = attempt == 1
                    ? (await db.FindUserInLineAsync(userId, cancellationToken)
                       // A validly signed token of a user this database does not have (it was reset under the same key).
                       ?? throw Errors.Unauthenticated()).Live
                    : await FindLiveAsync(userId, cancellationToken);
                if (live is not null && live.StatusAt(now, options.Value.IdleExpiryAfterLastRecordedPoll) == QueueTokenStatus.Expired)
                {
                    // Time has already expired it (no sweep has written that down yet): it must not block the new one.
                    await ExpireLapsedAsync(live.Id, now, cancellationToken);
                    live = await FindLiveAsync(userId, cancellationToken);
                }

                if (live is not null)
                {
                    if (live.Status == QueueTokenStatus.Waiting && await queue.HasFreeSlotAsync(live.Id, cancellationToken))
                    {
                        // A concurrent join by this user inserted it a moment ago and is about to admit it. Admitting
                        // here too (FIFO and idempotent) keeps every answer for a free slot "active", as the first is.
                        await queue.AdmitAsync(cancellationToken);
                        live = await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == live.Id, cancellationToken);
                    }

                    return new IssuedQueueToken(await queue.DescribeAsync(live, cancellationToken), Created: false);
                }

                if (attempt == 4)
                {
                    throw new DbUpdateException(
                        "Four new tokens in a row were not written, yet no live token of the user was found to return.");
                }

                // No live token: insert one. If a concurrent join by this user wins meanwhile, the database refuses
                // this one and the next round returns the winner's token.
            }

            var (candidate, copiedUpTo) = await NewTokenAsync(userId, now, cancellationToken);
            try
            {
                (var inserted, joinedSince) = await commits.InsertAsync(candidate, copiedUpTo, cancellationToken);
                token = inserted ? candidate : null;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Not a live token's refusal (that skips the row): no such user, or the write failed. The read says.
            }
        }

        metrics.Joined();
        if (token.Status == QueueTokenStatus.Waiting && await queue.HasFreeSlotAsync(token.Id, cancellationToken))
        {
            // Admitted in this very request, perhaps — by this pass or a concurrent join's: the row says.
            await queue.AdmitAsync(cancellationToken);
            token = await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == token.Id, cancellationToken);
            joinedSince = null;   // the line moved since it was read
        }

        return new IssuedQueueToken(await queue.DescribeAsync(token, joinedSince, cancellationToken), Created: true);
    }

    /// <summary>Before a scheduled opening, a place in its pre-queue (scored with the opening's secret seed); else a
    /// place at the end of the line. The room as this instance read it, at most a second ago: a token put in the
    /// pre-queue of an opening drawn in that second joins the line by join order at the next admission pass.</summary>
    private async Task<(QueueToken Token, long CopiedUpTo)> NewTokenAsync(long userId, DateTime now, CancellationToken ct)
    {
        var snapshot = await line.CurrentAsync(db, ct);
        var (room, draw) = (snapshot.Room, snapshot.Draw);
        var token = room.IsPrequeueOpen(now) && draw is not null && draw.Id == room.PendingDrawId
            ? QueueToken.IssuePrequeue(userId, now, draw.Id, draw.Seed)
            : QueueToken.Issue(userId, now, room.RoundForLine);
        return (token, snapshot.MaxId);
    }

    private Task<QueueToken?> FindLiveAsync(long userId, CancellationToken ct) =>
        db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.LiveUserId == userId, ct);

    /// <summary>Writes down the expiry time has already decided for the user's live token (idle or past its window),
    /// counted by reason.</summary>
    private async Task ExpireLapsedAsync(long tokenId, DateTime now, CancellationToken ct)
    {
        var idleBefore = now - options.Value.IdleExpiryAfterLastRecordedPoll;
        var (idle, lifetime) = await db.QueueTokens
            .Where(t => t.Id == tokenId)
            .ExpireLapsedAsync(now, idleBefore, ct);
        metrics.Expired("idle", idle);
        metrics.Expired("lifetime", lifetime);
    }
}
