using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Concert.Application.Common.Interfaces;
using Concert.Application.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.Application.Common;

/// <summary>
/// Group commit for units of work that decide (<see cref="GroupCommit{TItem}"/>), where the database has one writer at
/// a time (SQLite). A unit is a request's write: its rows read and changed beforehand on the request's own context,
/// then written conditionally on the versions read. One loop runs the units that arrived while the previous commit
/// was in flight in one transaction, each under a savepoint of its own
/// (<see cref="IConcertDbContext.InTransactionOfAsync{T}"/>), and commits once for all of them. One commit per unit
/// held SQLite's write lock for a commit's fsync each; payments were bound by that lock with the machine a fifth
/// idle (docs/writes.md).
/// <para>
/// The database still decides: a unit's conditional updates and unique indexes refuse it exactly as when it ran
/// alone, since the units of a group run one after another and each sees what the earlier ones wrote. A unit that
/// throws is rolled back to its savepoint and its caller hears why; the others go on. Every caller hears only once
/// the commit is done: an answer (or a refusal that a replay reads back) never speaks of uncommitted rows. A failed
/// commit fails every unit of its group; none of it is written.
/// </para>
/// </summary>
public sealed class UnitCommits(IServiceScopeFactory scopes) : GroupCommit<UnitCommits.Unit>
{
    /// <summary>Units in one group at most. A group holds SQLite's one write lock for all its units (about a millisecond
    /// each on this hardware), and every other writer waits for the group's commit: 64 keep that wait near a tenth of
    /// a second however many payments arrive at once, while a group of a few already shares its fsync.</summary>
    public const int MaxUnits = 64;

    protected override int BatchLimit => MaxUnits;

    /// <summary>A request's context, the write to run on it, and its outcome once run.</summary>
    public sealed class Unit(IConcertDbContext db, Func<CancellationToken, Task<object?>> work, CancellationToken requestAborted)
    {
        internal IConcertDbContext Db { get; } = db;

        internal Func<CancellationToken, Task<object?>> Work { get; } = work;

        internal CancellationToken RequestAborted { get; } = requestAborted;

        internal Activity? Trace { get; } = Activity.Current;

        internal object? Result { get; set; }

        internal ExceptionDispatchInfo? Failure { get; set; }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on <paramref name="db"/> in the next shared commit and returns its result once that
    /// commit is done, or throws what the unit threw (its writes undone) or what the commit met. The wait is never
    /// abandoned, even when <paramref name="cancellationToken"/> fires: the loop may be using <paramref name="db"/>,
    /// which must not go back to its pool meanwhile. A unit cancelled before its turn is not run.
    /// </summary>
    public async Task<T> RunAsync<T>(IConcertDbContext db, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var unit = new Unit(db, async ct => await work(ct).ConfigureAwait(false), cancellationToken);
        await EnqueueAsync(unit, CancellationToken.None).ConfigureAwait(false);
        unit.Failure?.Throw();
        return (T)unit.Result!;
    }

    /// <summary>
    /// Read first, then write as a unit: up to <paramref name="attempts"/> rounds, each clearing
    /// <paramref name="db"/>'s changes, reading and deciding (<paramref name="decide"/> returns the write to run, or
    /// null to give up), then running that write in the next shared commit (<see cref="RunAsync{T}"/>). A write that
    /// meets a row changed since it was read (a concurrency conflict: nothing was written) reads again. The default
    /// (null) with the changes cleared when a round gave up, its write returned the default, or every round conflicted:
    /// the caller's locked path then decides on the rows as they are.
    /// </summary>
    public async Task<T?> ReadFirstAsync<T>(
        IConcertDbContext db, int attempts, Func<CancellationToken, Task<Func<CancellationToken, Task<T?>>?>> decide,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            db.ClearChanges();
            var write = await decide(cancellationToken).ConfigureAwait(false);
            if (write is null)
            {
                break;
            }

            try
            {
                var written = await RunAsync(db, write, cancellationToken).ConfigureAwait(false);
                if (written is null)
                {
                    break;
                }

                return written;
            }
            catch (DbUpdateConcurrencyException)
            {
                // A row read changed before the write; nothing was written. Read again.
            }
        }

        db.ClearChanges();
        return default;
    }

    protected override async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var host = scope.ServiceProvider.GetRequiredService<IConcertDbContext>();
        var attempts = 0;
        await host.InTransactionAsync(
            async ct =>
            {
                if (++attempts > 1)
                {
                    // A provider's retrying strategy would run the units again with their changes already accepted.
                    throw new InvalidOperationException("A group of units is never retried; each caller decides again.");
                }

                foreach (var pending in batch)
                {
                    var unit = pending.Item;
                    try
                    {
                        unit.RequestAborted.ThrowIfCancellationRequested();
                        // The unit's statements belong to its request's trace, not to the loop's (which has none).
                        Activity.Current = unit.Trace;
                        unit.Result = await unit.Db.InTransactionOfAsync(host, unit.Work, ct).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        unit.Failure = ExceptionDispatchInfo.Capture(e);
                    }
                    finally
                    {
                        Activity.Current = null;
                    }
                }

                return 0;
            },
            CancellationToken.None).ConfigureAwait(false);
        Committed();
        foreach (var pending in batch)
        {
            pending.Done.TrySetResult();
        }
    }
}
