namespace Concert.Domain.Concerts;

public sealed class ConcertSchedule
{
    private ConcertSchedule() { }

    public long Id { get; private set; }

    public long ConcertId { get; private set; }

    public DateTime StartsAt { get; private set; }

    public int TotalSeats { get; private set; }

    public List<Seat> Seats { get; private set; } = [];

    internal static ConcertSchedule Create(Concert concert, DateTime startsAt, IReadOnlyList<long> prices)
    {
        var schedule = new ConcertSchedule { ConcertId = concert.Id, StartsAt = startsAt, TotalSeats = prices.Count };
        for (var i = 0; i < prices.Count; i++)
        {
            schedule.Seats.Add(Seat.Create(schedule, i + 1, prices[i]));
        }

        return schedule;
    }
}
