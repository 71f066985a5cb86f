using Concert.Application.Common.Interfaces;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Queue;

/// <summary>
/// Group commit for joins (<see cref="GroupCommit{TItem}"/>). A join's one write is the insert of its token; joins
/// hand their new token here and share a commit with every join that arrived while the previous one was in flight.
/// <para>
/// The database still decides: the unique index on the live user id is what refuses a second live token. One refused
/// row fails its whole commit, so a failed batch is written again row by row, and each caller gets its own row's
/// outcome — the same exception a join writing alone would have met.
/// </para>
/// </summary>
public sealed class JoinCommits(IServiceScopeFactory scopes, ILogger<JoinCommits> logger) : GroupCommit<QueueToken>
{
    /// <summary>Writes <paramref name="token"/> in the next commit; completes once it is committed, or throws what
    /// the database answered for this row. A token already handed over by a cancelled caller may still be written:
    /// the user's next join returns it.</summary>
    public Task InsertAsync(QueueToken token, CancellationToken cancellationToken) => EnqueueAsync(token, cancellationToken);

    protected override async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IConcertDbContext>();
        try
        {
            foreach (var pending in batch)
            {
                db.QueueTokens.Add(pending.Item);
            }

            await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
            Committed();
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult();
            }

            return;
        }
        catch (Exception e) when (batch.Count == 1)
        {
            batch[0].Done.TrySetException(e);
            return;
        }
        catch (DbUpdateException e)
        {
            // The whole commit rolled back; EF put back the keys it had been given. Each row alone, below.
            logger.LogDebug(e, "A commit of {Count} joins failed; writing them one by one", batch.Count);
            db.ClearChanges();
        }

        foreach (var pending in batch)
        {
            try
            {
                db.QueueTokens.Add(pending.Item);
                await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                Committed();
                pending.Done.TrySetResult();
            }
            catch (Exception e)
            {
                pending.Done.TrySetException(e);
            }
            finally
            {
                db.ClearChanges();
            }
        }
    }
}
