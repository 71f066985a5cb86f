using Concert.Application.Common.Interfaces;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.Application.Queue;

/// <summary>
/// Group commit (<see cref="GroupCommit{TItem}"/>) for the one write a poll makes: the token's <c>LastSeenAt</c>,
/// at most once a <see cref="Common.Options.QueueOptions.PollRecordInterval"/> per token. With 100,000 waiting and
/// each written down once a minute, a commit each would be ~1,700 commits a second on one database — most of what
/// SQLite can commit — for a write nobody waits on to decide anything. Here every poll due in the same commit shares
/// one <c>UPDATE … WHERE Id IN (…)</c>.
/// <para>
/// A batch records the latest of its polls' times for each of its tokens: at most one commit later than a token's
/// own poll, and idle expiry already allows a whole <c>PollRecordInterval</c> beyond the idle timeout for a poll
/// not yet written down. The update never moves <c>LastSeenAt</c> back, and touches only tokens still in line.
/// </para>
/// </summary>
public sealed class PollRecords(IServiceScopeFactory scopes) : GroupCommit<PollRecords.Poll>
{
    /// <summary>A poll to write down: the token and when it was polled.</summary>
    public readonly record struct Poll(long TokenId, DateTime At);

    /// <summary>Writes the poll down in the next commit; completes once it is committed.</summary>
    public Task RecordAsync(long tokenId, DateTime at, CancellationToken cancellationToken) =>
        EnqueueAsync(new Poll(tokenId, at), cancellationToken);

    protected override async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        var ids = new List<long>(batch.Count);
        var at = DateTime.MinValue;
        foreach (var pending in batch)
        {
            ids.Add(pending.Item.TokenId);
            at = pending.Item.At > at ? pending.Item.At : at;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IConcertDbContext>();
        await db.QueueTokens
            .Where(t => ids.Contains(t.Id)
                        && (t.Status == QueueTokenStatus.Waiting || t.Status == QueueTokenStatus.Prequeue)
                        && t.LastSeenAt < at)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastSeenAt, at), CancellationToken.None)
            .ConfigureAwait(false);
        Committed();
        foreach (var pending in batch)
        {
            pending.Done.TrySetResult();
        }
    }
}
