using System.Threading.Channels;

namespace Concert.Application.Queue;

/// <summary>
/// Group commit: callers hand over one item each; one loop per instance writes every item that arrived while the
/// previous commit was in flight in one commit, then answers each caller alone. One commit per write capped such
/// writes at the database's commit rate (an fsync each on SQLite, a WAL flush each on PostgreSQL), while one commit
/// for a hundred rows costs little more than one for one. Nothing waits for a timer: under no load a batch is one
/// item, written at once. A subclass says how a batch is written (<see cref="WriteAsync"/>).
/// </summary>
public abstract class GroupCommit<TItem> : IAsyncDisposable
{
    /// <summary>Items written in one commit at most: a bound on one transaction's size (and on a failed batch's
    /// replay), far above what arrives during one commit on this hardware.</summary>
    public const int MaxBatch = 512;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly Lock _startLock = new();
    private Task? _loop;
    private long _commits;
    private int _queued;

    /// <summary>Items written in one commit at most, for this kind of item (<see cref="MaxBatch"/> unless a subclass
    /// needs a tighter bound).</summary>
    protected virtual int BatchLimit => MaxBatch;

    /// <summary>Commits made so far (each counted by the subclass as it makes it).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Items handed over and not yet taken into a commit.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Writes <paramref name="item"/> in the next commit; completes once it is committed, or throws what the
    /// database answered for it. A cancelled caller stops waiting, but an item already handed over may still be
    /// written (as when a request is cancelled during its own commit).</summary>
    protected Task EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        EnsureRunning();
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(GetType().Name, "The service is stopping.");
        }

        // Counted once it is in the channel (the loop may take it first and count it out first: the count only ever
        // runs behind), so that Queued never counts an item the loop cannot take yet.
        Interlocked.Increment(ref _queued);

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes <paramref name="batch"/> (at least one item) and completes each item's <c>Done</c>. What it
    /// throws, every item of the batch not yet completed hears.</summary>
    protected abstract Task WriteAsync(IReadOnlyList<Pending> batch);

    /// <summary>Counts one commit made (for <see cref="Commits"/>).</summary>
    protected void Committed() => Interlocked.Increment(ref _commits);

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

        GC.SuppressFinalize(this);
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
        var batch = new List<Pending>(BatchLimit);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < BatchLimit && reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            Interlocked.Add(ref _queued, -batch.Count);

            try
            {
                await WriteAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // No scope or context to be had (the host is stopping), or the batch's write failed as a whole:
                // every caller of this batch not yet answered hears it.
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(e);
                }
            }

            batch.Clear();
        }
    }

    /// <summary>One caller's item and the answer it awaits.</summary>
    protected sealed record Pending(TItem Item, TaskCompletionSource Done);
}
