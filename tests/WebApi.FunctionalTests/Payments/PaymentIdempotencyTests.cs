using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// Idempotency-Key on payments, as Stripe defines it: a retry replays the stored success and never charges twice
/// (even on the token the payment expired), another request under the same key is 422, keys are per user, and a
/// failed attempt leaves nothing behind.
/// </summary>
public sealed class PaymentIdempotencyTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly SharedBookingApi _shared = shared;

    private HttpClient Client => _shared.Api.Client;

    [Fact]
    public async Task Retry_with_the_same_key_and_body_replays_the_payment_without_charging_again()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(1_000_000);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var first = await Client.PayAsync(token, reservationId, "order-7f3a");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal("expired", await Client.QueueStatusAsync(token));

        var replay = await Client.PayAsync(token, reservationId, "order-7f3a");
        var fresh = await Client.RejoinAsync(userId);
        var replayOnFreshToken = await Client.PayAsync(fresh, reservationId, "order-7f3a");

        foreach (var again in new[] { replay, replayOnFreshToken })
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal("application/json", again.Content.Headers.ContentType?.MediaType);
            Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
        }

        Assert.Equal(1_000_000 - price, await Client.BalanceAsync(userId));
        var history = await Client.HistoryAsync(userId);
        Assert.Single(history, e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal(2, history.Count);
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
        Assert.Equal("active", await Client.QueueStatusAsync(fresh));
    }

    [Fact]
    public async Task Same_key_with_another_body_is_refused_with_422_and_changes_nothing()
    {
        var paidSeat = _shared.NextSeatId();
        var otherSeat = _shared.NextSeatId();
        var (userId, token) = await Client.BuyerAsync(1_000_000);
        var paid = await Client.HoldIdAsync(token, paidSeat);
        var other = await Client.HoldIdAsync(token, otherSeat);
        await Client.PayOkAsync(token, paid, "order-1");
        var fresh = await Client.RejoinAsync(userId);
        var before = await Client.SnapshotAsync(userId, otherSeat);

        await (await Client.PayAsync(fresh, other, "order-1")).AssertProblemAsync(422, "idempotency_key_reused");
        await (await Client.PayAsync(token, other, "order-1")).AssertProblemAsync(422, "idempotency_key_reused");

        Assert.Equal(before, await Client.SnapshotAsync(userId, otherSeat));
        Assert.Equal("held", await Client.ReservationStatusAsync(userId, other));
        Assert.Equal("held", await Client.SeatStatusAsync(otherSeat));
        Assert.Equal("active", await Client.QueueStatusAsync(fresh));

        await Client.PayOkAsync(fresh, other, "order-2");
        Assert.Equal(
            1_000_000 - BookingCalls.PriceOfSeat(paidSeat) - BookingCalls.PriceOfSeat(otherSeat),
            await Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task Another_users_identical_key_is_unrelated()
    {
        var firstSeat = _shared.NextSeatId();
        var secondSeat = _shared.NextSeatId();
        var (firstId, first) = await Client.BuyerAsync(1_000_000, "First");
        var (secondId, second) = await Client.BuyerAsync(1_000_000, "Second");
        var firstReservation = await Client.HoldIdAsync(first, firstSeat);
        var secondReservation = await Client.HoldIdAsync(second, secondSeat);

        var firstPayment = await Client.PayOkAsync(first, firstReservation, "shared-key");
        var secondPayment = await Client.PayOkAsync(second, secondReservation, "shared-key");

        Assert.NotEqual(firstPayment.GetProperty("id").GetInt64(), secondPayment.GetProperty("id").GetInt64());
        Assert.Equal(secondId, secondPayment.GetProperty("userId").GetInt64());
        Assert.Equal([secondReservation], BookingCalls.ReservationIdsOf(secondPayment));
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(firstSeat), await Client.BalanceAsync(firstId));
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(secondSeat), await Client.BalanceAsync(secondId));
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(secondId, secondReservation));
        Assert.Equal("sold", await Client.SeatStatusAsync(secondSeat));

        var secondReplay = await Client.PayOkAsync(second, secondReservation, "shared-key");
        Assert.Equal(secondPayment.ToString(), secondReplay.ToString());
    }

    [Fact]
    public async Task Failed_attempt_is_not_stored_so_a_retry_after_a_top_up_pays()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(price - 1_000);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.PayAsync(token, reservationId, "retry-me")).AssertProblemAsync(409, "insufficient_balance");
        await (await Client.PayAsync(token, reservationId, "retry-me")).AssertProblemAsync(409, "insufficient_balance");
        Assert.Equal(before, await Client.SnapshotAsync(userId, seatId));
        Assert.Equal("active", await Client.QueueStatusAsync(token));

        await Client.ChargeAsync(userId, 1_000);
        var payment = await Client.PayOkAsync(token, reservationId, "retry-me");
        var replay = await Client.PayOkAsync(token, reservationId, "retry-me");

        Assert.Equal(payment.ToString(), replay.ToString());
        Assert.Equal(0, payment.GetProperty("balance").GetInt64());
        Assert.Equal(0, await Client.BalanceAsync(userId));
        Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
    }

    [Fact]
    public async Task Failed_attempt_under_a_key_does_not_block_the_key_for_another_reservation()
    {
        var expensiveSeat = _shared.NextSeatId();
        var (userId, token) = await Client.BuyerAsync(1);
        var expensive = await Client.HoldIdAsync(token, expensiveSeat);
        await (await Client.PayAsync(token, expensive, "k-1")).AssertProblemAsync(409, "insufficient_balance");
        await Client.ChargeAsync(userId, 999_999);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.CancelAsync(token, expensive)).StatusCode);
        var cheapSeat = _shared.NextSeatId();
        var cheap = await Client.HoldIdAsync(token, cheapSeat);

        var payment = await Client.PayOkAsync(token, cheap, "k-1");

        Assert.Equal([cheap], BookingCalls.ReservationIdsOf(payment));
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(cheapSeat), await Client.BalanceAsync(userId));
        Assert.Equal("cancelled", await Client.ReservationStatusAsync(userId, expensive));
        Assert.Equal("available", await Client.SeatStatusAsync(expensiveSeat));
    }
}
