using Concert.Domain.Common;
using Concert.Domain.Concerts;

namespace Concert.Domain.UnitTests.Concerts;

public sealed class SeatTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Until = Now.AddMinutes(5);

    private static Seat NewSeat(long price = 77_000) =>
        Domain.Concerts.Concert.Create("Title", "Artist", "Venue").AddSchedule(Now.AddDays(30), [price]).Seats[0];

    [Fact]
    public void A_new_seat_is_available_and_held_by_nobody()
    {
        var seat = NewSeat(121_000);

        Assert.Equal(SeatStatus.Available, seat.Status);
        Assert.Equal(SeatStatus.Available, seat.StatusAt(Now));
        Assert.True(seat.IsAvailableAt(Now));
        Assert.Equal(121_000, seat.Price);
        Assert.Null(seat.HeldByUserId);
        Assert.Null(seat.HeldUntil);
        Assert.Null(seat.ReservationId);
    }

    [Fact]
    public void Hold_takes_an_available_seat_for_the_reservation()
    {
        var seat = NewSeat();

        seat.Hold(reservationId: 5, userId: 7, Now, Until);

        Assert.Equal(SeatStatus.Held, seat.Status);
        Assert.Equal(7, seat.HeldByUserId);
        Assert.Equal(Until, seat.HeldUntil);
        Assert.Equal(5, seat.ReservationId);
        Assert.Equal(1, seat.Version);
    }

    [Fact]
    public void StatusAt_a_held_seat_is_held_until_the_hold_lapses_then_available()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        Assert.Equal(SeatStatus.Held, seat.StatusAt(Until - TimeSpan.FromTicks(1)));
        Assert.False(seat.IsAvailableAt(Until - TimeSpan.FromTicks(1)));
        Assert.Equal(SeatStatus.Available, seat.StatusAt(Until));
        Assert.True(seat.IsAvailableAt(Until.AddHours(1)));
        Assert.Equal(SeatStatus.Held, seat.Status);
    }

    [Fact]
    public void Hold_takes_over_a_lapsed_hold()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        seat.Hold(6, 8, Until, Until.AddMinutes(5));

        Assert.Equal(SeatStatus.Held, seat.Status);
        Assert.Equal(8, seat.HeldByUserId);
        Assert.Equal(6, seat.ReservationId);
        Assert.Equal(Until.AddMinutes(5), seat.HeldUntil);
        Assert.Equal(2, seat.Version);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Hold_fails_when_seat_already_held_by_anyone(long userId)
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        var error = Assert.Throws<DomainException>(() => seat.Hold(6, userId, Now.AddMinutes(1), Until.AddMinutes(1)));

        Assert.Equal("seat_unavailable", error.Code);
        Assert.Equal(7, seat.HeldByUserId);
        Assert.Equal(5, seat.ReservationId);
        Assert.Equal(Until, seat.HeldUntil);
        Assert.Equal(1, seat.Version);
    }

    [Fact]
    public void Hold_fails_when_seat_sold_even_long_after()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        seat.Sell(5, Now.AddMinutes(1));

        var error = Assert.Throws<DomainException>(() => seat.Hold(6, 8, Until.AddDays(1), Until.AddDays(2)));

        Assert.Equal("seat_unavailable", error.Code);
        Assert.Equal(SeatStatus.Sold, seat.Status);
        Assert.Equal(5, seat.ReservationId);
        Assert.Equal(7, seat.HeldByUserId);
    }

    [Fact]
    public void Hold_refuses_a_hold_that_ends_now_or_before()
    {
        var seat = NewSeat();

        Assert.Throws<ArgumentOutOfRangeException>(() => seat.Hold(5, 7, Now, Now));

        Assert.Equal(SeatStatus.Available, seat.Status);
        Assert.Null(seat.ReservationId);
    }

    [Fact]
    public void Release_by_the_holding_reservation_frees_the_seat()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        seat.Release(5);

        Assert.Equal(SeatStatus.Available, seat.Status);
        Assert.True(seat.IsAvailableAt(Now));
        Assert.Null(seat.HeldByUserId);
        Assert.Null(seat.HeldUntil);
        Assert.Null(seat.ReservationId);
        Assert.Equal(2, seat.Version);
    }

    [Fact]
    public void Release_by_another_reservation_changes_nothing()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        // The hold lapsed and reservation 6 took the seat over; reservation 5's late cancel must not free it.
        seat.Hold(6, 8, Until, Until.AddMinutes(5));

        seat.Release(5);

        Assert.Equal(SeatStatus.Held, seat.Status);
        Assert.Equal(6, seat.ReservationId);
        Assert.Equal(8, seat.HeldByUserId);
        Assert.Equal(Until.AddMinutes(5), seat.HeldUntil);
        Assert.Equal(2, seat.Version);
    }

    [Fact]
    public void Release_of_a_sold_seat_changes_nothing()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        seat.Sell(5, Now);

        seat.Release(5);

        Assert.Equal(SeatStatus.Sold, seat.Status);
        Assert.Equal(5, seat.ReservationId);
        Assert.Equal(2, seat.Version);
    }

    [Fact]
    public void Sell_to_the_live_holding_reservation_sells_the_seat()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        seat.Sell(5, Until - TimeSpan.FromTicks(1));

        Assert.Equal(SeatStatus.Sold, seat.Status);
        Assert.Equal(SeatStatus.Sold, seat.StatusAt(Until.AddDays(1)));
        Assert.Equal(5, seat.ReservationId);
        Assert.Equal(7, seat.HeldByUserId);
        Assert.Null(seat.HeldUntil);
        Assert.Equal(2, seat.Version);
    }

    [Fact]
    public void Sell_after_the_hold_lapsed_is_reservation_expired()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);

        var error = Assert.Throws<DomainException>(() => seat.Sell(5, Until));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(SeatStatus.Held, seat.Status);
        Assert.Equal(Until, seat.HeldUntil);
        Assert.Equal(1, seat.Version);
    }

    [Fact]
    public void Sell_to_a_reservation_that_lost_the_seat_is_reservation_expired()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        seat.Hold(6, 8, Until, Until.AddMinutes(5));

        var error = Assert.Throws<DomainException>(() => seat.Sell(5, Until.AddMinutes(1)));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(SeatStatus.Held, seat.Status);
        Assert.Equal(6, seat.ReservationId);
    }

    [Fact]
    public void Sell_of_a_released_seat_is_reservation_expired()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        seat.Release(5);

        var error = Assert.Throws<DomainException>(() => seat.Sell(5, Now));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(SeatStatus.Available, seat.Status);
    }

    [Fact]
    public void Sell_of_a_sold_seat_again_is_refused()
    {
        var seat = NewSeat();
        seat.Hold(5, 7, Now, Until);
        seat.Sell(5, Now);

        var error = Assert.Throws<DomainException>(() => seat.Sell(5, Now));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(SeatStatus.Sold, seat.Status);
        Assert.Equal(2, seat.Version);
    }
}
