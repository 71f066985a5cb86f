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

namespace Concert.Application.Payments.Commands.PayReservation;

public sealed record PayReservationCommand(long ReservationId, string? IdempotencyKey)
    : ICommand<PaymentDto>, IRequireActiveQueueToken, IIdempotentRequest, IMeasuredOutcome
{
    public string Fingerprint() => $"POST /api/payments reservationId={ReservationId}";
}

/// <summary>
/// Pays a held reservation from the balance: all or nothing, in one transaction. The reservation and the account
/// are locked (conditional version bumps) before they are read; the seat's concurrency token makes a payment that
/// races its own hold's lapse and a stranger's new hold lose cleanly. With an <c>Idempotency-Key</c> the claim row
/// is inserted first: a concurrent request with the same key waits on its unique index and then replays.
/// </summary>
public sealed class PayReservationCommandHandler(
    IConcertDbContext db,
    QueueTokenContext caller,
    IdempotencyStore idempotency,
    QueueService queue,
    TimeProvider clock,
    ILogger<PayReservationCommandHandler> logger,
    ConcertMetrics metrics)
    : ICommandHandler<PayReservationCommand, PaymentDto>
{
    public async ValueTask<PaymentDto> Handle(PayReservationCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.UserId;
        PaymentDto paid;
        try
        {
            paid = await db.InTransactionAsync(ct => PayAsync(command, userId, ct), cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The seat changed under us: the hold lapsed and someone else took the seat.
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

        logger.LogInformation("User {UserId} paid {Amount} for reservation {ReservationId} (payment {PaymentId})",
            userId, paid.Amount, paid.ReservationId, paid.Id);
        await queue.AdmitAsync(cancellationToken);
        return paid;
    }

    private async Task<PaymentDto> PayAsync(PayReservationCommand command, long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        IdempotencyRecord? claim = null;
        if (command.IdempotencyKey is { } key)
        {
            claim = IdempotencyRecord.Claim(userId, key, IdempotencyStore.Hash(command.Fingerprint()), now);
            db.IdempotencyRecords.Add(claim);
            await db.SaveChangesAsync(ct);
        }

        var reservation = await db.LockReservationAsync(command.ReservationId, userId, ct)
                          ?? throw Errors.ReservationNotFound();
        reservation.Confirm(now);
        var seat = await db.Seats.SingleAsync(s => s.Id == reservation.SeatId, ct);
        seat.Sell(reservation.Id, now);
        var account = await db.LockAccountAsync(userId, ct) ?? throw Errors.UserNotFound();
        var payment = Payment.For(reservation, now);
        db.Payments.Add(payment);
        await db.SaveChangesAsync(ct);

        // The account refuses a debit it cannot cover; the rollback then undoes the payment row above too.
        db.BalanceEntries.Add(account.Pay(reservation.Price, payment.Id, now));
        metrics.Expired("paid", await db.QueueTokens.Where(t => t.Id == caller.Token.Id).ExpireAsync(now, ct));

        var result = new PaymentDto(payment.Id, reservation.Id, userId, payment.Amount, now, account.Balance);
        claim?.Complete(201, IdempotencyStore.Serialize(result));
        await db.SaveChangesAsync(ct);
        return result;
    }
}
