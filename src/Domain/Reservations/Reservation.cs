using Concert.Domain.Common;
using Concert.Domain.Concerts;

namespace Concert.Domain.Reservations;

public sealed class Reservation
{
    private Reservation() { }

    public long Id { get; private set; }

    public long UserId { get; private set; }

    public long ConcertId { get; private set; }

    public long ScheduleId { get; private set; }

    public long SeatId { get; private set; }

    public int SeatNumber { get; private set; }

    public long Price { get; private set; }

    public ReservationStatus Status { get; private set; }

    public DateTime HeldUntil { get; private set; }

    public DateTime CreatedAt { get; private set; }

    public DateTime? PaidAt { get; private set; }

    /// <summary>Concurrency token, and bumped to lock the row before a payment decides.</summary>
    public long Version { get; private set; }

    /// <summary>Starts a hold of <paramref name="seat"/>; the seat itself is taken by <see cref="Seat.Hold"/>.</summary>
    public static Reservation Hold(long concertId, Seat seat, long userId, DateTime now, TimeSpan holdFor)
    {
        if (!seat.IsAvailableAt(now))
        {
            throw Errors.SeatUnavailable();
        }

        return new Reservation
        {
            UserId = userId,
            ConcertId = concertId,
            ScheduleId = seat.ScheduleId,
            SeatId = seat.Id,
            SeatNumber = seat.Number,
            Price = seat.Price,
            Status = ReservationStatus.Held,
            HeldUntil = now + holdFor,
            CreatedAt = now,
        };
    }

    public ReservationStatus StatusAt(DateTime now) =>
        Status == ReservationStatus.Held && HeldUntil <= now ? ReservationStatus.Expired : Status;

    public bool IsLiveHoldAt(DateTime now) => StatusAt(now) == ReservationStatus.Held;

    /// <summary>Cancels a live hold. Cancelling a cancelled or lapsed one changes nothing; a paid one cannot be.</summary>
    /// <returns>Whether the hold was live and is now cancelled (so its seat must be released).</returns>
    public bool Cancel(DateTime now)
    {
        switch (StatusAt(now))
        {
            case ReservationStatus.Confirmed:
                throw Errors.ReservationAlreadyPaid();
            case ReservationStatus.Held:
                Status = ReservationStatus.Cancelled;
                Version++;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Refuses a reservation that cannot be paid at <paramref name="now"/>: paid already, lapsed or cancelled.</summary>
    public void EnsurePayableAt(DateTime now)
    {
        switch (StatusAt(now))
        {
            case ReservationStatus.Held:
                return;
            case ReservationStatus.Confirmed:
                throw Errors.ReservationAlreadyPaid();
            default:
                throw Errors.ReservationExpired();
        }
    }

    public void Confirm(DateTime now)
    {
        EnsurePayableAt(now);
        Status = ReservationStatus.Confirmed;
        PaidAt = now;
        Version++;
    }
}
