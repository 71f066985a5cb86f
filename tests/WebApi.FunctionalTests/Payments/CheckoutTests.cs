using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// One checkout pays several holds at once: one payment of the total, one history entry, every seat sold, the token
/// expired — or, when any of them cannot be paid, nothing at all.
/// </summary>
public sealed class CheckoutTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly SharedBookingApi _shared = shared;

    private TestApi Api => _shared.Api;

    private HttpClient Client => _shared.Api.Client;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Checkout_pays_every_hold_with_one_payment_of_the_total(int count)
    {
        var seats = Enumerable.Range(0, count).Select(_ => _shared.NextSeatId()).ToArray();
        var total = seats.Sum(BookingCalls.PriceOfSeat);
        var (userId, token) = await Client.BuyerAsync(1_000_000);
        var held = new long[count];
        for (var i = 0; i < count; i++)
        {
            held[i] = await Client.HoldIdAsync(token, seats[i]);
        }

        // Sent in another order than they were taken: the answer keeps the order sent.
        var ids = held.Reverse().ToArray();
        var now = Api.Clock.GetUtcNow();

        var response = await Client.PayAsync(token, ids);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await response.JsonAsync();
        var paymentId = payment.GetProperty("id").GetInt64();
        Assert.Equal($"/api/payments/{paymentId}", response.Headers.Location?.OriginalString);
        Assert.Equal(ids, BookingCalls.ReservationIdsOf(payment));
        Assert.Equal(userId, payment.GetProperty("userId").GetInt64());
        Assert.Equal(total, payment.GetProperty("amount").GetInt64());
        Assert.Equal(1_000_000 - total, payment.GetProperty("balance").GetInt64());
        BookingCalls.AssertSameInstant(now, payment.GetProperty("paidAt"));

        Assert.Equal(1_000_000 - total, await Client.BalanceAsync(userId));
        var history = await Client.HistoryAsync(userId);
        Assert.Equal(2, history.Count);
        var entry = history[0];
        Assert.Equal("payment", entry.GetProperty("kind").GetString());
        Assert.Equal(-total, entry.GetProperty("amount").GetInt64());
        Assert.Equal(1_000_000 - total, entry.GetProperty("balanceAfter").GetInt64());
        Assert.Equal(paymentId, entry.GetProperty("paymentId").GetInt64());
        foreach (var id in held)
        {
            var reservation = await Client.ReservationAsync(userId, id);
            Assert.Equal("confirmed", reservation.GetProperty("status").GetString());
            Assert.Equal(payment.GetProperty("paidAt").GetString(), reservation.GetProperty("paidAt").GetString());
        }

        foreach (var seatId in seats)
        {
            Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
        }

        Assert.Equal("expired", await Client.QueueStatusAsync(token));
    }

    [Fact]
    public async Task Checkout_with_an_unknown_reservation_pays_nothing()
    {
        var (userId, token, held, seats) = await HoldsAsync(2, 1_000_000);
        var before = await SnapshotAsync(userId, seats);

        await (await Client.PayAsync(token, [held[0], 999_999, held[1]])).AssertProblemAsync(404, "reservation_not_found");

        await AssertNothingPaidAsync(userId, token, held, seats, before);
    }

    [Fact]
    public async Task Checkout_with_someone_elses_reservation_pays_nothing_for_either()
    {
        var (userId, token, held, seats) = await HoldsAsync(2, 1_000_000);
        var (strangerId, stranger, strangers, strangerSeats) = await HoldsAsync(1, 1_000_000, "Stranger");
        var before = await SnapshotAsync(userId, seats);
        var strangerBefore = await SnapshotAsync(strangerId, strangerSeats);

        await (await Client.PayAsync(token, [held[0], strangers[0], held[1]])).AssertProblemAsync(404, "reservation_not_found");
        await (await Client.PayAsync(token, [held[0], strangers[0]], "with-a-strangers")).AssertProblemAsync(404, "reservation_not_found");

        await AssertNothingPaidAsync(userId, token, held, seats, before);
        await AssertNothingPaidAsync(strangerId, stranger, strangers, strangerSeats, strangerBefore);
    }

    [Fact]
    public async Task Checkout_with_a_cancelled_reservation_pays_nothing()
    {
        var (userId, token, held, seats) = await HoldsAsync(3, 1_000_000);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.CancelAsync(token, held[1])).StatusCode);
        var before = await SnapshotAsync(userId, seats);

        await (await Client.PayAsync(token, held)).AssertProblemAsync(409, "reservation_expired");

        Assert.Equal(before, await SnapshotAsync(userId, seats));
        Assert.Equal("cancelled", await Client.ReservationStatusAsync(userId, held[1]));
        Assert.Equal("available", await Client.SeatStatusAsync(seats[1]));
        await AssertNothingPaidAsync(userId, token, [held[0], held[2]], [seats[0], seats[2]], null);
    }

    [Fact]
    public async Task Checkout_with_an_already_paid_reservation_pays_nothing_more()
    {
        var (userId, token, held, seats) = await HoldsAsync(1, 1_000_000);
        await Client.PayOkAsync(token, held[0]);
        var fresh = await Client.RejoinAsync(userId);
        var another = _shared.NextSeatId();
        var second = await Client.HoldIdAsync(fresh, another);
        var before = await SnapshotAsync(userId, [seats[0], another]);

        await (await Client.PayAsync(fresh, [second, held[0]])).AssertProblemAsync(409, "reservation_already_paid");
        await (await Client.PayAsync(fresh, [second, held[0]], "again")).AssertProblemAsync(409, "reservation_already_paid");

        Assert.Equal(before, await SnapshotAsync(userId, [seats[0], another]));
        Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(seats[0]), await Client.BalanceAsync(userId));
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, held[0]));
        Assert.Equal("sold", await Client.SeatStatusAsync(seats[0]));
        await AssertNothingPaidAsync(userId, fresh, [second], [another], null, paymentsBefore: 1);
    }

    [Fact]
    public async Task Checkout_the_balance_cannot_cover_pays_nothing_until_a_top_up()
    {
        var seats = new[] { _shared.NextSeatId(), _shared.NextSeatId(), _shared.NextSeatId() };
        var total = seats.Sum(BookingCalls.PriceOfSeat);
        var (userId, token) = await Client.BuyerAsync(total - 1);
        var held = new long[seats.Length];
        for (var i = 0; i < seats.Length; i++)
        {
            held[i] = await Client.HoldIdAsync(token, seats[i]);
        }

        var before = await SnapshotAsync(userId, seats);

        await (await Client.PayAsync(token, held, "top-up-then-retry")).AssertProblemAsync(409, "insufficient_balance");

        await AssertNothingPaidAsync(userId, token, held, seats, before);
        Assert.Equal(total - 1, await Client.BalanceAsync(userId));

        await Client.ChargeAsync(userId, 1);
        var payment = await Client.PayOkAsync(token, held, "top-up-then-retry");
        Assert.Equal(total, payment.GetProperty("amount").GetInt64());
        Assert.Equal(0, payment.GetProperty("balance").GetInt64());
        Assert.Equal(0, await Client.BalanceAsync(userId));
        foreach (var seatId in seats)
        {
            Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
        }
    }

    [Fact]
    public async Task Replayed_checkout_answers_the_same_and_charges_once_and_the_key_refuses_other_ids()
    {
        var (userId, token, held, seats) = await HoldsAsync(3, 1_000_000);
        var total = seats.Sum(BookingCalls.PriceOfSeat);
        var first = await Client.PayAsync(token, held, "cart-42");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var body = await first.Content.ReadAsStringAsync();

        var replay = await Client.PayAsync(token, held, "cart-42");
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(body, await replay.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, replay.Headers.Location);

        // The same ids in another order, fewer of them, or others: another request.
        await (await Client.PayAsync(token, [held[2], held[1], held[0]], "cart-42")).AssertProblemAsync(422, "idempotency_key_reused");
        await (await Client.PayAsync(token, [held[0], held[1]], "cart-42")).AssertProblemAsync(422, "idempotency_key_reused");
        await (await Client.PayAsync(token, [held[0]], "cart-42")).AssertProblemAsync(422, "idempotency_key_reused");

        Assert.Equal(1_000_000 - total, await Client.BalanceAsync(userId));
        var entry = Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal(-total, entry.GetProperty("amount").GetInt64());
        Assert.Equal(JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64(), entry.GetProperty("paymentId").GetInt64());
        foreach (var id in held)
        {
            Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, id));
        }
    }

    [Theory]
    [InlineData("""{"reservationIds":[]}""")]
    [InlineData("""{"reservationIds":[A, A]}""")]
    [InlineData("""{"reservationIds":[A, B, A]}""")]
    [InlineData("""{"reservationIds":[A, B, 900001, 900002, 900003]}""")]
    [InlineData("""{"reservationIds":[A, 0]}""")]
    [InlineData("""{}""")]
    public async Task Checkout_refuses_an_empty_repeated_too_long_or_missing_list_by_its_field(string body)
    {
        var (userId, token, held, seats) = await HoldsAsync(2, 1_000_000);
        var before = await SnapshotAsync(userId, seats);
        body = body.Replace("A", held[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("B", held[1].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var problem = await (await Client.PostJsonTextAsync("/api/payments", token, body)).AssertProblemAsync(400, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("reservationIds", out _), problem.ToString());
        await AssertNothingPaidAsync(userId, token, held, seats, before);
    }

    /// <summary>A new active user with <paramref name="balance"/> who holds <paramref name="count"/> seats of their own.</summary>
    private async Task<(long UserId, string Token, long[] Held, long[] Seats)> HoldsAsync(int count, long balance, string name = "Buyer")
    {
        var seats = Enumerable.Range(0, count).Select(_ => _shared.NextSeatId()).ToArray();
        var (userId, token) = await Client.BuyerAsync(balance, name);
        var held = new long[count];
        for (var i = 0; i < count; i++)
        {
            held[i] = await Client.HoldIdAsync(token, seats[i]);
        }

        return (userId, token, held, seats);
    }

    private async Task<string> SnapshotAsync(long userId, long[] seats)
    {
        var parts = new List<string>();
        foreach (var seatId in seats)
        {
            parts.Add(await Client.SnapshotAsync(userId, seatId));
        }

        return string.Join("\n", parts);
    }

    /// <summary>Every hold still held and unpaid, every seat held, no (new) payment entry, the token still active.</summary>
    private async Task AssertNothingPaidAsync(
        long userId, string token, long[] held, long[] seats, string? before, int paymentsBefore = 0)
    {
        if (before is not null)
        {
            Assert.Equal(before, await SnapshotAsync(userId, seats));
        }

        foreach (var id in held)
        {
            var reservation = await Client.ReservationAsync(userId, id);
            Assert.Equal("held", reservation.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, reservation.GetProperty("paidAt").ValueKind);
        }

        foreach (var seatId in seats)
        {
            Assert.Equal("held", await Client.SeatStatusAsync(seatId));
        }

        Assert.Equal(paymentsBefore, (await Client.HistoryAsync(userId)).Count(e => e.GetProperty("kind").GetString() == "payment"));
        Assert.Equal("active", await Client.QueueStatusAsync(token));
    }
}
