using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>GET /api/users/{id}/reservations: every reservation of the user, newest first, in its current status.</summary>
public sealed class UserReservationsTests
{
    [Fact]
    public async Task Reservations_are_listed_newest_first_as_held_confirmed_cancelled_or_expired()
    {
        await using var api = await TestApi.StartAsync();
        var start = api.AlignClock();
        var (userId, token) = await api.Client.BuyerAsync(500_000);
        var (strangerId, stranger) = await api.Client.ActiveUserAsync("Stranger");
        var lapsed = await api.Client.HoldIdAsync(token, 101);
        await api.Client.HoldIdAsync(stranger, 150);

        var later = start + BookingCalls.HoldDuration + TimeSpan.FromSeconds(30);
        api.Clock.SetUtcNow(later);
        var paid = await api.Client.HoldIdAsync(token, 102);
        var payment = await api.Client.PayOkAsync(token, paid);
        token = await api.Client.RejoinAsync(userId);
        var cancelled = await api.Client.HoldIdAsync(token, 113);
        Assert.Equal(HttpStatusCode.NoContent, (await api.Client.CancelAsync(token, cancelled)).StatusCode);
        var held = await api.Client.HoldIdAsync(token, 140);

        var reservations = await api.Client.ReservationsAsync(userId);

        Assert.Equal(
            [(held, "held", 140L), (cancelled, "cancelled", 113L), (paid, "confirmed", 102L), (lapsed, "expired", 101L)],
            reservations.Select(r => (r.GetProperty("id").GetInt64(), r.GetProperty("status").GetString(), r.GetProperty("seatId").GetInt64())));
        Assert.All(reservations, r =>
        {
            Assert.Equal(userId, r.GetProperty("userId").GetInt64());
            Assert.Equal(1, r.GetProperty("concertId").GetInt64());
            Assert.Equal(3, r.GetProperty("scheduleId").GetInt64());
            Assert.Equal(BookingCalls.NumberOfSeat(r.GetProperty("seatId").GetInt64()), r.GetProperty("seatNumber").GetInt32());
            Assert.Equal(BookingCalls.PriceOfSeat(r.GetProperty("seatId").GetInt64()), r.GetProperty("price").GetInt64());
            Assert.Equal(
                ["concertId", "createdAt", "heldUntil", "id", "paidAt", "price", "scheduleId", "seatId", "seatNumber", "status", "userId"],
                r.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        });
        var confirmed = reservations.Single(r => r.GetProperty("id").GetInt64() == paid);
        BookingCalls.AssertSameInstant(later, confirmed.GetProperty("paidAt"));
        Assert.Equal(payment.GetProperty("paidAt").GetString(), confirmed.GetProperty("paidAt").GetString());
        Assert.All(reservations.Where(r => r.GetProperty("id").GetInt64() != paid),
            r => Assert.Equal(JsonValueKind.Null, r.GetProperty("paidAt").ValueKind));
        var expired = reservations.Single(r => r.GetProperty("id").GetInt64() == lapsed);
        BookingCalls.AssertSameInstant(start, expired.GetProperty("createdAt"));
        BookingCalls.AssertSameInstant(start + BookingCalls.HoldDuration, expired.GetProperty("heldUntil"));
        Assert.Equal(strangerId, Assert.Single(await api.Client.ReservationsAsync(strangerId)).GetProperty("userId").GetInt64());

        await api.SweepAsync();
        Assert.Equal(
            ["held", "cancelled", "confirmed", "expired"],
            (await api.Client.ReservationsAsync(userId)).Select(r => r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task New_user_has_no_reservations_and_an_unknown_user_is_not_found()
    {
        await using var api = await TestApi.StartAsync();
        var userId = await api.Client.CreateUserAsync();

        Assert.Empty(await api.Client.ReservationsAsync(userId));
        await (await api.Client.GetAsync("/api/users/999999/reservations")).AssertProblemAsync(404, "user_not_found");
        await (await api.Client.GetAsync("/api/users/abc/reservations")).AssertProblemAsync(404, "user_not_found");
    }
}
