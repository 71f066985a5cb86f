using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
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
/// concurrent joins by one user exactly one insert wins; the others read the winner's token back.
/// </summary>
public sealed class IssueQueueTokenCommandHandler(
    IConcertDbContext db, QueueService queue, ICurrentUser caller, IOptions<QueueOptions> options)
    : ICommandHandler<IssueQueueTokenCommand, IssuedQueueToken>
{
    public async ValueTask<IssuedQueueToken> Handle(IssueQueueTokenCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.RequireId();
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            // A validly signed token of a user this database does not have (it was reset under the same key).
            throw Errors.Unauthenticated();
        }

        QueueToken token;
        for (var attempt = 1; ; attempt++)
        {
            var now = queue.Now;
            await ExpireUsersLapsedTokenAsync(userId, now, cancellationToken);
            if (await FindLiveAsync(userId, cancellationToken) is { } live)
            {
                if (live.Status == QueueTokenStatus.Waiting && await queue.HasFreeSlotAsync(cancellationToken))
                {
                    // A concurrent join by this user inserted it a moment ago and is about to admit it. Admitting
                    // here too (FIFO and idempotent) keeps every answer for a free slot "active", as the first is.
                    await queue.AdmitAsync(cancellationToken);
                    live = await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == live.Id, cancellationToken);
                }

                return new IssuedQueueToken(await queue.DescribeAsync(live, cancellationToken), Created: false);
            }

            token = QueueToken.Issue(userId, now);
            db.QueueTokens.Add(token);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                break;
            }
            catch (DbUpdateException e) when (db.IsUniqueViolation(e) && attempt < 3)
            {
                // A concurrent join by the same user won; the next round returns its token.
                db.ClearChanges();
            }
        }

        db.ClearChanges();
        if (await queue.HasFreeSlotAsync(cancellationToken))
        {
            await queue.AdmitAsync(cancellationToken);
        }

        var issued = await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == token.Id, cancellationToken);
        return new IssuedQueueToken(await queue.DescribeAsync(issued, cancellationToken), Created: true);
    }

    private Task<QueueToken?> FindLiveAsync(long userId, CancellationToken ct) =>
        db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.LiveUserId == userId, ct);

    /// <summary>A live token that time has already expired must not block the user's new one.</summary>
    private Task<int> ExpireUsersLapsedTokenAsync(long userId, DateTime now, CancellationToken ct)
    {
        var idleBefore = now - options.Value.IdleExpiryAfterLastRecordedPoll;
        return db.QueueTokens
            .Where(t => t.LiveUserId == userId)
            .Where(QueueTokenUpdates.LapsedAt(now, idleBefore))
            .ExpireAsync(now, ct);
    }
}
