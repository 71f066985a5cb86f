using Concert.Application.Queue;
using Concert.Domain.Accounts;
using Concert.Domain.Concerts;
using Concert.Domain.Payments;
using Concert.Domain.Queue;
using Concert.Domain.Reservations;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Common.Interfaces;

/// <summary>The persistence port. Infrastructure implements it with one EF Core context per provider.</summary>
public interface IConcertDbContext
{
    DbSet<User> Users { get; }

    DbSet<Account> Accounts { get; }

    DbSet<BalanceEntry> BalanceEntries { get; }

    DbSet<QueueToken> QueueTokens { get; }

    DbSet<QueueGate> QueueGates { get; }

    DbSet<QueueDraw> QueueDraws { get; }

    DbSet<Domain.Concerts.Concert> Concerts { get; }

    DbSet<ConcertSchedule> Schedules { get; }

    DbSet<Seat> Seats { get; }

    DbSet<Reservation> Reservations { get; }

    DbSet<Payment> Payments { get; }

    DbSet<IdempotencyRecord> IdempotencyRecords { get; }

    Task<int> SaveChangesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction inside the provider's execution strategy, so a transient
    /// failure retries the whole unit. The change tracker starts empty on every attempt.
    /// </summary>
    Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="InTransactionAsync{T}"/>, but the changes already tracked (rows read before the transaction and
    /// changed) are kept and written by <paramref name="work"/>, each UPDATE conditional on the version read, so a row
    /// changed meanwhile fails the commit with <see cref="DbUpdateConcurrencyException"/> and the caller reads again.
    /// A unit the execution strategy would retry fails the same way (what was tracked cannot be restored).
    /// </summary>
    Task<T> InTransactionKeepingChangesAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on this context inside <paramref name="host"/>'s open transaction, under a savepoint
    /// of its own (a group commit: the host's loop runs the units of several requests in one transaction and commits
    /// once). The changes already tracked are kept and written by <paramref name="work"/>, as with
    /// <see cref="InTransactionKeepingChangesAsync{T}"/>. When it throws, what it wrote is rolled back to the savepoint,
    /// nothing stays tracked, and the host's transaction goes on; if even that rollback fails, the host's whole
    /// transaction is rolled back (its commit then fails) rather than half a unit committed. Nothing is durable before
    /// the host commits.
    /// </summary>
    Task<T> InTransactionOfAsync<T>(IConcertDbContext host, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the database lets one writer in at a time, from a transaction's start (SQLite). There a unit that reads
    /// before it writes keeps every other writer waiting while it reads; reading first, outside the transaction, and
    /// writing conditionally on the versions read (<see cref="InTransactionKeepingChangesAsync{T}"/>) lets them in
    /// meanwhile. Elsewhere a row lock holds only its rows, and locking reads are cheaper than a conflict.
    /// </summary>
    bool OneWriterAtATime { get; }

    /// <summary>
    /// Inserts new tokens and gives each the id the database chose. Where the provider can skip a conflicting row and
    /// return generated keys from a multi-row insert (SQLite, PostgreSQL: one statement, <c>ON CONFLICT DO NOTHING</c>),
    /// a token a unique index refuses (its user has a live token) is skipped and keeps id 0, and the others are written;
    /// any other refusal (a user that does not exist) fails them all with a <see cref="DbUpdateException"/>. Elsewhere
    /// (<c>SaveChanges</c>) any refused row fails them all. The tokens are not tracked afterwards.
    /// </summary>
    Task InsertTokensAsync(IReadOnlyList<QueueToken> tokens, CancellationToken cancellationToken) =>
        InsertTokensAsync(tokens, andRead: null, cancellationToken);

    /// <summary>
    /// As <see cref="InsertTokensAsync(IReadOnlyList{QueueToken}, CancellationToken)"/>, and where the provider can send
    /// a read in the same round trip as the insert (PostgreSQL: a batch with an error barrier between the two, so the
    /// insert commits first and the read, a transaction of its own, sees what is committed just after it), the rows of
    /// <paramref name="andRead"/> read there. Null when nothing was read along (no read asked, another provider, a
    /// transaction of the caller's open, the read failed, or the insert was confirmed by a second look after a
    /// transient failure): the caller reads for itself.
    /// </summary>
    Task<WaitingLine.LineEntry[]?> InsertTokensAsync(
        IReadOnlyList<QueueToken> tokens, LineRead? andRead, CancellationToken cancellationToken);

    /// <summary>
    /// The user and their live queue token (null when they have none), read together; null when there is no such user.
    /// A join's read of its caller when the database refused its insert (a live token already, or no such user): a
    /// query compiled once (no expression tree to walk and look up per call).
    /// </summary>
    Task<UserInLine?> FindUserInLineAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Whether the failure is a unique-constraint violation (each provider reports it its own way).</summary>
    bool IsUniqueViolation(DbUpdateException exception);

    void ClearChanges();

    /// <summary>
    /// The key the database will give <paramref name="entity"/>, added and not yet saved: a stand-in value that the
    /// next SaveChanges replaces, in the entity and in every foreign key set to it, once the row is inserted. Lets a
    /// dependent row name a new principal and both be written by one SaveChanges.
    /// </summary>
    long PendingKeyOf<TEntity>(TEntity entity)
        where TEntity : class;

    // Row locks, taken the portable way: a conditional version bump. Inside a transaction the UPDATE holds the row
    // (PostgreSQL, SQL Server) or the write lock (SQLite) until commit, so the read that follows sees the latest
    // committed state and nobody else can change it meanwhile — on every provider and across instances.

    /// <summary>Locks and loads the account (tracked), or null when the user has none.</summary>
    Task<Account?> LockAccountAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Locks the user's row, serialising that user's hold decisions. False when there is no such user.</summary>
    Task<bool> LockUserAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Locks and loads the user's reservation (tracked), or null when it is not theirs or not there.</summary>
    Task<Reservation?> LockReservationAsync(long reservationId, long userId, CancellationToken cancellationToken);

    /// <summary>Locks and loads those of <paramref name="reservationIds"/> that are the user's (tracked); the others
    /// are missing from the list.</summary>
    Task<List<Reservation>> LockReservationsAsync(
        IReadOnlyCollection<long> reservationIds, long userId, CancellationToken cancellationToken);

    /// <summary>Locks and loads the waiting room's row (tracked): one admission decision or settings change at a time, across instances.</summary>
    Task<QueueGate> LockQueueGateAsync(CancellationToken cancellationToken);
}

/// <summary>A user known to the database, and their live queue token if they have one
/// (<see cref="IConcertDbContext.FindUserInLineAsync"/>).</summary>
public sealed record UserInLine(QueueToken? Live);
