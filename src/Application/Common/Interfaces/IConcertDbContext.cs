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

    DbSet<QueueRankMark> QueueRankMarks { get; }

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

    /// <summary>Whether the failure is a unique-constraint violation (each provider reports it its own way).</summary>
    bool IsUniqueViolation(DbUpdateException exception);

    /// <summary>Every <paramref name="spacing"/>-th waiting token in join order, with how many wait before it.</summary>
    Task<List<WaitingRankRow>> WaitingRankMarksAsync(int spacing, CancellationToken cancellationToken);

    void ClearChanges();
}

public sealed record WaitingRankRow(long Id, long Ahead);
