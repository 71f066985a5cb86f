using Concert.Domain.Accounts;
using Concert.Domain.Queue;
using Concert.Domain.Reservations;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Common.Interfaces;

/// <summary>
/// Row locks taken the portable way: a conditional version bump. Inside a transaction the UPDATE holds the row
/// (PostgreSQL, SQL Server) or the write lock (SQLite) until commit, so a read that follows sees the latest
/// committed state and nobody else can change it meanwhile — on every provider and across instances.
/// </summary>
public static class RowLocks
{
    /// <summary>Locks and loads the account (tracked), or null when the user has none.</summary>
    public static async Task<Account?> LockAccountAsync(this IConcertDbContext db, long userId, CancellationToken ct)
    {
        var locked = await db.Accounts.Where(a => a.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Version, a => a.Version + 1), ct);
        return locked == 0 ? null : await db.Accounts.SingleAsync(a => a.UserId == userId, ct);
    }

    /// <summary>Locks the user's row: serialises that user's hold decisions. False when there is no such user.</summary>
    public static async Task<bool> LockUserAsync(this IConcertDbContext db, long userId, CancellationToken ct) =>
        await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Version, u => u.Version + 1), ct) == 1;

    /// <summary>Locks and loads the user's reservation (tracked), or null when it is not theirs or not there.</summary>
    public static async Task<Reservation?> LockReservationAsync(
        this IConcertDbContext db, long reservationId, long userId, CancellationToken ct)
    {
        var locked = await db.Reservations.Where(r => r.Id == reservationId && r.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version + 1), ct);
        return locked == 0 ? null : await db.Reservations.SingleAsync(r => r.Id == reservationId, ct);
    }

    /// <summary>Locks and loads the queue gate (tracked): one admission decision at a time, across instances.</summary>
    public static async Task<QueueGate> LockQueueGateAsync(this IConcertDbContext db, CancellationToken ct)
    {
        var locked = await db.QueueGates.Where(g => g.Id == QueueGate.SingletonId)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1), ct);
        if (locked == 0)
        {
            throw new InvalidOperationException("The queue gate row is missing; run the migrations.");
        }

        return await db.QueueGates.SingleAsync(g => g.Id == QueueGate.SingletonId, ct);
    }
}
