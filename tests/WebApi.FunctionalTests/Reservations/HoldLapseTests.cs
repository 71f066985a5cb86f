using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// A hold lapses by itself at heldUntil, under the fake clock: from then on the seat is free for anyone, the
/// reservation reads expired and can no longer be paid — with or without a sweep writing it down. Each test moves
/// the clock, so each has its own host.
/// </summary>
public sealed class HoldLapseTests
{
    [Fact]
    public async Task Lapsed_hold_reads_expired_frees_the_seat_for_another_user_and_cannot_be_paid()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (firstId, first) = await api.Client.BuyerAsync(500_000, "First");
        var (secondId, second) = await api.Client.ActiveUserAsync("Second");
        var lapsed = await api.Client.HoldIdAsync(first, 10);

        api.Clock.SetUtcNow(start + BookingCalls.HoldDuration + TimeSpan.FromSeconds(1));

        Assert.Equal("expired", await api.Client.ReservationStatusAsync(firstId, lapsed));
        Assert.Equal("available", await api.Client.SeatStatusAsync(10));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(1));

        var taken = await api.Client.HoldOkAsync(second, 10);
        Assert.Equal("held", taken.GetProperty("status").GetString());
        var firstBefore = await api.Client.SnapshotAsync(firstId, 10);

        await (await api.Client.PayAsync(first, lapsed)).AssertProblemAsync(409, "reservation_expired");

        Assert.Equal(firstBefore, await api.Client.SnapshotAsync(firstId, 10));
        Assert.Equal(500_000, await api.Client.BalanceAsync(firstId));
        Assert.Equal("active", await api.Client.QueueStatusAsync(first));
        Assert.Equal("held", await api.Client.ReservationStatusAsync(secondId, taken.GetProperty("id").GetInt64()));
        Assert.Equal("held", await api.Client.SeatStatusAsync(10));

        // A sweep writes the lapse down without touching the new holder's hold.
        await api.SweepAsync();
        Assert.Equal("expired", await api.Client.ReservationStatusAsync(firstId, lapsed));
        Assert.Equal("held", await api.Client.ReservationStatusAsync(secondId, taken.GetProperty("id").GetInt64()));
        Assert.Equal("held", await api.Client.SeatStatusAsync(10));
        await (await api.Client.PayAsync(first, lapsed)).AssertProblemAsync(409, "reservation_expired");
        Assert.Equal(HttpStatusCode.NoContent, (await api.Client.CancelAsync(first, lapsed)).StatusCode);
        Assert.Equal("held", await api.Client.SeatStatusAsync(10));
        Assert.Equal("expired", await api.Client.ReservationStatusAsync(firstId, lapsed));
    }

    [Fact]
    public async Task Hold_lapses_exactly_at_heldUntil()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (userId, token) = await api.Client.BuyerAsync(500_000);
        var hold = await api.Client.HoldOkAsync(token, 20);
        var held = hold.GetProperty("id").GetInt64();
        var heldUntil = start + BookingCalls.HoldDuration;
        BookingCalls.AssertSameInstant(heldUntil, hold.GetProperty("heldUntil"));

        api.Clock.SetUtcNow(heldUntil.AddTicks(-10));
        Assert.Equal("held", await api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("held", await api.Client.SeatStatusAsync(20));

        api.Clock.SetUtcNow(heldUntil);
        Assert.Equal("expired", await api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("available", await api.Client.SeatStatusAsync(20));
        await (await api.Client.PayAsync(token, held)).AssertProblemAsync(409, "reservation_expired");
        Assert.Equal(500_000, await api.Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task Sweep_writes_the_lapse_down_and_the_seat_can_be_held_again()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (firstId, first) = await api.Client.ActiveUserAsync("First");
        var lapsed = await api.Client.HoldIdAsync(first, 75);

        api.Clock.SetUtcNow(start + BookingCalls.HoldDuration + TimeSpan.FromMinutes(1));
        await api.SweepAsync();

        Assert.Equal("expired", await api.Client.ReservationStatusAsync(firstId, lapsed));
        Assert.Equal("available", await api.Client.SeatStatusAsync(75));
        Assert.Equal(50, await api.Client.AvailableSeatsAsync(2));
        var (_, second) = await api.Client.ActiveUserAsync("Second");
        await api.Client.HoldIdAsync(second, 75);
        Assert.Equal("held", await api.Client.SeatStatusAsync(75));
        Assert.Equal(49, await api.Client.AvailableSeatsAsync(2));
    }

    [Fact]
    public async Task Lapsed_holds_do_not_count_toward_the_hold_limit()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (userId, token) = await api.Client.ActiveUserAsync();
        foreach (var seat in new long[] { 41, 42, 43, 44 })
        {
            await api.Client.HoldIdAsync(token, seat);
        }

        await (await api.Client.HoldAsync(token, 45)).AssertProblemAsync(409, "hold_limit_reached");

        api.Clock.SetUtcNow(start + BookingCalls.HoldDuration);
        foreach (var seat in new long[] { 45, 46, 47, 48 })
        {
            await api.Client.HoldIdAsync(token, seat);
        }

        await (await api.Client.HoldAsync(token, 49)).AssertProblemAsync(409, "hold_limit_reached");
        var reservations = await api.Client.ReservationsAsync(userId);
        Assert.Equal(
            ["held", "held", "held", "held", "expired", "expired", "expired", "expired"],
            reservations.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("available", await api.Client.SeatStatusAsync(49));
    }

    [Fact]
    public async Task Hold_after_the_token_window_needs_a_fresh_token()
    {
        await using var api = await TestApi.StartAsync();
        var (userId, token) = await api.Client.ActiveUserAsync();
        api.Clock.Advance(TimeSpan.FromMinutes(11));

        await (await api.Client.HoldAsync(token, 30)).AssertProblemAsync(403, "queue_token_expired");
        Assert.Empty(await api.Client.ReservationsAsync(userId));

        var fresh = await api.Client.RejoinAsync(userId);
        Assert.NotEqual(token, fresh);
        await api.Client.HoldIdAsync(fresh, 30);
        Assert.Equal("held", await api.Client.SeatStatusAsync(30));
    }
}
