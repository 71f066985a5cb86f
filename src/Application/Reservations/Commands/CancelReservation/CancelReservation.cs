using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Domain.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Reservations.Commands.CancelReservation;

public sealed record CancelReservationCommand(long ReservationId) : ICommand, IRequireActiveQueueToken;

/// <summary>Cancels a live hold and frees its seat in one transaction; a cancelled or lapsed one is left as is.</summary>
public sealed class CancelReservationCommandHandler(IConcertDbContext db, QueueTokenContext caller, TimeProvider clock)
    : ICommandHandler<CancelReservationCommand>
{
    public async ValueTask<Unit> Handle(CancelReservationCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await CancelAsync(command, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The seat changed under us: the hold lapsed at this very moment and someone else took the seat.
            // Cancelling a lapsed hold answers 204 and changes nothing, which the rollback just ensured.
        }

        return Unit.Value;
    }

    private Task<bool> CancelAsync(CancelReservationCommand command, CancellationToken cancellationToken) =>
        db.InTransactionAsync(async ct =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var reservation = await db.LockReservationAsync(command.ReservationId, caller.UserId, ct)
                              ?? throw Errors.ReservationNotFound();
            if (reservation.Cancel(now))
            {
                var seat = await db.Seats.SingleAsync(s => s.Id == reservation.SeatId, ct);
                seat.Release(reservation.Id);
                await db.SaveChangesAsync(ct);
            }

            return true;
        }, cancellationToken);
}
