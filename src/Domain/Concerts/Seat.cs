using Concert.Domain.Common;

namespace Concert.Domain.Concerts;

/// <summary>
/// A seat of one schedule. A hold lapses by itself at <see cref="HeldUntil"/>: from then on the seat reads as
/// available and a new hold may take it over, with no worker involved.
/// </summary>
public sealed class Seat
{
    private Seat() { }

    public long Id { get; private set; }

    public long ScheduleId { get; private set; }

    public int Number { get; private set; }

    public long Price { get; private set; }

    public SeatStatus Status { get; private set; }

    public long? HeldByUserId { get; private set; }

    public DateTime? HeldUntil { get; private set; }

    /// <summary>The reservation that holds or bought the seat.</summary>
    public long? ReservationId { get; private set; }

    /// <summary>Concurrency token: of two writers who read the same version, only one commits.</summary>
    public long Version { get; private set; }

    internal static Seat Create(ConcertSchedule schedule, int number, long price) =>
        new() { ScheduleId = schedule.Id, Number = number, Price = price, Status = SeatStatus.Available };

    public SeatStatus StatusAt(DateTime now) => StatusOf(Status, HeldUntil, now);

    /// <summary>A seat's status at <paramref name="now"/> from its row's two columns: a hold that has ended (at its
    /// <c>HeldUntil</c>, inclusive) leaves the seat available, whatever the row still says.</summary>
    public static SeatStatus StatusOf(SeatStatus status, DateTime? heldUntil, DateTime now) =>
        status == SeatStatus.Held && heldUntil <= now ? SeatStatus.Available : status;

    public bool IsAvailableAt(DateTime now) => StatusAt(now) == SeatStatus.Available;

    public void Hold(long reservationId, long userId, DateTime now, DateTime heldUntil)
    {
        if (!IsAvailableAt(now))
        {
            throw Errors.SeatUnavailable();
        }

        if (heldUntil <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(heldUntil), "A hold ends in the future.");
        }

        Status = SeatStatus.Held;
        HeldByUserId = userId;
        HeldUntil = heldUntil;
        ReservationId = reservationId;
        Version++;
    }

    /// <summary>Frees the seat if <paramref name="reservationId"/> still holds it; otherwise changes nothing.</summary>
    public void Release(long reservationId)
    {
        if (Status != SeatStatus.Held || ReservationId != reservationId)
        {
            return;
        }

        Status = SeatStatus.Available;
        HeldByUserId = null;
        HeldUntil = null;
        ReservationId = null;
        Version++;
    }

    /// <summary>Sells the seat to the live hold <paramref name="reservationId"/>; a lapsed or lost hold cannot buy it.</summary>
    public void Sell(long reservationId, DateTime now)
    {
        if (Status != SeatStatus.Held || ReservationId != reservationId || HeldUntil <= now)
        {
            throw Errors.ReservationExpired();
        }

        Status = SeatStatus.Sold;
        HeldUntil = null;
        Version++;
    }
}
