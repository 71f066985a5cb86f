using Concert.Domain.Common;
using Concert.Domain.Concerts;
using Concert.Domain.Reservations;
using Concert.Domain.UnitTests.Common;

namespace Concert.Domain.UnitTests.Reservations;

public sealed class ReservationTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan HoldFor = TimeSpan.FromMinutes(5);
    private static readonly DateTime Until = Now + HoldFor;

    private static Seat NewSeat() =>
        Domain.Concerts.Concert.Create("Title", "Artist", "Venue")
            .AddSchedule(Now.AddDays(30), [165_000, 121_000, 77_000]).Seats[2]
            .WithId(17)
            .WithKey(nameof(Seat.ScheduleId), 4);

    private static Reservation NewHold() => Reservation.Hold(2, NewSeat(), 7, Now, HoldFor).WithId(5);

    [Fact]
    public void Hold_copies_the_seat_and_runs_for_the_hold_duration()
    {
        var reservation = Reservation.Hold(2, NewSeat(), 7, Now, HoldFor);

        Assert.Equal(7, reservation.UserId);
        Assert.Equal(2, reservation.ConcertId);
        Assert.Equal(4, reservation.ScheduleId);
        Assert.Equal(17, reservation.SeatId);
        Assert.Equal(3, reservation.SeatNumber);
        Assert.Equal(77_000, reservation.Price);
        Assert.Equal(ReservationStatus.Held, reservation.Status);
        Assert.Equal(Now + HoldFor, reservation.HeldUntil);
        Assert.Equal(Now, reservation.CreatedAt);
        Assert.Null(reservation.PaidAt);
    }

    [Fact]
    public void Hold_fails_when_seat_already_held()
    {
        var seat = NewSeat();
        seat.Hold(5, 8, Now, Until);

        var error = Assert.Throws<DomainException>(() => Reservation.Hold(2, seat, 7, Now.AddMinutes(1), HoldFor));

        Assert.Equal("seat_unavailable", error.Code);
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Equal(5, seat.ReservationId);
    }

    [Fact]
    public void Hold_fails_when_seat_sold()
    {
        var seat = NewSeat();
        seat.Hold(5, 8, Now, Until);
        seat.Sell(5, Now);

        var error = Assert.Throws<DomainException>(() => Reservation.Hold(2, seat, 7, Until.AddMinutes(1), HoldFor));

        Assert.Equal("seat_unavailable", error.Code);
        Assert.Equal(SeatStatus.Sold, seat.Status);
    }

    [Fact]
    public void Hold_may_take_a_seat_whose_hold_lapsed()
    {
        var seat = NewSeat();
        seat.Hold(5, 8, Now, Until);

        var reservation = Reservation.Hold(2, seat, 7, Until, HoldFor);

        Assert.Equal(ReservationStatus.Held, reservation.Status);
        Assert.Equal(Until + HoldFor, reservation.HeldUntil);
    }

    [Fact]
    public void StatusAt_a_hold_is_held_until_it_lapses_then_expired()
    {
        var reservation = NewHold();

        Assert.Equal(ReservationStatus.Held, reservation.StatusAt(Until - TimeSpan.FromTicks(1)));
        Assert.True(reservation.IsLiveHoldAt(Until - TimeSpan.FromTicks(1)));
        Assert.Equal(ReservationStatus.Expired, reservation.StatusAt(Until));
        Assert.False(reservation.IsLiveHoldAt(Until));
        Assert.Equal(ReservationStatus.Held, reservation.Status);
    }

    [Fact]
    public void Cancel_a_live_hold_cancels_it_and_says_so()
    {
        var reservation = NewHold();

        var cancelled = reservation.Cancel(Now.AddMinutes(1));

        Assert.True(cancelled);
        Assert.Equal(ReservationStatus.Cancelled, reservation.Status);
        Assert.Equal(ReservationStatus.Cancelled, reservation.StatusAt(Until.AddDays(1)));
        Assert.False(reservation.IsLiveHoldAt(Now.AddMinutes(1)));
        Assert.Null(reservation.PaidAt);
        Assert.Equal(1, reservation.Version);
    }

    [Fact]
    public void Cancel_a_cancelled_reservation_changes_nothing()
    {
        var reservation = NewHold();
        reservation.Cancel(Now);

        var cancelled = reservation.Cancel(Now.AddMinutes(1));

        Assert.False(cancelled);
        Assert.Equal(ReservationStatus.Cancelled, reservation.Status);
        Assert.Equal(1, reservation.Version);
    }

    [Fact]
    public void Cancel_a_lapsed_hold_changes_nothing()
    {
        var reservation = NewHold();

        var cancelled = reservation.Cancel(Until);

        Assert.False(cancelled);
        Assert.Equal(ReservationStatus.Held, reservation.Status);
        Assert.Equal(ReservationStatus.Expired, reservation.StatusAt(Until));
        Assert.Equal(0, reservation.Version);
    }

    [Fact]
    public void Cancel_a_paid_reservation_is_reservation_already_paid()
    {
        var reservation = NewHold();
        reservation.Confirm(Now.AddMinutes(1));

        var error = Assert.Throws<DomainException>(() => reservation.Cancel(Now.AddMinutes(2)));

        Assert.Equal("reservation_already_paid", error.Code);
        Assert.Equal(ReservationStatus.Confirmed, reservation.Status);
        Assert.Equal(Now.AddMinutes(1), reservation.PaidAt);
        Assert.Equal(1, reservation.Version);
    }

    [Fact]
    public void Confirm_a_live_hold_marks_it_paid_now()
    {
        var reservation = NewHold();
        var paidAt = Until - TimeSpan.FromTicks(1);

        reservation.Confirm(paidAt);

        Assert.Equal(ReservationStatus.Confirmed, reservation.Status);
        Assert.Equal(paidAt, reservation.PaidAt);
        // A paid reservation does not lapse with its former hold.
        Assert.Equal(ReservationStatus.Confirmed, reservation.StatusAt(Until.AddDays(1)));
        Assert.Equal(1, reservation.Version);
    }

    [Fact]
    public void Confirm_twice_is_reservation_already_paid_and_keeps_the_first_payment()
    {
        var reservation = NewHold();
        reservation.Confirm(Now.AddMinutes(1));

        var error = Assert.Throws<DomainException>(() => reservation.Confirm(Now.AddMinutes(2)));

        Assert.Equal("reservation_already_paid", error.Code);
        Assert.Equal(ReservationStatus.Confirmed, reservation.Status);
        Assert.Equal(Now.AddMinutes(1), reservation.PaidAt);
        Assert.Equal(1, reservation.Version);
    }

    [Fact]
    public void Confirm_a_lapsed_hold_is_reservation_expired()
    {
        var reservation = NewHold();

        var error = Assert.Throws<DomainException>(() => reservation.Confirm(Until));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(ReservationStatus.Held, reservation.Status);
        Assert.Null(reservation.PaidAt);
        Assert.Equal(0, reservation.Version);
    }

    [Fact]
    public void Confirm_a_cancelled_reservation_is_reservation_expired()
    {
        var reservation = NewHold();
        reservation.Cancel(Now);

        var error = Assert.Throws<DomainException>(() => reservation.Confirm(Now.AddMinutes(1)));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(ReservationStatus.Cancelled, reservation.Status);
        Assert.Null(reservation.PaidAt);
    }
}
