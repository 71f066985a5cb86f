using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// SQLite lets one writer in at a time; the others sleep in its busy handler in growing steps (1, 2, 5, 10 … 100 ms)
/// and often oversleep a lock that came free long before. This gate makes this process's writers wait their turn in
/// memory instead, first come first served, and hands the turn over the moment the previous writer commits. It only
/// decides who asks SQLite next: the database still decides every race (a transaction still begins IMMEDIATE and
/// takes SQLite's own lock). A writer that waits longer than the patience goes ahead without a turn and falls back
/// to the busy handler, so a turn never leaked (or another process on the same file) can stall anyone for good.
/// </summary>
public sealed class SqliteWriterGate(TimeSpan patience, string? path = null)
{
    private static readonly ConcurrentDictionary<string, SqliteWriterGate> PerFile = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _turns;
    private long _waitedTicks;
    private long _heldTicks;
    private long _heldSince;   // written by the holder only
    private long _longestHeldTicks;   // since the last TakeLongestHeldMs

    /// <summary>One gate per database file in this process (test hosts in one process each get their file's).</summary>
    public static SqliteWriterGate For(string fullPath, TimeSpan patience) =>
        PerFile.GetOrAdd(fullPath, _ => new SqliteWriterGate(patience, fullPath));

    /// <summary>The size of the database's write-ahead log now, in bytes (0 when unknown): a log that grows without
    /// being copied back makes the commit that finally copies it long.</summary>
    public long WriteAheadLogBytes
    {
        get
        {
            try
            {
                return path is not null && new FileInfo(path + "-wal") is { Exists: true } wal ? wal.Length : 0;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    /// <summary>How long the turn held now has been held (0 when free).</summary>
    public long CurrentHoldMs => Volatile.Read(ref _heldSince) is var since and not 0 ? Ms(Stopwatch.GetTimestamp() - since) : 0;

    /// <summary>Turns taken, time spent waiting for them and time they were held, since start (for the writes bench:
    /// how long writers queue for SQLite's lock, and how long each holds it).</summary>
    public (long Turns, long WaitedMs, long HeldMs) Totals =>
        (Interlocked.Read(ref _turns), Ms(Interlocked.Read(ref _waitedTicks)), Ms(Interlocked.Read(ref _heldTicks)));

    /// <summary>Nobody holds a turn right now.</summary>
    public bool IsFree => _turn.CurrentCount == 1;

    public async Task<bool> EnterAsync(CancellationToken cancellationToken) =>
        Took(Stopwatch.GetTimestamp(), await _turn.WaitAsync(patience, cancellationToken));

    public bool Enter() => Took(Stopwatch.GetTimestamp(), _turn.Wait(patience));

    /// <summary>The longest a turn was held since the last call (a stall shows here: one writer holding SQLite's lock
    /// for seconds, an fsync or a checkpoint that the disk took that long over).</summary>
    public long TakeLongestHeldMs() => Ms(Interlocked.Exchange(ref _longestHeldTicks, 0));

    public void Leave()
    {
        var held = Stopwatch.GetTimestamp() - _heldSince;
        Interlocked.Add(ref _heldTicks, held);
        if (held > Interlocked.Read(ref _longestHeldTicks))
        {
            Interlocked.Exchange(ref _longestHeldTicks, held);   // only the holder writes here; a report may miss one
        }

        Volatile.Write(ref _heldSince, 0);
        _turn.Release();
    }

    private bool Took(long askedAt, bool entered)
    {
        if (entered)
        {
            _heldSince = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _waitedTicks, _heldSince - askedAt);
            Interlocked.Increment(ref _turns);
        }

        return entered;
    }

    private static long Ms(long ticks) => ticks * 1000 / Stopwatch.Frequency;
}

/// <summary>
/// Every second with writes, at Debug: the gate's totals (bench/writes reads them from the log). A writer that holds
/// SQLite's write lock for a second or more — every other writer of the file waits meanwhile — is a warning, with the
/// write-ahead log's size: a stall says when it happened and whether a long log was being copied back.
/// </summary>
public sealed class SqliteWriterGateReporter(SqliteWriterGate gate, ILogger<SqliteWriterGateReporter> logger) : BackgroundService
{
    private const long StallMs = 1_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long last = -1;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (turns, waited, held) = gate.Totals;
                var longest = gate.TakeLongestHeldMs();
                var holding = gate.CurrentHoldMs;
                if (longest >= StallMs || holding >= StallMs)
                {
                    logger.LogWarning(
                        "SQLite's write lock was held {LongestMs} ms by one writer in the last second, and the turn held now has been held {HoldingMs} ms; the write-ahead log is {WalBytes} bytes",
                        longest, holding, gate.WriteAheadLogBytes);
                }

                if (logger.IsEnabled(LogLevel.Debug) && (turns != last || longest > 0))
                {
                    last = turns;
                    logger.LogDebug(
                        "SQLite writer gate totals: turns={Turns} waitedMs={WaitedMs} heldMs={HeldMs}; longest hold this second {LongestMs} ms; write-ahead log {WalBytes} bytes",
                        turns, waited, held, longest, gate.WriteAheadLogBytes);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <summary>
/// Takes a turn at the <see cref="SqliteWriterGate"/> where SQLite takes its write lock — at the start of a
/// transaction (Microsoft.Data.Sqlite begins IMMEDIATE) and before a write sent outside one (a one-statement
/// SaveChanges, an ExecuteUpdate) — and gives it back where SQLite releases it: commit, rollback, failure, the
/// statement's end, or the connection's close. Transparent to handlers.
/// </summary>
public sealed class SqliteWriterGateInterceptor(SqliteWriterGate gate)
    : IDbTransactionInterceptor, IDbCommandInterceptor, IDbConnectionInterceptor
{
    private enum Held { No, Transaction, Statement }

    private sealed class Turn
    {
        public Held Held;
    }

    private static readonly ConditionalWeakTable<DbConnection, Turn> Turns = [];

    private ConditionalWeakTable<DbConnection, Turn>.CreateValueCallback? _newTurn;

    // Transactions.

    public InterceptionResult<DbTransaction> TransactionStarting(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        var turn = TurnOf(connection);
        return !result.HasResult && turn.Held == Held.No && gate.Enter() ? BeginHoldingTurn(connection, eventData, turn) : result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result,
        CancellationToken cancellationToken = default)
    {
        var turn = TurnOf(connection);
        return !result.HasResult && turn.Held == Held.No && await gate.EnterAsync(cancellationToken)
            ? BeginHoldingTurn(connection, eventData, turn)
            : result;
    }

    /// <summary>
    /// Begins the transaction here, once the turn is taken, rather than letting EF begin it with the caller's
    /// cancellation token: EF reports no failed begin, so a request cancelled between its turn and its BEGIN (as every
    /// request in flight is when a client goes away) left the turn on this connection until that pooled context was
    /// rented again (the pool closes a returned context's connection without EF's close events), and every writer
    /// waited out its patience (the ~10 s write stalls of docs/writes.md).
    /// Microsoft.Data.Sqlite begins synchronously in any case.
    /// </summary>
    private InterceptionResult<DbTransaction> BeginHoldingTurn(DbConnection connection, TransactionStartingEventData eventData, Turn turn)
    {
        turn.Held = Held.Transaction;
        try
        {
            return InterceptionResult<DbTransaction>.SuppressWithResult(connection.BeginTransaction(eventData.IsolationLevel));
        }
        catch
        {
            Release(connection);
            throw;
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        Release(eventData.Context?.Database.GetDbConnection());

    public Task TransactionCommittedAsync(
        DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context?.Database.GetDbConnection());
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        Release(eventData.Context?.Database.GetDbConnection());

    public Task TransactionRolledBackAsync(
        DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context?.Database.GetDbConnection());
        return Task.CompletedTask;
    }

    // A commit, rollback or savepoint that failed may leave the transaction live (a commit cancelled before COMMIT):
    // SQLite's lock is then still held, and its rollback or the connection's close gives the turn back.
    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData)
    {
        if (transaction.Connection is null)
        {
            Release(eventData.Context?.Database.GetDbConnection());
        }
    }

    public Task TransactionFailedAsync(
        DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (transaction.Connection is null)
        {
            Release(eventData.Context?.Database.GetDbConnection());
        }

        return Task.CompletedTask;
    }

    // Writes outside a transaction: SQLite holds its lock for the statement alone.

    public InterceptionResult<int> NonQueryExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<DbDataReader> ReaderExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result,
        CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<object> ScalarExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        ReleaseStatement(command);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ReleaseStatement(command);
        return ValueTask.FromResult(result);
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        ReleaseStatement(command);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        ReleaseStatement(command);
        return ValueTask.FromResult(result);
    }

    // A write that returns rows (INSERT … RETURNING) holds SQLite's lock until its reader is done.
    public InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        ReleaseStatement(command);
        return result;
    }

    public ValueTask<InterceptionResult> DataReaderClosingAsync(
        DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        ReleaseStatement(command);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        ReleaseStatement(command);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => ReleaseStatement(command);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ReleaseStatement(command);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => ReleaseStatement(command);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ReleaseStatement(command);
        return Task.CompletedTask;
    }

    // A transaction disposed without commit or rollback rolls back inside SQLite; the connection's close is the last
    // place to give its turn back.

    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => Release(connection);

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        Release(connection);
        return Task.CompletedTask;
    }

    /// <summary>The connection's turn record. The first time a connection is seen, its close is watched directly too:
    /// a pooled context returned to the pool closes its connection without EF's close events, and a turn still held then
    /// (a path that ended without its transaction's end events) must not outlive it.</summary>
    private Turn TurnOf(DbConnection connection) => Turns.GetValue(connection, _newTurn ??= NewTurn);

    private Turn NewTurn(DbConnection connection)
    {
        connection.StateChange += (sender, e) =>
        {
            if (e.CurrentState == System.Data.ConnectionState.Closed)
            {
                Release(sender as DbConnection);
            }
        };
        return new Turn();
    }

    private void EnterForStatement(DbCommand command)
    {
        if (NeedsStatementTurn(command, out var turn) && gate.Enter())
        {
            turn.Held = Held.Statement;
        }
    }

    private async ValueTask EnterForStatementAsync(DbCommand command, CancellationToken cancellationToken)
    {
        if (NeedsStatementTurn(command, out var turn) && await gate.EnterAsync(cancellationToken))
        {
            turn.Held = Held.Statement;
        }
    }

    private bool NeedsStatementTurn(DbCommand command, out Turn turn)
    {
        turn = null!;
        if (command.Transaction is not null || command.Connection is not { } connection || !IsWrite(command.CommandText))
        {
            return false;
        }

        turn = TurnOf(connection);
        return turn.Held == Held.No;
    }

    private static bool IsWrite(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        return text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
               || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
               || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
               || text.StartsWith("REPLACE", StringComparison.OrdinalIgnoreCase);
    }

    private void ReleaseStatement(DbCommand command)
    {
        if (command.Connection is { } connection && Turns.TryGetValue(connection, out var turn) && turn.Held == Held.Statement)
        {
            turn.Held = Held.No;
            gate.Leave();
        }
    }

    private void Release(DbConnection? connection)
    {
        if (connection is not null && Turns.TryGetValue(connection, out var turn) && turn.Held != Held.No)
        {
            turn.Held = Held.No;
            gate.Leave();
        }
    }
}
