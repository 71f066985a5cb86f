using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Concerts;

/// <summary>
/// What the seat map and the schedules' availableSeats say after holds, sales, cancellations and lapses: exactly
/// the seats touched change, and only in the schedule they belong to.
/// </summary>
public sealed class SeatAvailabilityTests
{
    [Fact]
    public async Task Held_and_sold_seats_read_as_such_and_are_not_counted_available()
    {
        await using var api = await TestApi.StartAsync();
        var (_, token) = await api.Client.BuyerAsync(1_000_000);
        var sold = await api.Client.HoldIdAsync(token, 3);
        await api.Client.HoldIdAsync(token, 4);
        await api.Client.PayOkAsync(token, sold);

        var statuses = await api.Client.SeatStatusesAsync(1);

        Assert.Equal("sold", statuses[3]);
        Assert.Equal("held", statuses[4]);
        Assert.All(statuses.Where(s => s.Key is not (3 or 4)), s => Assert.Equal("available", s.Value));
        Assert.Equal(48, await api.Client.AvailableSeatsAsync(1));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(2));
        Assert.All((await api.Client.SeatStatusesAsync(2)).Values, s => Assert.Equal("available", s));
    }

    [Fact]
    public async Task Cancelled_hold_gives_the_seat_back()
    {
        await using var api = await TestApi.StartAsync();
        var (_, token) = await api.Client.ActiveUserAsync();
        var held = await api.Client.HoldIdAsync(token, 60);
        Assert.Equal("held", await api.Client.SeatStatusAsync(60));
        Assert.Equal(49, await api.Client.AvailableSeatsAsync(2));

        Assert.Equal(HttpStatusCode.NoContent, (await api.Client.CancelAsync(token, held)).StatusCode);

        Assert.All((await api.Client.SeatStatusesAsync(2)).Values, s => Assert.Equal("available", s));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(2));
    }

    [Fact]
    public async Task Lapsed_hold_reads_available_at_its_heldUntil_before_and_after_a_sweep()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (_, token) = await api.Client.ActiveUserAsync();
        var hold = await api.Client.HoldOkAsync(token, 7);
        var heldUntil = start + BookingCalls.HoldDuration;
        BookingCalls.AssertSameInstant(heldUntil, hold.GetProperty("heldUntil"));

        api.Clock.SetUtcNow(heldUntil.AddTicks(-10));
        Assert.Equal("held", await api.Client.SeatStatusAsync(7));
        Assert.Equal(49, await api.Client.AvailableSeatsAsync(1));

        api.Clock.SetUtcNow(heldUntil);
        Assert.All((await api.Client.SeatStatusesAsync(1)).Values, s => Assert.Equal("available", s));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(1));

        await api.SweepAsync();
        Assert.All((await api.Client.SeatStatusesAsync(1)).Values, s => Assert.Equal("available", s));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(1));
    }
}
