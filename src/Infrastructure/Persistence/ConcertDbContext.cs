using System.Data.Common;
using Concert.Application.Common.Interfaces;
using Concert.Application.Queue;
using Concert.Domain.Accounts;
using Concert.Domain.Concerts;
using Concert.Domain.Payments;
using Concert.Domain.Queue;
using Concert.Domain.Reservations;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// The model, shared by every provider. Each provider has its own sealed subclass so that each keeps its own
/// migrations (migrations bind to the context type).
/// </summary>
public abstract class ConcertDbContext(DbContextOptions options) : DbContext(options), IConcertDbContext
{
    public DbSet<User> Users => Set<User>();

    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<BalanceEntry> BalanceEntries => Set<BalanceEntry>();

    public DbSet<QueueToken> QueueTokens => Set<QueueToken>();

    public DbSet<QueueGate> QueueGates => Set<QueueGate>();

    public DbSet<QueueDraw> QueueDraws => Set<QueueDraw>();

    public DbSet<Domain.Concerts.Concert> Concerts => Set<Domain.Concerts.Concert>();

    public DbSet<ConcertSchedule> Schedules => Set<ConcertSchedule>();

    public DbSet<Seat> Seats => Set<Seat>();

    public DbSet<Reservation> Reservations => Set<Reservation>();

    public DbSet<Payment> Payments => Set<Payment>();

    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    public Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        RunInTransactionAsync(work, keepTracked: false, cancellationToken);

    public Task<T> InTransactionKeepingChangesAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        RunInTransactionAsync(work, keepTracked: true, cancellationToken);

    public async Task<T> InTransactionOfAsync<T>(
        IConcertDbContext host, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var hostDb = (ConcertDbContext)host;
        var shared = hostDb.Database.CurrentTransaction
                     ?? throw new InvalidOperationException("The host context has no transaction open.");
        if (Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("A unit runs in the host's transaction; this context has one of its own open.");
        }

        var own = Database.GetConnectionString();
        var autoSavepoints = Database.AutoSavepointsEnabled;
        try
        {
            await shared.CreateSavepointAsync(UnitSavepoint, cancellationToken);
            // For the unit this context takes the host's connection, and the host's transaction with it. Every statement
            // then carries that transaction, so the writer gate sees no write of its own to give a turn to: the host
            // holds the turn for the whole group. Its own connection is closed first, and EF's count of its opens reset:
            // a pooled context whose earlier request was cancelled inside EF's BEGIN keeps that open counted (the pool's
            // reset does not clear it), and EF refuses to change a connection it counts as in use.
            ((IResettableService)this.GetService<IRelationalConnection>()).ResetState();
            Database.SetDbConnection(hostDb.Database.GetDbConnection(), contextOwnsConnection: false);
            await Database.UseTransactionAsync(shared.GetDbTransaction(), cancellationToken);
            Database.AutoSavepointsEnabled = false;   // the unit's savepoint covers its SaveChanges
            var result = await work(cancellationToken);
            await shared.ReleaseSavepointAsync(UnitSavepoint, cancellationToken);
            return result;
        }
        catch
        {
            ChangeTracker.Clear();
            try
            {
                await shared.RollbackToSavepointAsync(UnitSavepoint, CancellationToken.None);
            }
            catch (Exception)
            {
                // What the unit wrote could not be undone alone (or its savepoint never began): undo the whole group
                // (its commit then fails, and every unit of it hears so) rather than commit half a unit.
                await RollBackQuietlyAsync(shared);
            }

            throw;
        }
        finally
        {
            Database.AutoSavepointsEnabled = autoSavepoints;
            await Database.UseTransactionAsync(null, CancellationToken.None);
            // Back to a connection of its own, created from the same string when next needed, and owned (closed and
            // disposed by EF) as before.
            Database.SetDbConnection(null, contextOwnsConnection: true);
            Database.SetConnectionString(own);
        }
    }

    private const string UnitSavepoint = "unit";

