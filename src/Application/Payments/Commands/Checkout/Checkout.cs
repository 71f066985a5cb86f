using Concert.Application.Common;
using Concert.Application.Common.Idempotency;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Telemetry;
using Concert.Application.Queue;
using Concert.Domain.Accounts;
using Concert.Domain.Common;
using Concert.Domain.Payments;
using Concert.Domain.Reservations;
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
/// One checkout, all or nothing, in one transaction: the queue token is spent (a conditional UPDATE, so of several
/// payments with one token exactly one gets past it), the reservations and the account are locked before they are
/// read (the provider's row lock); each seat's concurrency token makes a payment that races its own hold's lapse and
/// a stranger's new hold lose cleanly. With an <c>Idempotency-Key</c> the claim row is inserted first: a concurrent
/// request with the same key waits on its unique index and then replays. Where the database has one writer at a
/// time (SQLite) the rows are read before the transaction instead and written conditionally on their versions, in a
/// commit shared with the payments that arrive meanwhile (<see cref="TryPayReadingFirstAsync"/>).
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
    ConcertMetrics metrics,
    UnitCommits commits)
    : ICommandHandler<CheckoutCommand, PaymentDto>
{
    /// <summary>Attempts at <see cref="TryPayReadingFirstAsync"/> before the locked path decides.</summary>
    private const int ReadFirstAttempts = 2;

    public async ValueTask<PaymentDto> Handle(CheckoutCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.UserId;
        PaymentDto paid;
        try
        {
            paid = (db.OneWriterAtATime ? await TryPayReadingFirstAsync(command, userId, cancellationToken) : null)
                   ?? await db.InTransactionAsync(ct => PayAsync(command, userId, ct), cancellationToken);
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

        metrics.Expired("paid", 1);   // the caller's token, spent by the payment that committed
        logger.LogInformation("User {UserId} paid {Amount} for reservations {ReservationIds} (payment {PaymentId})",
            userId, paid.Amount, paid.ReservationIds, paid.Id);
        return paid;
    }

    /// <summary>
    /// SQLite has one writer: reads inside the transaction hold every other writer back, and they were most of a
    /// payment's time under the lock. So read first, outside it, then write every change conditionally on the versions
    /// read (these rows bump their version on every change): a row changed meanwhile fails the write and the payment
    /// reads again. The write shares its transaction and commit with the other payments of the moment, a savepoint each
    /// (<see cref="UnitCommits"/>): one fsync for them all, where SQLite's one lock was held for an fsync per payment.
    /// Only a success is committed here; a refusal, a hold that lapsed while waiting for the lock, or a second conflict
    /// returns null and <see cref="PayAsync"/> decides under the lock, as on every provider.
    /// </summary>
    private Task<PaymentDto?> TryPayReadingFirstAsync(CheckoutCommand command, long userId, CancellationToken cancellationToken) =>
        commits.ReadFirstAsync<PaymentDto>(db, ReadFirstAttempts, async ct =>
        {
            var ids = command.ReservationIds;
            var now = clock.GetUtcNow().UtcDateTime;
            var found = await db.Reservations.Where(r => ids.Contains(r.Id) && r.UserId == userId)
                .ToDictionaryAsync(r => r.Id, ct);
            if (found.Count != ids.Count)
            {
                return null;
            }

            var reservations = ids.Select(id => found[id]).ToList();
            var seatIds = reservations.Select(r => r.SeatId).ToArray();
            var seats = await db.Seats.Where(s => seatIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
            var account = await db.Accounts.SingleOrDefaultAsync(a => a.UserId == userId, ct);
            Payment payment;
            try
            {
                payment = Payment.Checkout(userId, reservations, now);
                foreach (var reservation in reservations)
                {
                    seats[reservation.SeatId].Sell(reservation.Id, now);
                }

                if (account is null)
                {
                    return null;
                }

                db.Payments.Add(payment);
                db.BalanceEntries.Add(account.Pay(payment.Amount, db.PendingKeyOf(payment), now));
            }
            catch (DomainException)
            {
                return null;   // a refusal, as these rows stood: the locked path decides it and says which
            }

            return writeCt => WriteAsync(command, userId, reservations, payment, account, now, writeCt);
        }, cancellationToken);

    /// <summary>The write of <see cref="TryPayReadingFirstAsync"/>, under the lock: nothing, when a hold lapsed while
    /// waiting for it (decided at the time read before); else one SaveChanges with the idempotency claim (a request
    /// with the same key that committed first fails it, or the versions, and replays), then the token's spend.</summary>
    private async Task<PaymentDto?> WriteAsync(
        CheckoutCommand command, long userId, IReadOnlyList<Reservation> reservations, Payment payment, Account account,
        DateTime now, CancellationToken ct)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        // The hold rule (Reservation.IsLiveHoldAt) restated on the time alone: Payment.Checkout has already confirmed
        // these reservations in memory, so their status no longer says Held and the entity's own check would refuse
        // every one of them.
        if (reservations.Any(r => r.HeldUntil <= at))
        {
            return null;
        }

        var claim = AddClaim(command, userId, now);
        await db.SaveChangesAsync(ct);
        await SpendTokenAsync(at, ct);
        return await AnsweredAsync(
            claim, new PaymentDto(payment.Id, [.. command.ReservationIds], userId, payment.Amount, now, account.Balance), ct);
    }

    /// <summary>With an <c>Idempotency-Key</c>, its claim row, added (a request with the same key that committed first
    /// fails its insert, and this one replays).</summary>
    private IdempotencyRecord? AddClaim(CheckoutCommand command, long userId, DateTime now)
    {
        if (command.IdempotencyKey is not { } key)
        {
            return null;
        }

        var claim = IdempotencyRecord.Claim(userId, key, IdempotencyStore.Hash(command.Fingerprint()), now);
        db.IdempotencyRecords.Add(claim);
        return claim;
    }

    /// <summary>The answer, stored with the claim (if any) in the same transaction, for the key's replays.</summary>
    private async Task<PaymentDto> AnsweredAsync(IdempotencyRecord? claim, PaymentDto result, CancellationToken ct)
    {
        if (claim is not null)
        {
            claim.Complete(201, IdempotencyStore.Serialize(result));
            await db.SaveChangesAsync(ct);
        }

        return result;
    }

    /// <summary>The token's state as the database has it now, not as the pipeline read it: of concurrent payments with
    /// one token the first to spend it wins; the others find it expired (and it comes back if we roll back).</summary>
    private async Task SpendTokenAsync(DateTime now, CancellationToken ct)
    {
        var spent = await db.QueueTokens.Where(t => t.Id == caller.Token.Id)
            .Where(QueueTokenUpdates.ActiveAt(now)).ExpireAsync(now, ct);
        if (spent == 0)
        {
            throw Errors.QueueTokenExpired();
        }
    }

    private async Task<PaymentDto> PayAsync(CheckoutCommand command, long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var claim = AddClaim(command, userId, now);
        if (claim is not null)
        {
            await db.SaveChangesAsync(ct);   // first: a request with the same key waits on its unique index, then replays
        }

        await SpendTokenAsync(now, ct);

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

        return await AnsweredAsync(claim, new PaymentDto(payment.Id, [.. ids], userId, payment.Amount, now, account.Balance), ct);
    }
}
