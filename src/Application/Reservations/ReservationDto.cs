using Concert.Domain.Reservations;

namespace Concert.Application.Reservations;

public sealed record ReservationDto(
    long Id,
    long UserId,
    long ConcertId,
    long ScheduleId,
    long SeatId,
    int SeatNumber,
    long Price,
    ReservationStatus Status,
    DateTime HeldUntil,
    DateTime CreatedAt,
    DateTime? PaidAt)
{
    /// <summary>The reservation as of <paramref name="now"/>: a lapsed hold reads as expired.</summary>
    public static ReservationDto From(Reservation reservation, DateTime now) =>
        new(reservation.Id, reservation.UserId, reservation.ConcertId, reservation.ScheduleId, reservation.SeatId,
            reservation.SeatNumber, reservation.Price, reservation.StatusAt(now), reservation.HeldUntil,
            reservation.CreatedAt, reservation.PaidAt);
}