    private async Task<T> RunInTransactionAsync<T>(
        Func<CancellationToken, Task<T>> work, bool keepTracked, CancellationToken cancellationToken)
    {
        var strategy = Database.CreateExecutionStrategy();
        var attempts = 0;
        try
        {
            return await strategy.ExecuteAsync(
                work,
                async (_, w, ct) =>
                {
                    if (!keepTracked)
                    {
                        ChangeTracker.Clear();
                    }
                    else if (++attempts > 1)
                    {
                        // A transient failure rolled the first attempt back, and what was tracked for it may have been
                        // accepted or half-written: read again rather than guess.
                        throw new DbUpdateConcurrencyException("The unit was retried after a transient failure; read again.");
                    }

                    await using var transaction = await Database.BeginTransactionAsync(ct);
                    T result;
                    try
                    {
                        result = await w(ct);
                    }
                    catch
                    {
                        // Roll back now rather than when the request's scope closes the connection: a refusal inside
                        // the transaction (a seat taken meanwhile, a balance short) releases SQLite's write lock and
                        // the writer's turn at once, not after its error answer is written.
                        await RollBackQuietlyAsync(transaction);
                        throw;
                    }

                    await transaction.CommitAsync(ct);
                    return result;
                },
                verifySucceeded: null,
                cancellationToken);
        }
        catch
        {
            // A failed unit leaves nothing tracked that a later step of the same request could save by accident.
            ChangeTracker.Clear();
            throw;
        }
    }

    public bool OneWriterAtATime => RowLocks == RowLockStyle.WriterLockHeld;

    public Task<UserInLine?> FindUserInLineAsync(long userId, CancellationToken cancellationToken) =>
        UserInLineQuery(this, userId, cancellationToken);

    /// <summary>Compiled once: EF's per-call translation lookup (walking the expression tree for its parameters and
    /// hashing it for the query cache) was a third of this read's cost, on every join.</summary>
    private static readonly Func<ConcertDbContext, long, CancellationToken, Task<UserInLine?>> UserInLineQuery =
        EF.CompileAsyncQuery((ConcertDbContext db, long userId, CancellationToken _) =>
            (from u in db.Users.AsNoTracking()
             where u.Id == userId
             join t in db.QueueTokens.AsNoTracking() on (long?)u.Id equals t.LiveUserId into tokens
             from t in tokens.DefaultIfEmpty()
             select new UserInLine(t))
            .FirstOrDefault());

    public abstract bool IsUniqueViolation(DbUpdateException exception);

