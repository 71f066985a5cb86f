using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// Payments racing each other on the real database, released together behind one gate over several connections:
/// one reservation is paid once, one balance never pays for more than it holds, one key makes one payment.
/// </summary>
public sealed class PaymentRaceTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly SharedBookingApi _shared = shared;

    private TestApi Api => _shared.Api;

    private HttpClient Client => _shared.Api.Client;

    [Fact]
    public async Task Ten_concurrent_payments_of_one_reservation_pay_it_once()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(2_000_000);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var clients = Api.Clients(10);

        var responses = await BookingCalls.RaceAsync(10, i => clients[i].PayAsync(token, reservationId));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.Equal(1, outcomes.Count(o => o == "201"));
        // The token is spent inside the payment's transaction, before the reservation is looked at: every loser
        // finds it expired (the contract's order of checks puts the token's state before the resource's).
        Assert.All(outcomes.Where(o => o != "201"), o => Assert.Equal("403 queue_token_expired", o));
        var payment = await responses[Array.IndexOf(outcomes, "201")].JsonAsync();
        Assert.Equal(2_000_000 - price, payment.GetProperty("balance").GetInt64());
        Assert.Equal(2_000_000 - price, await Client.BalanceAsync(userId));
        var entry = Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal(payment.GetProperty("id").GetInt64(), entry.GetProperty("paymentId").GetInt64());
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));
        Assert.Equal("expired", await Client.QueueStatusAsync(token));
        DisposeAll(clients);
    }

    [Fact]
    public async Task Money_for_one_seat_pays_for_one_of_two_holds_paid_at_once()
    {
        const int buyers = 5;
        var setups = new List<(long UserId, string Token, long[] Reservations, long[] Seats)>();
        for (var b = 0; b < buyers; b++)
        {
            // Two seats of one price tier, and money for exactly one of them.
            var seats = new[] { _shared.NextSeatId(), _shared.NextSeatId() };
            while (BookingCalls.PriceOfSeat(seats[0]) != BookingCalls.PriceOfSeat(seats[1]))
            {
                seats = [seats[1], _shared.NextSeatId()];
            }

            var (userId, token) = await Client.BuyerAsync(BookingCalls.PriceOfSeat(seats[0]), $"Buyer {b}");
            var reservations = new[] { await Client.HoldIdAsync(token, seats[0]), await Client.HoldIdAsync(token, seats[1]) };
            setups.Add((userId, token, reservations, seats));
        }

        var clients = Api.Clients(buyers * 2);

        var responses = await BookingCalls.RaceAsync(buyers * 2,
            i => clients[i].PayAsync(setups[i / 2].Token, setups[i / 2].Reservations[i % 2]));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        for (var b = 0; b < buyers; b++)
        {
            var (userId, token, reservations, seats) = setups[b];
            var mine = new[] { outcomes[b * 2], outcomes[(b * 2) + 1] };
            Assert.Equal(1, mine.Count(o => o == "201"));
            Assert.Equal("403 queue_token_expired", mine.Single(o => o != "201"));
            var won = mine[0] == "201" ? 0 : 1;
            var lost = 1 - won;
            Assert.Equal(0, (await responses[(b * 2) + won].JsonAsync()).GetProperty("balance").GetInt64());
            Assert.Equal(0, await Client.BalanceAsync(userId));
            var history = await Client.HistoryAsync(userId);
            Assert.Equal(2, history.Count);
            Assert.Equal(0, history.Sum(e => e.GetProperty("amount").GetInt64()));
            Assert.All(history, e => Assert.True(e.GetProperty("balanceAfter").GetInt64() >= 0));
            Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservations[won]));
            Assert.Equal("held", await Client.ReservationStatusAsync(userId, reservations[lost]));
            Assert.Equal("sold", await Client.SeatStatusAsync(seats[won]));
            Assert.Equal("held", await Client.SeatStatusAsync(seats[lost]));
            Assert.Equal("expired", await Client.QueueStatusAsync(token));
        }

        DisposeAll(clients);
    }

    [Fact]
    public async Task Four_payments_of_four_holds_with_one_token_at_once_make_exactly_one_payment()
    {
        var seats = Enumerable.Range(0, 4).Select(_ => _shared.NextSeatId()).ToArray();
        var (userId, token) = await Client.BuyerAsync(2_000_000);
        var held = new long[4];
        for (var i = 0; i < 4; i++)
        {
            held[i] = await Client.HoldIdAsync(token, seats[i]);
        }

        var clients = Api.Clients(4);

        var responses = await BookingCalls.RaceAsync(4, i => clients[i].PayAsync(token, held[i]));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.Equal(1, outcomes.Count(o => o == "201"));
        Assert.Equal(3, outcomes.Count(o => o == "403 queue_token_expired"));
        var won = Array.IndexOf(outcomes, "201");
        var payment = await responses[won].JsonAsync();
        Assert.Equal([held[won]], BookingCalls.ReservationIdsOf(payment));
        var price = BookingCalls.PriceOfSeat(seats[won]);
        Assert.Equal(2_000_000 - price, await Client.BalanceAsync(userId));
        var entry = Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal(-price, entry.GetProperty("amount").GetInt64());
        Assert.Equal(payment.GetProperty("id").GetInt64(), entry.GetProperty("paymentId").GetInt64());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i == won ? "confirmed" : "held", await Client.ReservationStatusAsync(userId, held[i]));
            Assert.Equal(i == won ? "sold" : "held", await Client.SeatStatusAsync(seats[i]));
        }

        Assert.Equal("expired", await Client.QueueStatusAsync(token));
        DisposeAll(clients);
    }

    [Fact]
    public async Task One_key_sent_five_times_at_once_makes_one_payment_and_one_answer()
    {
        var seatId = _shared.NextSeatId();
        var price = BookingCalls.PriceOfSeat(seatId);
        var (userId, token) = await Client.BuyerAsync(1_000_000);
        var reservationId = await Client.HoldIdAsync(token, seatId);
        var clients = Api.Clients(5);

        var responses = await BookingCalls.RaceAsync(5, i => clients[i].PayAsync(token, reservationId, "one-order"));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "201", "409 idempotency_key_in_progress" }));
        var bodies = await Task.WhenAll(responses.Where(r => r.StatusCode == HttpStatusCode.Created)
            .Select(r => r.Content.ReadAsStringAsync()));
        Assert.NotEmpty(bodies);
        Assert.All(bodies, b => Assert.Equal(bodies[0], b));

        Assert.Equal(1_000_000 - price, await Client.BalanceAsync(userId));
        var entry = Assert.Single(await Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Contains($"\"id\":{entry.GetProperty("paymentId").GetInt64()},", bodies[0], StringComparison.Ordinal);
        Assert.Equal("confirmed", await Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("sold", await Client.SeatStatusAsync(seatId));

        var replay = await Client.PayAsync(token, reservationId, "one-order");
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(bodies[0], await replay.Content.ReadAsStringAsync());
        DisposeAll(clients);
    }

    private static void DisposeAll(HttpClient[] clients)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
