using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// The per-show ticket limit: at most MaxTicketsPerUserPerSchedule (default 4) seats of one schedule per user,
/// live holds and paid seats together; beyond it 409 ticket_limit_reached. A cancelled or lapsed hold no longer
/// counts, another schedule has a limit of its own, and when the hold limit is reached too, hold_limit_reached
/// answers. Each test has its own host (one moves the clock, one configures the limits).
/// </summary>
public sealed class TicketLimitTests
{
    [Fact]
    public async Task Paid_seats_and_live_holds_of_one_schedule_count_together_until_a_hold_is_cancelled()
    {
        await using var api = await TestApi.StartAsync();
        var (userId, token) = await api.Client.BuyerAsync(1_000_000);
        await api.Client.PayOkAsync(token, await api.Client.HoldIdAsync(token, 1));
        token = await api.Client.RejoinAsync(userId);
        var holds = new List<long>();
        foreach (var seat in new long[] { 2, 3, 4 })
        {
            holds.Add(await api.Client.HoldIdAsync(token, seat));
        }

        // Three live holds (under the hold limit of 4) and one paid seat: schedule 1 is full for this user.
        var refused = await (await api.Client.HoldAsync(token, 5)).AssertProblemAsync(409, "ticket_limit_reached");
        Assert.Contains("4", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, (await api.Client.ReservationsAsync(userId)).Count);
        Assert.Equal("available", await api.Client.SeatStatusAsync(5));
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(1), await api.Client.BalanceAsync(userId));

        // Another schedule of the same concert has a limit of its own.
        await api.Client.HoldIdAsync(token, 51);

        // A cancelled hold no longer counts.
        Assert.Equal(HttpStatusCode.NoContent, (await api.Client.CancelAsync(token, holds[0])).StatusCode);
        await api.Client.HoldIdAsync(token, 5);

        // Now both limits are reached (4 live holds; 4 seats of schedule 1): the hold limit answers.
        await (await api.Client.HoldAsync(token, 6)).AssertProblemAsync(409, "hold_limit_reached");

        var statuses = (await api.Client.ReservationsAsync(userId))
            .Select(r => (r.GetProperty("seatId").GetInt64(), r.GetProperty("status").GetString())).ToList();
        Assert.Equal(
            [(5L, "held"), (51L, "held"), (4L, "held"), (3L, "held"), (2L, "cancelled"), (1L, "confirmed")],
            statuses);
        Assert.Equal("available", await api.Client.SeatStatusAsync(6));
    }

    [Fact]
    public async Task A_lapsed_hold_no_longer_counts_but_a_paid_seat_still_does()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (userId, token) = await api.Client.BuyerAsync(1_000_000);
        await api.Client.PayOkAsync(token, await api.Client.HoldIdAsync(token, 101));
        token = await api.Client.RejoinAsync(userId);
        foreach (var seat in new long[] { 102, 103, 104 })
        {
            await api.Client.HoldIdAsync(token, seat);
        }

        await (await api.Client.HoldAsync(token, 105)).AssertProblemAsync(409, "ticket_limit_reached");

        // The three holds lapse at heldUntil, before any sweep writes it down: three seats free up, the paid one not.
        api.Clock.SetUtcNow(start + BookingCalls.HoldDuration);
        foreach (var seat in new long[] { 105, 106, 107 })
        {
            await api.Client.HoldIdAsync(token, seat);
        }

        await (await api.Client.HoldAsync(token, 108)).AssertProblemAsync(409, "ticket_limit_reached");
        Assert.Equal(
            ["held", "held", "held", "expired", "expired", "expired", "confirmed"],
            (await api.Client.ReservationsAsync(userId)).Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("available", await api.Client.SeatStatusAsync(108));
    }

    [Fact]
    public async Task Configured_limits_apply_and_the_hold_limit_answers_when_both_are_reached()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.Settings["Reservations:MaxHeldSeatsPerUser"] = "3";
            o.Settings["Reservations:MaxTicketsPerUserPerSchedule"] = "2";
        });
        var (userId, token) = await api.Client.ActiveUserAsync();
        await api.Client.HoldIdAsync(token, 151);
        await api.Client.HoldIdAsync(token, 152);

        var refused = await (await api.Client.HoldAsync(token, 153)).AssertProblemAsync(409, "ticket_limit_reached");
        Assert.Contains("2", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A third hold, in schedule 5, reaches the hold limit: from now on it answers, in either schedule.
        await api.Client.HoldIdAsync(token, 201);
        var both = await (await api.Client.HoldAsync(token, 153)).AssertProblemAsync(409, "hold_limit_reached");
        Assert.Contains("3", both.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await api.Client.HoldAsync(token, 202)).AssertProblemAsync(409, "hold_limit_reached");

        Assert.Equal([201L, 152L, 151L], (await api.Client.ReservationsAsync(userId)).Select(r => r.GetProperty("seatId").GetInt64()));
        Assert.Equal("available", await api.Client.SeatStatusAsync(153));
        Assert.Equal("available", await api.Client.SeatStatusAsync(202));
    }
}
