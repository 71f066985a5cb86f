using Concert.Domain.Payments;
using Concert.Domain.Reservations;
using Concert.Domain.UnitTests.Common;

namespace Concert.Domain.UnitTests.Payments;

public sealed class PaymentTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void For_charges_the_reservations_price_to_its_user()
    {
        var seat = Domain.Concerts.Concert.Create("Title", "Artist", "Venue").AddSchedule(Now.AddDays(30), [121_000]).Seats[0];
        var reservation = Reservation.Hold(1, seat, 7, Now, TimeSpan.FromMinutes(5)).WithId(42);

        var payment = Payment.For(reservation, Now.AddMinutes(1));

        Assert.Equal(42, payment.ReservationId);
        Assert.Equal(7, payment.UserId);
        Assert.Equal(121_000, payment.Amount);
        Assert.Equal(Now.AddMinutes(1), payment.PaidAt);
    }
}
