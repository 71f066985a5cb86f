using Concert.Domain.Common;
using Concert.Domain.Payments;
using Concert.Domain.Reservations;
using Concert.Domain.UnitTests.Common;

namespace Concert.Domain.UnitTests.Payments;

public sealed class PaymentTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan HoldFor = TimeSpan.FromMinutes(5);

    /// <summary>Holds of user 7 on seats priced 165,000, 121,000 and 77,000, with ids 41, 42, 43.</summary>
    private static Reservation[] Holds(long userId = 7, DateTime? heldAt = null)
    {
        var seats = Domain.Concerts.Concert.Create("Title", "Artist", "Venue")
            .AddSchedule(Now.AddDays(30), [165_000, 121_000, 77_000]).Seats;
        return seats.Select((seat, i) => Reservation.Hold(1, seat, userId, heldAt ?? Now, HoldFor).WithId(41 + i)).ToArray();
    }

    [Fact]
    public void Checkout_confirms_every_hold_and_charges_their_total_in_the_order_given()
    {
        var holds = Holds();
        var at = Now.AddMinutes(1);

        var payment = Payment.Checkout(7, [holds[2], holds[0], holds[1]], at);

        Assert.Equal(7, payment.UserId);
        Assert.Equal(165_000 + 121_000 + 77_000, payment.Amount);
        Assert.Equal(at, payment.PaidAt);
        Assert.Equal([43L, 41L, 42L], payment.Items.Select(i => i.ReservationId));
        Assert.Equal([1, 2, 3], payment.Items.Select(i => i.Line));
        Assert.All(holds, r => Assert.Equal(ReservationStatus.Confirmed, r.StatusAt(at)));
        Assert.All(holds, r => Assert.Equal(at, r.PaidAt));
    }

    [Fact]
    public void Checkout_with_one_lapsed_hold_confirms_none()
    {
        var holds = Holds();
        holds[1] = Holds(heldAt: Now - HoldFor)[1].WithId(50);

        var error = Assert.Throws<DomainException>(() => Payment.Checkout(7, holds, Now.AddMinutes(1)));
        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(ReservationStatus.Held, holds[0].Status);
        Assert.Null(holds[0].PaidAt);
        Assert.Equal(ReservationStatus.Held, holds[2].Status);
    }

    [Fact]
    public void Checkout_with_a_paid_reservation_confirms_none_of_the_others()
    {
        var holds = Holds();
        Payment.Checkout(7, [holds[2]], Now);

        var error = Assert.Throws<DomainException>(() => Payment.Checkout(7, holds, Now.AddMinutes(1)));

        Assert.Equal("reservation_already_paid", error.Code);
        Assert.Equal(ReservationStatus.Held, holds[0].Status);
        Assert.Equal(ReservationStatus.Held, holds[1].Status);
    }

    [Fact]
    public void Checkout_of_a_cancelled_hold_is_refused_as_expired()
    {
        var holds = Holds();
        holds[0].Cancel(Now);

        var error = Assert.Throws<DomainException>(() => Payment.Checkout(7, holds, Now.AddMinutes(1)));

        Assert.Equal("reservation_expired", error.Code);
        Assert.Equal(ReservationStatus.Held, holds[1].Status);
    }

    [Fact]
    public void Checkout_of_someone_elses_reservation_is_not_found()
    {
        var mine = Holds();
        var theirs = Holds(userId: 8)[0].WithId(99);

        var error = Assert.Throws<DomainException>(() => Payment.Checkout(7, [mine[0], theirs], Now));

        Assert.Equal("reservation_not_found", error.Code);
        Assert.Equal(ReservationStatus.Held, mine[0].Status);
        Assert.Equal(ReservationStatus.Held, theirs.Status);
    }

    [Fact]
    public void Checkout_of_nothing_or_of_one_reservation_twice_is_invalid()
    {
        var holds = Holds();

        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => Payment.Checkout(7, [], Now)).Code);
        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => Payment.Checkout(7, [holds[0], holds[0]], Now)).Code);
        Assert.Equal(ReservationStatus.Held, holds[0].Status);
    }
}
