namespace Concert.Domain.Concerts;

public enum SeatStatus
{
    Available = 1,
    Held = 2,
    Sold = 3,
}
