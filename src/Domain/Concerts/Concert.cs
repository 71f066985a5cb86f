namespace Concert.Domain.Concerts;

public sealed class Concert
{
    private Concert() { }

    public long Id { get; private set; }

    public string Title { get; private set; } = "";

    public string Artist { get; private set; } = "";

    public string Venue { get; private set; } = "";

    public List<ConcertSchedule> Schedules { get; private set; } = [];

    public static Concert Create(string title, string artist, string venue) =>
        new() { Title = title, Artist = artist, Venue = venue };

    /// <summary>Adds a schedule with seats numbered 1..<paramref name="prices"/>.Count at the given prices.</summary>
    public ConcertSchedule AddSchedule(DateTime startsAt, IReadOnlyList<long> prices)
    {
        var schedule = ConcertSchedule.Create(this, startsAt, prices);
        Schedules.Add(schedule);
        return schedule;
    }
}