    private static async Task RollBackQuietlyAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // The database already ended it (a failed statement can); the original failure is the one to report.
        }
    }

    public void ClearChanges() => ChangeTracker.Clear();

    public async Task<WaitingLine.LineEntry[]?> InsertTokensAsync(
        IReadOnlyList<QueueToken> tokens, LineRead? andRead, CancellationToken cancellationToken)
    {
        if (tokens.Count == 0)
        {
            return null;
        }

        var insert = InsertsReturningKeys ? TokenInsert.For(Model) : null;
        if (insert is null)
        {
            try
            {
                QueueTokens.AddRange(tokens);
                await SaveChangesAsync(cancellationToken);
            }
            finally
            {
                ChangeTracker.Clear();
            }

            return null;
        }

        // Inside the provider's execution strategy, as SaveChanges would be: a transient failure (PostgreSQL) sends the
        // statement again, unless the rows turn out to be there already (and then nothing was read along).
        WaitingLine.LineEntry[]? rows = null;
        await Database.CreateExecutionStrategy().ExecuteAsync(
            tokens,
            async (_, batch, ct) =>
            {
                rows = await InsertReturningAsync(insert, batch, andRead, ct);
                return true;
            },
            async (_, batch, ct) => new ExecutionResult<bool>(await FoundAsync(insert, batch, ct), true),
            cancellationToken);
        return rows;
    }

    private async Task<WaitingLine.LineEntry[]?> InsertReturningAsync(
        TokenInsert insert, IReadOnlyList<QueueToken> tokens, LineRead? read, CancellationToken cancellationToken)
    {
        // Outside a transaction of ours only: inside one, the batch's barriers would commit nothing, and a failed read
        // would leave that transaction aborted.
        if (read is not null && SeparateCommits is { } separate && insert.CanRead && Database.CurrentTransaction is null)
        {
            return await InsertThenReadAsync(insert, tokens, read, separate, cancellationToken);
        }

        // Sent as ExecuteSqlRaw sends its statement (interceptors, the command log, this context's connection), but
        // read: the query pipeline would add its own compilation, and its own error log for an expected refusal.
        await using var factory = Database.GetDbConnection().CreateCommand();
        var (sql, parameters) = insert.Build(tokens, factory, Q);
        var command = this.GetService<IRawSqlCommandBuilder>().Build(sql, parameters, Model);
        var connection = this.GetService<IRelationalConnection>();
        var ids = new Dictionary<string, long>(tokens.Count, StringComparer.Ordinal);
        try
        {
            await connection.OpenAsync(cancellationToken);
            try
            {
                await using var reader = await command.RelationalCommand.ExecuteReaderAsync(
                    new RelationalCommandParameterObject(connection, command.ParameterValues, null, this,
                        this.GetService<IRelationalCommandDiagnosticsLogger>(), CommandSource.SaveChanges),
                    cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.DbDataReader.GetString(1), reader.DbDataReader.GetInt64(0));
                }
            }
            finally
            {
                await connection.CloseAsync();
            }
        }
        catch (DbException e)
        {
            // As SaveChanges reports it: IsUniqueViolation reads the provider's exception inside, and the execution
            // strategy looks inside for a transient one.
            throw new DbUpdateException("Inserting the queue tokens failed; none was written.", e);
        }

        insert.SetIds(tokens, ids);
        return null;
    }

    /// <summary>
    /// The insert, then <paramref name="read"/>, as one ADO.NET batch: one round trip, with an error barrier between
    /// them (<paramref name="separate"/>), so that the insert commits on its own first and the read, a
    /// transaction of its own, sees what is committed just after it — as a query sent after the commit would, one
    /// round trip sooner. A batch goes below EF's command pipeline (no interceptor, no command log line), as the
    /// provider's own tracing still sees it. The read's rows; null when the read failed (the insert is written all
    /// the same, and the caller reads for itself).
    /// </summary>
    private async Task<WaitingLine.LineEntry[]?> InsertThenReadAsync(
        TokenInsert insert, IReadOnlyList<QueueToken> tokens, LineRead read, Action<DbBatch> separate,
        CancellationToken cancellationToken)
    {
        var connection = this.GetService<IRelationalConnection>();
        var ids = new Dictionary<string, long>(tokens.Count, StringComparer.Ordinal);
        List<WaitingLine.LineEntry>? rows = null;
        var reading = false;
        DbException? failedAfterInsert = null;
        try
        {
            await connection.OpenAsync(cancellationToken);
            try
            {
                await using var factory = connection.DbConnection.CreateCommand();
                await using var batch = connection.DbConnection.CreateBatch();
                separate(batch);
                Add(batch, insert.BuildPositional(tokens, factory, Q));
                // The read's own query (LineRead.Query), as EF writes it for this provider: only sent another way.
                await using (var query = read.Query(QueueTokens.AsNoTracking()).CreateDbCommand())
                {
                    var parameters = query.Parameters.Cast<DbParameter>().ToArray();
                    query.Parameters.Clear();
                    Add(batch, (query.CommandText, parameters));
                }

                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.GetString(1), reader.GetInt64(0));
                }

                // Reaching the read's result means the insert's transaction has ended and committed (the barrier's
                // answer comes first): from then on whatever fails is the read's alone. A failure on the way there is
                // the read's or the insert's commit's, and the provider does not say which: looked up below.
                try
                {
                    if (await reader.NextResultAsync(cancellationToken))
                    {
                        reading = true;
                        rows = [];
                        while (await reader.ReadAsync(cancellationToken))
                        {
                            rows.Add(new WaitingLine.LineEntry(
                                reader.GetInt64(0), (QueueTokenStatus)reader.GetInt32(1), reader.GetInt64(2),
                                reader.GetInt64(3)));
                        }
                    }
                }
                catch (Exception e) when (e is DbException or InvalidCastException or FormatException)
                {
                    rows = null;
                    failedAfterInsert = reading ? null : (DbException)e;   // before the rows, only the provider throws
                }
            }
            finally
            {
                await connection.CloseAsync();
            }
        }
        catch (DbException e)
        {
            throw new DbUpdateException("Inserting the queue tokens failed; none was written.", e);
        }

        if (failedAfterInsert is not null)
        {
            // The insert ran (its rows came back); whether it committed, its rows say. Found: the read failed, the
            // tokens are written (their ids set). Not found: the commit failed, or every row was skipped; either way
            // the caller hears "none was written" and writing again decides.
            return await FoundAsync(insert, tokens, cancellationToken)
                ? null
                : throw new DbUpdateException("Inserting the queue tokens failed; none was written.", failedAfterInsert);
        }

        insert.SetIds(tokens, ids);
        return rows?.ToArray();

        static void Add(DbBatch batch, (string Sql, DbParameter[] Parameters) statement)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = statement.Sql;
            command.Parameters.AddRange(statement.Parameters);
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>After a failure whose outcome is unknown: whether the statement was written after all (the ids of the
    /// tokens it wrote set). None found means it was not, or every row was skipped; sending it again then skips them
    /// again, so either way the answer is right.</summary>
    private async Task<bool> FoundAsync(TokenInsert insert, IReadOnlyList<QueueToken> tokens, CancellationToken cancellationToken)
    {
        var values = tokens.Select(t => t.Token).ToList();
        var ids = await QueueTokens.Where(t => values.Contains(t.Token)).Select(t => new { t.Token, t.Id })
            .ToDictionaryAsync(t => t.Token, t => t.Id, StringComparer.Ordinal, cancellationToken);
        return insert.SetIds(tokens, ids) > 0;
    }

    /// <summary>Whether one INSERT of many rows can return each row's generated key (RETURNING).</summary>
    protected virtual bool InsertsReturningKeys => true;

    /// <summary>How to make each command of an ADO.NET batch a transaction of its own (an error barrier after each),
    /// where the provider can; null where a read of the line does not go with the insert of tokens. Given, the read
    /// goes in the insert's round trip, right after its commit (PostgreSQL: <see cref="InsertThenReadAsync"/>). SQLite
    /// reads in-process: no round trip to save.</summary>
    protected virtual Action<DbBatch>? SeparateCommits => null;

    public long PendingKeyOf<TEntity>(TEntity entity)
        where TEntity : class
    {
        var entry = Entry(entity);
        var key = entry.Metadata.FindPrimaryKey()!.Properties.Single();
        var property = entry.Property(key.Name);
        return property.IsTemporary
            ? (long)property.CurrentValue!
            : throw new InvalidOperationException($"{typeof(TEntity).Name} has no pending key: add it before asking.");
    }

    public async Task<Account?> LockAccountAsync(long userId, CancellationToken cancellationToken)
    {
        switch (RowLocks)
        {
            case RowLockStyle.WriterLockHeld when Database.CurrentTransaction is not null:
                return await Accounts.SingleOrDefaultAsync(a => a.UserId == userId, cancellationToken);
            case RowLockStyle.SelectForUpdate:
                var account = "SELECT " + ColumnsOf<Account>() + """ FROM "Accounts" WHERE "UserId" = {0} FOR UPDATE""";
                return (await Accounts.FromSqlRaw(account, userId).ToListAsync(cancellationToken)).SingleOrDefault();
            default:
                var locked = await Accounts.Where(a => a.UserId == userId)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.Version, a => a.Version + 1), cancellationToken);
                return locked == 0 ? null : await Accounts.SingleAsync(a => a.UserId == userId, cancellationToken);
        }
    }

    /// <summary>The entity's columns, listed rather than <c>*</c>: PostgreSQL refuses a prepared statement (Npgsql
    /// prepares repeated ones) whose <c>*</c> has come to mean more columns, e.g. after another instance migrated
    /// ("cached plan must not change result type"). Built once per model and entity, not on every lock.</summary>
    private string ColumnsOf<TEntity>() =>
        ColumnLists.GetValue(Model, _ => new System.Collections.Concurrent.ConcurrentDictionary<Type, string>())
            .GetOrAdd(typeof(TEntity), entity =>
            {
                var type = Model.FindEntityType(entity)!;
                var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
                return string.Join(", ", type.GetProperties().Select(p => Q(p.GetColumnName(table)!)));
            });

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<
        IModel, System.Collections.Concurrent.ConcurrentDictionary<Type, string>> ColumnLists = [];

    public async Task<bool> LockUserAsync(long userId, CancellationToken cancellationToken) =>
        await Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Version, u => u.Version + 1), cancellationToken) == 1;

    public async Task<Reservation?> LockReservationAsync(long reservationId, long userId, CancellationToken cancellationToken) =>
        (await LockReservationsAsync([reservationId], userId, cancellationToken)).SingleOrDefault();

    public async Task<List<Reservation>> LockReservationsAsync(
        IReadOnlyCollection<long> reservationIds, long userId, CancellationToken cancellationToken)
    {
        var ids = reservationIds.ToArray();
        switch (RowLocks)
        {
            case RowLockStyle.WriterLockHeld when Database.CurrentTransaction is not null:
                return await Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId).ToListAsync(cancellationToken);
            case RowLockStyle.SelectForUpdate:
                // In id order, so two transactions locking overlapping sets never wait on each other in a circle.
                var reservations = "SELECT " + ColumnsOf<Reservation>()
                    + """ FROM "Reservations" WHERE "Id" = ANY({0}) AND "UserId" = {1} ORDER BY "Id" FOR UPDATE""";
                return await Reservations.FromSqlRaw(reservations, ids, userId).ToListAsync(cancellationToken);
            default:
                var locked = await Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);
                return locked == 0
                    ? []
                    : await Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId).ToListAsync(cancellationToken);
        }
    }

    public async Task<QueueGate> LockQueueGateAsync(CancellationToken cancellationToken)
    {
        var locked = await QueueGates.Where(g => g.Id == QueueGate.SingletonId)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1), cancellationToken);
        if (locked == 0)
        {
            throw new InvalidOperationException("The queue gate row is missing; run the migrations.");
        }

        return await QueueGates.SingleAsync(g => g.Id == QueueGate.SingletonId, cancellationToken);
    }

    /// <summary>
    /// How this provider locks a row for the rest of the transaction at the least cost. The portable way is a
    /// conditional version bump and then a read (two statements). On SQLite a transaction begins IMMEDIATE and so
    /// already holds the database's one write lock: a plain read is as good as a lock there. PostgreSQL reads and
    /// locks in one statement (SELECT … FOR UPDATE; READ COMMITTED re-reads the latest version after the wait;
    /// written for PostgreSQL's SQL alone).
    /// </summary>
    protected virtual RowLockStyle RowLocks => RowLockStyle.VersionBump;

    protected enum RowLockStyle
    {
        VersionBump,
        WriterLockHeld,
        SelectForUpdate,
    }

    /// <summary>Quotes an identifier for this provider.</summary>
    protected virtual string Q(string identifier) => $"\"{identifier}\"";

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp this service writes is UTC; SQLite and SQL Server keep no zone, so read them back as UTC.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ConcertDbContext).Assembly);
}

internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
