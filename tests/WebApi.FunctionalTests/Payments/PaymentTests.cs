using System.Globalization;
using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// POST /api/payments: a payment confirms, sells, debits, writes history and expires the token, all at once; every
/// refusal leaves the balance, the history, the reservation and the seat exactly as they were.
/// </summary>
public sealed class PaymentTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly SharedBookingApi _shared = shared;

    private TestApi Api => _shared.Api;

    private HttpClient Client => _shared.Api.Client;

    [Fact]
    public async Task Payment_confirms_the_reservation_sells_the_seat_debits_the_balance_and_expires_the_token()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(300_000);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var now = Api.Clock.GetUtcNow();

        var response = await Client.PayAsync(token, reservationId);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await response.JsonAsync();
        Assert.Equal(
            ["amount", "balance", "id", "paidAt", "reservationIds", "userId"],
            payment.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var paymentId = payment.GetProperty("id").GetInt64();
        Assert.True(paymentId > 0);
        Assert.Equal([reservationId], BookingCalls.ReservationIdsOf(payment));
        Assert.Equal(userId, payment.GetProperty("userId").GetInt64());
        Assert.Equal(price, payment.GetProperty("amount").GetInt64());
        Assert.Equal(300_000 - price, payment.GetProperty("balance").GetInt64());
        BookingCalls.AssertSameInstant(now, payment.GetProperty("paidAt"));

        Assert.Equal(300_000 - price, await Client.BalanceAsync(userId));
        var history = await Client.HistoryAsync(userId);
        Assert.Equal(2, history.Count);
        var entry = history[0];
        Assert.Equal("payment", entry.GetProperty("kind").GetString());
        Assert.Equal(-price, entry.GetProperty("amount").GetInt64());
        Assert.Equal(300_000 - price, entry.GetProperty("balanceAfter").GetInt64());
        Assert.Equal(paymentId, entry.GetProperty("paymentId").GetInt64());
        BookingCalls.AssertSameInstant(now, entry.GetProperty("createdAt"));
        Assert.Equal("charge", history[1].GetProperty("kind").GetString());
        Assert.Equal(300_000 - price, history.Sum(e => e.GetProperty("amount").GetInt64()));

        var reservation = await Client.ReservationAsync(userId, reservationId);
        Assert.Equal("confirmed", reservation.GetProperty("status").GetString());
        Assert.Equal(payment.GetProperty("paidAt").GetString(), reservation.GetProperty("paidAt").GetString());
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));

        Assert.Equal("expired", await Client.QueueStatusAsync(token));
        await (await Client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules", token))
            .AssertProblemAsync(403, "queue_token_expired");
        await (await Client.SendWithTokenAsync(HttpMethod.Get, BookingCalls.SeatsUrl(1), token))
            .AssertProblemAsync(403, "queue_token_expired");
        await (await Client.HoldAsync(token, _shared.NextSeatId())).AssertProblemAsync(403, "queue_token_expired");

        var again = await Client.RejoinAsync(userId);
        Assert.NotEqual(token, again);
        await Client.GetOkAsync("/api/concerts/1/schedules", again);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"reservationId":RESERVATION}""")]
    [InlineData("""{"reservationIds":[]}""")]
    [InlineData("""{"reservationIds":[0]}""")]
    [InlineData("""{"reservationIds":[-4]}""")]
    [InlineData("""{"reservationIds":["RESERVATION"]}""")]
    [InlineData("""{"reservationIds":[RESERVATION.5]}""")]
    [InlineData("""{"reservationIds":[RESERVATION, null]}""")]
    [InlineData("""{"reservationIds":null}""")]
    [InlineData("""{"reservationIds":RESERVATION}""")]
    [InlineData("""{"reservationIds":"RESERVATION"}""")]
    [InlineData("""{"reservationIds":[RESERVATION, RESERVATION]}""")]
    [InlineData("""{"reservationIds":[RESERVATION, 1e3]}""")]
    [InlineData("""{"reservationIds":[RESERVATION, 99999999999999999999]}""")]
    [InlineData("""{"reservationIds":{"0":RESERVATION}}""")]
    [InlineData("null")]
    [InlineData("[1]")]
    [InlineData("")]
    [InlineData("{")]
    public async Task Payment_refuses_a_malformed_body_and_changes_nothing(string body)
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        body = body.Replace("RESERVATION", reservationId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var before = await Client.SnapshotAsync(userId, seatId);

        var response = await Client.PostJsonTextAsync("/api/payments", token, body);

        await response.AssertProblemAsync(400, "validation_failed");
        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("tab\tinside")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123+")]
    public async Task Payment_refuses_an_invalid_Idempotency_Key_and_changes_nothing(string key)
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        var before = await Client.SnapshotAsync(userId, seatId);

        var response = await Client.PostJsonTextAsync("/api/payments", token, $$"""{"reservationIds":[{{reservationId}}]}""", key);

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("idempotencyKey", out _), problem.ToString());
        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);
    }

    [Theory]
    [InlineData("ключ")]
    [InlineData("clé")]
    public async Task Payment_refuses_a_non_ASCII_Idempotency_Key_and_changes_nothing(string key)
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        var before = await Client.SnapshotAsync(userId, seatId);
        using var utf8Client = new HttpClient(new SignedInHandler(Api.Database.Sessions)
        {
            InnerHandler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8 },
        })
        {
            BaseAddress = Client.BaseAddress,
        };

        var response = await utf8Client.PostJsonTextAsync("/api/payments", token, $$"""{"reservationIds":[{{reservationId}}]}""", key);

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("idempotencyKey", out _), problem.ToString());
        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);
    }

    [Fact]
    public async Task Payment_accepts_a_key_of_64_printable_characters()
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        var key = "!~" + new string('k', 60) + "#}";
        Assert.Equal(64, key.Length);

        var payment = await Client.PayOkAsync(token, reservationId, key);

        Assert.Equal([reservationId], BookingCalls.ReservationIdsOf(payment));
        Assert.Equal(500_000 - BookingCalls.PriceOfSeat(seatId), await Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task Payment_refuses_a_missing_unknown_or_expired_token_and_changes_nothing()
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        var (_, leaver) = await Client.ActiveUserAsync("Leaver");
        Assert.Equal(HttpStatusCode.NoContent, (await Client.LeaveQueueAsync(leaver)).StatusCode);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.SendWithTokenAsync(HttpMethod.Post, "/api/payments", null, new { reservationIds = new[] { reservationId } }))
            .AssertProblemAsync(401, "queue_token_missing");
        await (await Client.PayAsync("no-such-token", reservationId)).AssertProblemAsync(401, "queue_token_invalid");
        await (await Client.PayAsync(leaver, reservationId)).AssertProblemAsync(403, "queue_token_expired");
        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.LeaveQueueAsync(token)).StatusCode);
        await (await Client.PayAsync(token, reservationId)).AssertProblemAsync(403, "queue_token_expired");
        await (await Client.PayAsync(token, reservationId, "expired-token-key")).AssertProblemAsync(403, "queue_token_expired");
        Assert.Equal(before, await Client.SnapshotAsync(userId, seatId));
    }

    [Theory]
    [InlineData(999_999L)]
    [InlineData(9_007_199_254_740_991L)]
    public async Task Payment_of_an_unknown_reservation_is_not_found(long unknownId)
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.PayAsync(token, unknownId)).AssertProblemAsync(404, "reservation_not_found");

        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);
    }

    [Fact]
    public async Task Payment_of_someone_elses_reservation_is_not_found_and_changes_nothing_for_either()
    {
        var (ownerId, ownerToken, reservationId, seatId) = await HeldReservationAsync(500_000);
        var (strangerId, stranger) = await Client.BuyerAsync(500_000, "Stranger");
        var ownerBefore = await Client.SnapshotAsync(ownerId, seatId);
        var strangerBefore = await Client.SnapshotAsync(strangerId, seatId);

        await (await Client.PayAsync(stranger, reservationId)).AssertProblemAsync(404, "reservation_not_found");
        await (await Client.PayAsync(stranger, reservationId, "strangers-key")).AssertProblemAsync(404, "reservation_not_found");

        await AssertUntouchedAsync(ownerId, ownerToken, reservationId, seatId, ownerBefore);
        Assert.Equal(strangerBefore, await Client.SnapshotAsync(strangerId, seatId));
        Assert.Equal("active", await Client.QueueStatusAsync(stranger));
    }

    [Fact]
    public async Task Payment_of_a_cancelled_reservation_is_refused_as_expired()
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.CancelAsync(token, reservationId)).StatusCode);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.PayAsync(token, reservationId)).AssertProblemAsync(409, "reservation_expired");

        Assert.Equal(before, await Client.SnapshotAsync(userId, seatId));
        Assert.Equal("cancelled", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("available", await Client.SeatStatusAsync(seatId));
        Assert.Equal("active", await Client.QueueStatusAsync(token));
    }

    [Fact]
    public async Task Second_payment_of_a_paid_reservation_is_refused_and_charges_nothing()
    {
        var (userId, token, reservationId, seatId) = await HeldReservationAsync(500_000);
        await Client.PayOkAsync(token, reservationId);
        var fresh = await Client.RejoinAsync(userId);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.PayAsync(fresh, reservationId)).AssertProblemAsync(409, "reservation_already_paid");
        await (await Client.PayAsync(fresh, reservationId, "second-try")).AssertProblemAsync(409, "reservation_already_paid");

        Assert.Equal(before, await Client.SnapshotAsync(userId, seatId));
        Assert.Equal(500_000 - BookingCalls.PriceOfSeat(seatId), await Client.BalanceAsync(userId));
        Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
        Assert.Equal("active", await Client.QueueStatusAsync(fresh));
    }

    [Fact]
    public async Task Payment_without_enough_balance_is_refused_until_a_top_up()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(price - 1);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var before = await Client.SnapshotAsync(userId, seatId);

        await (await Client.PayAsync(token, reservationId)).AssertProblemAsync(409, "insufficient_balance");

        await AssertUntouchedAsync(userId, token, reservationId, seatId, before);
        Assert.Equal(price - 1, await Client.BalanceAsync(userId));

        await Client.ChargeAsync(userId, 1);
        var payment = await Client.PayOkAsync(token, reservationId);
        Assert.Equal(0, payment.GetProperty("balance").GetInt64());
        Assert.Equal(0, await Client.BalanceAsync(userId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
    }

    /// <summary>A new active user with <paramref name="balance"/> who holds a seat nobody else in the class uses.</summary>
    private async Task<(long UserId, string Token, long ReservationId, long SeatId)> HeldReservationAsync(long balance)
    {
        var seatId = _shared.NextSeatId();
        var (userId, token) = await Client.BuyerAsync(balance);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        return (userId, token, reservationId, seatId);
    }

    /// <summary>Balance, history, reservations and seat as they were; the reservation still held; the token still active.</summary>
    private async Task AssertUntouchedAsync(long userId, string token, long reservationId, long seatId, string before)
    {
        Assert.Equal(before, await Client.SnapshotAsync(userId, seatId));
        Assert.Equal("held", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("held", await Client.SeatStatusAsync(seatId));
        Assert.DoesNotContain(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal("active", await Client.QueueStatusAsync(token));
        Assert.Equal(JsonValueKind.Null, (await Client.ReservationAsync(userId, reservationId)).GetProperty("paidAt").ValueKind);
    }
}
