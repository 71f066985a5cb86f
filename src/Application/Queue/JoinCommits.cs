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
/// The database still decides: the unique index on the live user id is what refuses a second live token. A token it
/// refuses is skipped, not written, and its caller hears so (<see cref="Join.Inserted"/> false), while the rest of
/// the commit is written (the one statement skips it; where the provider cannot skip a row, the batch is written again
/// row by row). A user that does not exist fails the statement: one read finds the batch's unknown users, their
/// callers hear the refusal, and the rest go in one statement again. Any other failure: the batch is written row by
/// row, and each caller gets its own row's outcome — the same exception a join writing alone would have met.
/// </para>
/// <para>
/// After each commit the loop also reads what its joins' places need (<see cref="JoinedSince"/>), once, before the next
/// batch: one read per commit instead of one per join. On PostgreSQL it goes in the insert's own round trip, right
/// after the insert's commit (<see cref="PlanRead"/>); elsewhere it is a query of its own.
/// </para>
/// </summary>
public sealed class JoinCommits(IServiceScopeFactory scopes, ILogger<JoinCommits> logger) : GroupCommit<JoinCommits.Join>
{
    private long _highestId;

    /// <summary>A token to write, the last id of the copy of the line its join read (placing it needs those who
    /// joined after that), and what was read for that just after the commit.</summary>
    public sealed class Join(QueueToken token, long copiedUpTo)
    {
        public QueueToken Token { get; } = token;

        public long CopiedUpTo { get; } = copiedUpTo;

        public JoinedSince? Since { get; internal set; }

        /// <summary>Written, with the id the database gave it (ids start at 1; a token not written keeps 0);
        /// false when the user's live token refused it.</summary>
        public bool Inserted => Token.Id > 0;
    }

    /// <summary>Writes <paramref name="token"/> in the next commit; completes once it is committed (true) or skipped
    /// because its user has a live token (false), or throws what the database answered for this row. A token already
    /// handed over by a cancelled caller may still be written: the user's next join returns it.</summary>
    public async Task<bool> InsertAsync(QueueToken token, CancellationToken cancellationToken)
    {
        var join = new Join(token, long.MaxValue);
        await EnqueueAsync(join, cancellationToken).ConfigureAwait(false);
        return join.Inserted;
    }

    /// <summary>As <see cref="InsertAsync(QueueToken, CancellationToken)"/>, and then the tokens in line that joined
    /// after <paramref name="copiedUpTo"/> as its place needs them (<see cref="QueueService.DescribeAsync"/>), read
    /// once for the whole commit; null when that read failed, the commit was written row by row, or the token is not
    /// waiting at the end of the line.</summary>
    public async Task<(bool Inserted, JoinedSince? Since)> InsertAsync(QueueToken token, long copiedUpTo, CancellationToken cancellationToken)
    {
        var join = new Join(token, copiedUpTo);
        await EnqueueAsync(join, cancellationToken).ConfigureAwait(false);
        return (join.Inserted, join.Since);
    }

    protected override async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IConcertDbContext>();
        var read = PlanRead(batch);
        WaitingLine.LineEntry[]? readAlong;
        try
        {
            readAlong = await db.InsertTokensAsync([.. batch.Select(p => p.Item.Token)], read, CancellationToken.None).ConfigureAwait(false);
            Committed();
        }
        catch (Exception e) when (batch.Count == 1)
        {
            Refused(db, batch[0], e);
            return;
        }
        catch (DbUpdateException e)
        {
            // Nothing of the commit was written. The likely cause is a user the database does not have (the foreign
            // key): one read finds them, their joins hear the refusal, and the rest go in one statement again, rather
            // than a commit (an fsync on SQLite) per row for the whole batch. Anything else: each row alone.
            logger.LogDebug(e, "A commit of {Count} joins failed", batch.Count);
            var rest = await WithoutUnknownUsersAsync(db, batch, e).ConfigureAwait(false);
            if (rest.Count == batch.Count)
            {
                await WriteOneByOneAsync(db, batch).ConfigureAwait(false);
            }
            else if (rest.Count > 0)
            {
                await WriteAsync(rest).ConfigureAwait(false);
            }

            return;
        }

        RememberHighestId(batch);
        try
        {
            var since = read is null || !batch.Any(p => p.Item.Inserted && Placed(p.Item))
                ? null
                : JoinedSince.Of(read, readAlong ?? await ReadAsync(db, read).ConfigureAwait(false));
            foreach (var pending in batch)
            {
                pending.Item.Since = since;
            }
        }
        catch (Exception e)
        {
            // Committed all the same, and the read is only a shortcut: each join counts its own place instead.
            logger.LogWarning(e, "Reading the line after a commit of {Count} joins failed", batch.Count);
        }

