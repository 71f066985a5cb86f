namespace Concert.Domain.Payments;

public sealed class Payment
{
    private Payment() { }

    public long Id { get; private set; }

    public long ReservationId { get; private set; }

    public long UserId { get; private set; }

    public long Amount { get; private set; }

    public DateTime PaidAt { get; private set; }

    public static Payment For(Reservations.Reservation reservation, DateTime now) =>
        new() { ReservationId = reservation.Id, UserId = reservation.UserId, Amount = reservation.Price, PaidAt = now };
}
