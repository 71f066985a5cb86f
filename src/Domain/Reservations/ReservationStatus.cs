namespace Concert.Domain.Reservations;

public enum ReservationStatus
{
    Held = 1,
    Confirmed = 2,
    Expired = 3,
    Cancelled = 4,
}
