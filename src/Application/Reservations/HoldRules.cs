using System.Linq.Expressions;
using Concert.Domain.Concerts;
using Concert.Domain.Reservations;

namespace Concert.Application.Reservations;

/// <summary>When a hold has lapsed, for queries and set-based updates: the database-side twins of
/// <see cref="Seat.StatusAt"/> and <see cref="Reservation.StatusAt"/>, written once so that the seat map, the
/// schedules' free-seat counts and the sweeper agree with the entities to the tick (a hold ends at its
/// <c>HeldUntil</c>, inclusive).</summary>
public static class HoldRules
{
    /// <summary>Seats held whose hold has ended by <paramref name="now"/>: available again, whatever the row still says.</summary>
    public static Expression<Func<Seat, bool>> SeatHoldLapsedAt(DateTime now) =>
        s => s.Status == SeatStatus.Held && s.HeldUntil <= now;

    /// <summary>Seats a hold could take at <paramref name="now"/>: the SQL twin of <see cref="Seat.IsAvailableAt"/>.</summary>
    public static Expression<Func<Seat, bool>> SeatAvailableAt(DateTime now) =>
        s => s.Status == SeatStatus.Available || (s.Status == SeatStatus.Held && s.HeldUntil <= now);

    /// <summary>Reservations held whose hold has ended by <paramref name="now"/>: expired, whatever the row still says.</summary>
    public static Expression<Func<Reservation, bool>> ReservationHoldLapsedAt(DateTime now) =>
        r => r.Status == ReservationStatus.Held && r.HeldUntil <= now;
}
