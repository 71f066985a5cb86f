using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>A checkout in which one hold has lapsed pays none of them (a host of its own: the clock moves).</summary>
public sealed class CheckoutLapseTests
{
    [Fact]
    public async Task Checkout_with_one_lapsed_hold_pays_nothing_and_the_live_ones_stay_held()
    {
        await using var api = await TestApi.StartAsync();
        var client = api.Client;
        var seats = new long[] { 60, 61, 62 };
        var (userId, token) = await client.BuyerAsync(1_000_000);
        var early = await client.HoldIdAsync(token, seats[0]);
        api.Clock.Advance(TimeSpan.FromMinutes(2));
        var later = new[] { await client.HoldIdAsync(token, seats[1]), await client.HoldIdAsync(token, seats[2]) };
        api.Clock.Advance(BookingCalls.HoldDuration - TimeSpan.FromMinutes(2));

        var response = await client.PayAsync(token, [later[0], early, later[1]]);

        await response.AssertProblemAsync(409, "reservation_expired");
        Assert.Equal(1_000_000, await client.BalanceAsync(userId));
        Assert.DoesNotContain(await client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal("expired", await client.ReservationStatusAsync(userId, early));
        foreach (var id in later)
        {
            var reservation = await client.ReservationAsync(userId, id);
            Assert.Equal("held", reservation.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, reservation.GetProperty("paidAt").ValueKind);
        }

        var statuses = await client.SeatStatusesAsync(BookingCalls.ScheduleOfSeat(seats[0]));
        Assert.Equal(["available", "held", "held"], seats.Select(s => statuses[s]));
        Assert.Equal("active", await client.QueueStatusAsync(token));

        // The live ones alone still go through.
        var payment = await client.PayOkAsync(token, later);
        Assert.Equal(later, BookingCalls.ReservationIdsOf(payment));
        Assert.Equal(1_000_000 - seats[1..].Sum(BookingCalls.PriceOfSeat), await client.BalanceAsync(userId));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/users/{userId}/balance")).StatusCode);
    }
}