        foreach (var pending in batch)
        {
            pending.Done.TrySetResult();
        }
    }

    /// <summary>
    /// The one read for the whole commit of what its joins' places need, planned before the insert so that it can go
    /// in the insert's own round trip
    /// (<see cref="IConcertDbContext.InsertTokensAsync(IReadOnlyList{QueueToken}, LineRead?, CancellationToken)"/>):
    /// every token in line above the lowest copy an exact place may count from (at most a few hundred rows: a place is
    /// counted exactly only while few joined since the copy), else only those of an earlier round above the highest id
    /// already given out, which is below every id the commit's tokens can get (nearly always none). Null when no token
    /// of the commit is to wait in line at its end (a pre-queue place needs no count).
    /// <para>
    /// The new ids are not known yet, but they are above every id already given out: above each join's copy of the
    /// line (the highest id when it was read) and above the latest id this loop was given back. So a join placed
    /// exactly once its id is known is one that may be placed exactly with the lowest id it can get, and the read
    /// covers it; a join that turns out to be bounded instead is covered by the every-row read as well.
    /// </para>
    /// </summary>
    private LineRead? PlanRead(IReadOnlyList<Pending> batch)
    {
        var waiting = batch.Select(p => p.Item).Where(Placed).ToList();
        if (waiting.Count == 0)
        {
            return null;
        }

        var below = Math.Max(Volatile.Read(ref _highestId), waiting.Max(j => j.CopiedUpTo));
        var exact = waiting.Where(j => QueueService.PlacedExactly(below + 1, j.Token.DrawKey, j.CopiedUpTo)).ToList();
        return exact.Count > 0
            ? new LineRead(exact.Min(j => j.CopiedUpTo), long.MaxValue)
            : new LineRead(below, waiting.Max(j => j.Token.Round));
    }

    /// <summary>A join whose place the commit's read is for: one that waits at the end of the line (a pre-queue place
    /// needs no count) and came with its copy of the line.</summary>
    private static bool Placed(Join join) =>
        join.Token.Status == QueueTokenStatus.Waiting && join.CopiedUpTo != long.MaxValue;

    /// <summary>Remembers the highest id the database gave this commit's tokens (ids are never reused, and each new one
    /// is above every earlier one). The latest commit's, not the highest ever: a database put back to an earlier state
    /// under a running instance would otherwise keep every plan reading too little (correct, but every join then
    /// counted its own place).</summary>
    private void RememberHighestId(IReadOnlyList<Pending> batch)
    {
        var highest = batch.Max(p => p.Item.Token.Id);
        if (highest > 0)
        {
            Volatile.Write(ref _highestId, highest);
        }
    }

    /// <summary><paramref name="read"/> as a query of its own, where the provider did not send it along with the insert.</summary>
    private static Task<WaitingLine.LineEntry[]> ReadAsync(IConcertDbContext db, LineRead read) =>
        read.Query(db.QueueTokens.AsNoTracking()).ToArrayAsync();

    private async Task WriteOneByOneAsync(IConcertDbContext db, IReadOnlyList<Pending> batch)
    {
        foreach (var pending in batch)
        {
            try
            {
                await db.InsertTokensAsync([pending.Item.Token], CancellationToken.None).ConfigureAwait(false);
                Committed();
                pending.Done.TrySetResult();
            }
            catch (Exception e)
            {
                Refused(db, pending, e);
            }
        }
    }

    /// <summary>The joins of <paramref name="batch"/> whose users the database has; the others hear
    /// <paramref name="refusal"/> (their handlers then read the caller and answer that the user is unknown). All of
    /// them when that read fails.</summary>
    private static async Task<IReadOnlyList<Pending>> WithoutUnknownUsersAsync(
        IConcertDbContext db, IReadOnlyList<Pending> batch, DbUpdateException refusal)
    {
        HashSet<long> known;
        try
        {
            var ids = batch.Select(p => p.Item.Token.UserId).Distinct().ToList();
            known = [.. await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => u.Id).ToListAsync().ConfigureAwait(false)];
        }
        catch (Exception)
        {
            return batch;
        }

        var rest = new List<Pending>(batch.Count);
        foreach (var pending in batch)
        {
            if (known.Contains(pending.Item.Token.UserId))
            {
                rest.Add(pending);
            }
            else
            {
                pending.Done.TrySetException(refusal);
            }
        }

        return rest;
    }

    /// <summary>A row the database refused alone: skipped when the refusal is its user's live token (as the one
    /// statement skips it), else the caller hears the exception.</summary>
    private static void Refused(IConcertDbContext db, Pending pending, Exception e)
    {
        if (e is DbUpdateException update && db.IsUniqueViolation(update))
        {
            pending.Done.TrySetResult();
        }
        else
        {
            pending.Done.TrySetException(e);
        }
    }
}
