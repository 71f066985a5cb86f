using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Common;
using Concert.Domain.Reservations;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Application.Reservations.Commands.HoldSeat;

public sealed record HoldSeatCommand(long SeatId) : ICommand<ReservationDto>, IRequireActiveQueueToken, IMeasuredOutcome;

/// <summary>
/// Holds a seat. Two races, both decided by the database: the user's row is locked first, so the counts of that
/// user's live holds and of their held and paid seats in the schedule cannot be raced past either limit; the seat
/// row carries a concurrency token, so of any number of users who saw it free, exactly one commits the hold and
/// the rest get 409 seat_unavailable.
/// </summary>
public sealed class HoldSeatCommandHandler(
    IConcertDbContext db,
    QueueTokenContext caller,
    TimeProvider clock,
    IOptions<ReservationOptions> options,
    ILogger<HoldSeatCommandHandler> logger)
    : ICommandHandler<HoldSeatCommand, ReservationDto>
{
    public async ValueTask<ReservationDto> Handle(HoldSeatCommand command, CancellationToken cancellationToken)
    {
        var userId = caller.UserId;

        // In a rush almost every attempt is for a seat already gone: answer those from a plain read, without
        // taking a write lock. The transaction below re-checks, and the seat's concurrency token decides.
        var seen = await db.Seats.AsNoTracking().FirstOrDefaultAsync(s => s.Id == command.SeatId, cancellationToken)
                   ?? throw Errors.SeatNotFound();
        if (!seen.IsAvailableAt(clock.GetUtcNow().UtcDateTime))
        {
            throw Errors.SeatUnavailable();
        }

        try
        {
            var reservation = await db.InTransactionAsync(async ct =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                var seat = await db.Seats.FirstOrDefaultAsync(s => s.Id == command.SeatId, ct)
                           ?? throw Errors.SeatNotFound();
                if (!seat.IsAvailableAt(now))
                {
                    throw Errors.SeatUnavailable();
                }

                if (!await db.LockUserAsync(userId, ct))
                {
                    throw Errors.UserNotFound();
                }

                // Both limits from one read of the user's reservations that still count: live holds anywhere,
                // and paid seats of this seat's schedule. The user row is locked, so neither count can be raced.
                var scheduleId = seat.ScheduleId;
                var counts = await db.Reservations
                    .Where(r => r.UserId == userId
                                && ((r.Status == ReservationStatus.Held && r.HeldUntil > now)
                                    || (r.Status == ReservationStatus.Confirmed && r.ScheduleId == scheduleId)))
                    .GroupBy(r => r.UserId)
                    .Select(g => new
                    {
                        LiveHolds = g.Count(r => r.Status == ReservationStatus.Held),
                        InSchedule = g.Count(r => r.ScheduleId == scheduleId),
                    })
                    .SingleOrDefaultAsync(ct);

                // The contract's order: when both limits are reached, hold_limit_reached is the answer.
                var maxHeld = options.Value.MaxHeldSeatsPerUser;
                if ((counts?.LiveHolds ?? 0) >= maxHeld)
                {
                    throw Errors.HoldLimitReached(maxHeld);
                }

                var maxTickets = options.Value.MaxTicketsPerUserPerSchedule;
                if ((counts?.InSchedule ?? 0) >= maxTickets)
                {
                    throw Errors.TicketLimitReached(maxTickets);
                }

                var concertId = await db.Schedules.Where(s => s.Id == seat.ScheduleId).Select(s => s.ConcertId).SingleAsync(ct);
                var held = Reservation.Hold(concertId, seat, userId, now, options.Value.HoldDuration);
                db.Reservations.Add(held);
                await db.SaveChangesAsync(ct);
                seat.Hold(held.Id, userId, now, held.HeldUntil);
                await db.SaveChangesAsync(ct);
                return ReservationDto.From(held, now);
            }, cancellationToken);

            logger.LogInformation("User {UserId} holds seat {SeatId} as reservation {ReservationId}", userId, command.SeatId, reservation.Id);
            return reservation;
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone else changed the seat between our read and our write: they won it.
            throw Errors.SeatUnavailable();
        }
    }
}
