using Concert.Domain.Concerts;

namespace Concert.Domain.UnitTests.Concerts;

public sealed class ConcertTests
{
    private static readonly DateTime StartsAt = new(2026, 12, 24, 19, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Create_keeps_title_artist_and_venue()
    {
        var concert = Domain.Concerts.Concert.Create("Winter Night", "IU", "KSPO Dome");

        Assert.Equal("Winter Night", concert.Title);
        Assert.Equal("IU", concert.Artist);
        Assert.Equal("KSPO Dome", concert.Venue);
        Assert.Empty(concert.Schedules);
    }

    [Fact]
    public void AddSchedule_numbers_the_seats_from_1_with_their_prices_all_available()
    {
        var concert = Domain.Concerts.Concert.Create("Winter Night", "IU", "KSPO Dome");
        long[] prices = [165_000, 165_000, 121_000, 77_000, 77_000];

        var schedule = concert.AddSchedule(StartsAt, prices);

        Assert.Same(schedule, Assert.Single(concert.Schedules));
        Assert.Equal(StartsAt, schedule.StartsAt);
        Assert.Equal(5, schedule.TotalSeats);
        Assert.Equal([1, 2, 3, 4, 5], schedule.Seats.Select(s => s.Number));
        Assert.Equal(prices, schedule.Seats.Select(s => s.Price));
        Assert.All(schedule.Seats, s =>
        {
            Assert.Equal(SeatStatus.Available, s.Status);
            Assert.Null(s.ReservationId);
            Assert.Null(s.HeldByUserId);
        });
    }

    [Fact]
    public void AddSchedule_twice_gives_each_schedule_its_own_seats()
    {
        var concert = Domain.Concerts.Concert.Create("Winter Night", "IU", "KSPO Dome");

        var first = concert.AddSchedule(StartsAt, [10, 20]);
        var second = concert.AddSchedule(StartsAt.AddDays(1), [30, 40, 50]);

        Assert.Equal([first, second], concert.Schedules);
        Assert.Equal(2, first.TotalSeats);
        Assert.Equal(3, second.TotalSeats);
        Assert.Equal([1, 2, 3], second.Seats.Select(s => s.Number));
        Assert.Equal([30L, 40L, 50L], second.Seats.Select(s => s.Price));
        Assert.Empty(first.Seats.Intersect(second.Seats));
    }
}
