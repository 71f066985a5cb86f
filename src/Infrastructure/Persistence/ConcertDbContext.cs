using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Concerts;
using Concert.Domain.Payments;
using Concert.Domain.Queue;
using Concert.Domain.Reservations;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;
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

    public async Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var strategy = Database.CreateExecutionStrategy();
        try
        {
            return await strategy.ExecuteAsync(
                work,
                async (_, w, ct) =>
                {
                    ChangeTracker.Clear();
                    await using var transaction = await Database.BeginTransactionAsync(ct);
                    var result = await w(ct);
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

    public abstract bool IsUniqueViolation(DbUpdateException exception);

    public void ClearChanges() => ChangeTracker.Clear();

    public async Task<Account?> LockAccountAsync(long userId, CancellationToken cancellationToken)
    {
        var locked = await Accounts.Where(a => a.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Version, a => a.Version + 1), cancellationToken);
        return locked == 0 ? null : await Accounts.SingleAsync(a => a.UserId == userId, cancellationToken);
    }

    public async Task<bool> LockUserAsync(long userId, CancellationToken cancellationToken) =>
        await Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Version, u => u.Version + 1), cancellationToken) == 1;

    public async Task<Reservation?> LockReservationAsync(long reservationId, long userId, CancellationToken cancellationToken)
    {
        var locked = await Reservations.Where(r => r.Id == reservationId && r.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);
        return locked == 0 ? null : await Reservations.SingleAsync(r => r.Id == reservationId, cancellationToken);
    }

    public async Task<List<Reservation>> LockReservationsAsync(
        IReadOnlyCollection<long> reservationIds, long userId, CancellationToken cancellationToken)
    {
        var ids = reservationIds.ToArray();
        var locked = await Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);
        return locked == 0
            ? []
            : await Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId).ToListAsync(cancellationToken);
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
