using System.Threading.Channels;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Queue;

/// <summary>
/// Group commit for joins. A join's one write is the insert of its token; one commit per join capped joins at the
/// database's commit rate (an fsync each on SQLite, a WAL flush each on PostgreSQL), while one commit for a hundred
/// rows costs little more than one for one. Joins hand their new token here; one loop per instance writes every token
/// that arrived while the previous commit was in flight in one <c>SaveChanges</c> (one transaction, one commit) and
/// answers each caller alone. Nothing waits for a timer: under no load a batch is one token, written at once.
/// <para>
/// The database still decides: the unique index on the live user id is what refuses a second live token. One refused
/// row fails its whole commit, so a failed batch is written again row by row, and each caller gets its own row's
/// outcome — the same exception a join writing alone would have met.
/// </para>
/// </summary>
public sealed class JoinCommits(IServiceScopeFactory scopes, ILogger<JoinCommits> logger) : IAsyncDisposable
{
    /// <summary>Tokens written in one commit at most: a bound on one transaction's size and on a failed batch's
    /// replay, far above what arrives during one commit on this hardware.</summary>
    public const int MaxBatch = 512;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly Lock _startLock = new();
    private Task? _loop;
    private long _commits;

    /// <summary>Commits made so far (a batch and each row of a failed batch's replay count one each).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes <paramref name="token"/> in the next commit; completes once it is committed, or throws what
    /// the database answered for this row. A cancelled caller stops waiting, but a token already handed over may
    /// still be written (as when a request is cancelled during its own commit): the user's next join returns it.</summary>
    public Task InsertAsync(QueueToken token, CancellationToken cancellationToken)
    {
        var pending = new Pending(token, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        EnsureRunning();
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(JoinCommits), "The service is stopping.");
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        Task? loop;
        lock (_startLock)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private void EnsureRunning()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_loop is null)
            {
                // The loop serves every request from now on: it must not carry the first caller's context (its
                // trace, its logging scope) along.
                using (ExecutionContext.SuppressFlow())
                {
                    _loop = Task.Run(RunAsync);
                }
            }
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await WriteAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // No scope or context to be had (the host is stopping): every caller of this batch hears it.
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(e);
                }
            }

            batch.Clear();
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IConcertDbContext>();
        try
        {
            foreach (var pending in batch)
            {
                db.QueueTokens.Add(pending.Token);
            }

            await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _commits);
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
                db.QueueTokens.Add(pending.Token);
                await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _commits);
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

    private sealed record Pending(QueueToken Token, TaskCompletionSource Done);
}
