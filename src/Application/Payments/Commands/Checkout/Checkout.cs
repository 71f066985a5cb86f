using Concert.Application.Common.Idempotency;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Telemetry;
using Concert.Application.Queue;
using Concert.Domain.Common;
using Concert.Domain.Payments;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Payments.Commands.Checkout;

/// <summary>Pays one or several of the caller's holds together, in the order given.</summary>
public sealed record CheckoutCommand(IReadOnlyList<long> ReservationIds, string? IdempotencyKey)
    : ICommand<PaymentDto>, IRequireActiveQueueToken, IIdempotentRequest, IMeasuredOutcome
{
    public string Fingerprint() => $"checkout reservationIds={string.Join(',', ReservationIds)}";
}

/// <summary>
/// One checkout, all or nothing, in one transaction: the queue token is spent first (a conditional UPDATE, so of
/// several payments with one token exactly one gets past it), then the reservations and the account are locked
/// (conditional version bumps) before they are read; each seat's concurrency token makes a payment that races its
/// own hold's lapse and a stranger's new hold lose cleanly. With an <c>Idempotency-Key</c> the claim row is inserted
/// first: a concurrent request with the same key waits on its unique index and then replays.
/// The slot the spent token frees is refilled by the admission worker within <c>Queue:AdmissionInterval</c>, as the
/// contract promises, not by the payment itself: an admission pass takes the queue's one gate row, so a pass per
/// payment made every payment wait in line for that row and its commit (docs/writes.md); one pass refills every
/// slot freed meanwhile.
/// </summary>
public sealed class CheckoutCommandHandler(
    IConcertDbContext db,
    QueueTokenContext caller,
    IdempotencyStore idempotency,
    TimeProvider clock,
    ILogger<CheckoutCommandHandler> logger,
    ConcertMetrics metrics)
    : ICommandHandler<CheckoutCommand, PaymentDto>
{
    public async ValueTask<PaymentDto> Handle(CheckoutCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.UserId;
        PaymentDto paid;
        try
        {
            paid = await db.InTransactionAsync(ct => PayAsync(command, userId, ct), cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // A seat changed under us: its hold lapsed and someone else took the seat.
            throw Errors.ReservationExpired();
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation(e))
        {
            db.ClearChanges();
            if (command.IdempotencyKey is { } key)
            {
                // A request with the same key committed first: answer with its outcome.
                return await idempotency.FindReplayAsync<PaymentDto>(userId, key, command.Fingerprint(), cancellationToken)
                       ?? throw Errors.IdempotencyKeyInProgress();
            }

            throw Errors.ReservationAlreadyPaid();
        }

        logger.LogInformation("User {UserId} paid {Amount} for reservations {ReservationIds} (payment {PaymentId})",
            userId, paid.Amount, paid.ReservationIds, paid.Id);
        return paid;
    }

    private async Task<PaymentDto> PayAsync(CheckoutCommand command, long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        IdempotencyRecord? claim = null;
        if (command.IdempotencyKey is { } key)
        {
            claim = IdempotencyRecord.Claim(userId, key, IdempotencyStore.Hash(command.Fingerprint()), now);
            db.IdempotencyRecords.Add(claim);
            await db.SaveChangesAsync(ct);
        }

        // The token's state as the database has it now, not as the pipeline read it: a concurrent payment with the
        // same token waits on this row and then finds it expired (rolled back with us if we fail).
        var spent = await db.QueueTokens.Where(t => t.Id == caller.Token.Id)
            .Where(QueueTokenUpdates.ActiveAt(now)).ExpireAsync(now, ct);
        if (spent == 0)
        {
            throw Errors.QueueTokenExpired();
        }

        metrics.Expired("paid", spent);

        var ids = command.ReservationIds;
        var locked = (await db.LockReservationsAsync(ids, userId, ct)).ToDictionary(r => r.Id);
        if (locked.Count != ids.Count)
        {
            throw Errors.ReservationNotFound();
        }

        var reservations = ids.Select(id => locked[id]).ToList();
        var payment = Payment.Checkout(userId, reservations, now);
        var seatIds = reservations.Select(r => r.SeatId).ToArray();
        var seats = await db.Seats.Where(s => seatIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        foreach (var reservation in reservations)
        {
            seats[reservation.SeatId].Sell(reservation.Id, now);
        }

        var account = await db.LockAccountAsync(userId, ct) ?? throw Errors.UserNotFound();
        db.Payments.Add(payment);

        // The account refuses a debit it cannot cover; the rollback then undoes everything above too. The entry names
        // the payment by the key it will get, so that one SaveChanges writes the payment and the debit together.
        db.BalanceEntries.Add(account.Pay(payment.Amount, db.PendingKeyOf(payment), now));
        await db.SaveChangesAsync(ct);

        var result = new PaymentDto(payment.Id, [.. ids], userId, payment.Amount, now, account.Balance);
        if (claim is not null)
        {
            claim.Complete(201, IdempotencyStore.Serialize(result));
            await db.SaveChangesAsync(ct);
        }

        return result;
    }
}
