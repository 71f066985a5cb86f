using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Queue;
using Concert.Application.Reservations;
using Concert.Domain.Concerts;
using Concert.Domain.Reservations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Application.Maintenance;

/// <summary>
/// Writes down what time has already decided, set-based and idempotent, so any number of instances may run it:
/// lapsed holds become expired reservations and free seats (bumping the seat's version, so a writer that read the
/// old hold loses), old expired tokens and old idempotency keys are deleted.
/// </summary>
public sealed class Sweeper(
    IConcertDbContext db,
    QueueService queue,
    TimeProvider clock,
    IOptions<PaymentOptions> payments,
    ILogger<Sweeper> logger)
{
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var reservations = await db.Reservations
            .Where(HoldRules.ReservationHoldLapsedAt(now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReservationStatus.Expired)
                .SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);
        var seats = await db.Seats
            .Where(HoldRules.SeatHoldLapsedAt(now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, SeatStatus.Available)
                .SetProperty(x => x.HeldByUserId, (long?)null)
                .SetProperty(x => x.HeldUntil, (DateTime?)null)
                .SetProperty(x => x.ReservationId, (long?)null)
                .SetProperty(x => x.Version, x => x.Version + 1), cancellationToken);
        var tokens = await queue.PurgeExpiredAsync(cancellationToken);
        var keepKeysFrom = now - payments.Value.IdempotencyKeyRetention;
        var keys = await db.IdempotencyRecords.Where(r => r.CreatedAt < keepKeysFrom).ExecuteDeleteAsync(cancellationToken);
        if (reservations + seats + tokens + keys > 0)
        {
            logger.LogInformation(
                "Swept {Reservations} lapsed holds, {Seats} seats, {Tokens} old tokens, {Keys} old idempotency keys",
                reservations, seats, tokens, keys);
        }
    }
}
