using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// Holds racing on the real database, released together behind one gate over many connections: a seat goes to
/// exactly one user, a schedule's seats each go at most once, and one user's parallel holds stop at the limit.
/// The tests use different schedules of one shared host (1000 active slots).
/// </summary>
public sealed class HoldRaceTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private const int ClientCount = 16;

    private readonly TestApi _api = shared.Api;

    [Fact]
    public async Task Of_200_users_holding_one_seat_at_once_exactly_one_wins()
    {
        const long seatId = 1;
        var users = await BookingCalls.ForEachAsync(200, 4, i => _api.Client.ActiveUserAsync($"Racer {i}"));
        var clients = _api.Clients(ClientCount);

        var responses = await BookingCalls.RaceAsync(users.Length, i => clients[i % ClientCount].HoldAsync(users[i].Token, seatId));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.Equal(1, outcomes.Count(o => o == "201"));
        Assert.Equal(199, outcomes.Count(o => o == "409 seat_unavailable"));
        var winner = Array.IndexOf(outcomes, "201");
        var won = await responses[winner].JsonAsync();
        Assert.Equal(users[winner].UserId, won.GetProperty("userId").GetInt64());
        Assert.Equal(seatId, won.GetProperty("seatId").GetInt64());

        var reservations = await BookingCalls.ForEachAsync(users.Length, 4, i => _api.Client.ReservationsAsync(users[i].UserId));
        for (var i = 0; i < users.Length; i++)
        {
            if (i == winner)
            {
                var only = Assert.Single(reservations[i]);
                Assert.Equal(won.GetProperty("id").GetInt64(), only.GetProperty("id").GetInt64());
                Assert.Equal("held", only.GetProperty("status").GetString());
            }
            else
            {
                Assert.Empty(reservations[i]);
            }
        }

        var seats = await _api.Client.SeatStatusesAsync(1);
        Assert.Equal("held", seats[seatId]);
        Assert.Equal(49, seats.Values.Count(s => s == "available"));
        Assert.Equal(49, await _api.Client.AvailableSeatsAsync(1));
        DisposeAll(clients);
    }

    [Fact]
    public async Task Of_300_users_racing_for_50_seats_each_seat_is_held_exactly_once()
    {
        const long scheduleId = 2;
        const long firstSeat = 51;
        var random = new Random(20261124);
        // Every seat is somebody's first choice, so every seat is wanted; a few users try one or two more.
        var wishes = Enumerable.Range(0, 300).Select(i => new[] { firstSeat + (i % 50) }
                .Concat(Enumerable.Range(0, random.Next(0, 3)).Select(_ => firstSeat + random.Next(50)))
                .Distinct().ToArray())
            .ToArray();
        var users = await BookingCalls.ForEachAsync(wishes.Length, 4, i => _api.Client.ActiveUserAsync($"Fan {i}"));
        var clients = _api.Clients(ClientCount);

        var attempts = await BookingCalls.RaceAsync(users.Length, async i =>
        {
            var results = new List<(long SeatId, string Outcome, long ReservationId)>();
            foreach (var seatId in wishes[i])
            {
                var response = await clients[i % ClientCount].HoldAsync(users[i].Token, seatId);
                var outcome = await response.OutcomeAsync();
                var id = outcome == "201" ? (await response.JsonAsync()).GetProperty("id").GetInt64() : 0;
                results.Add((seatId, outcome, id));
            }

            return results;
        });

        var all = attempts.SelectMany((a, i) => a.Select(x => (User: i, x.SeatId, x.Outcome, x.ReservationId))).ToList();
        Assert.All(all, a => Assert.Contains(a.Outcome, new[] { "201", "409 seat_unavailable" }));
        var won = all.Where(a => a.Outcome == "201").ToList();
        Assert.Equal(50, won.Count);
        Assert.Equal(Enumerable.Range(0, 50).Select(n => firstSeat + n), won.Select(w => w.SeatId).Order());

        var seats = await _api.Client.SeatStatusesAsync(scheduleId);
        Assert.All(seats.Values, s => Assert.Equal("held", s));
        Assert.Equal(0, await _api.Client.AvailableSeatsAsync(scheduleId));

        var reservations = await BookingCalls.ForEachAsync(users.Length, 4, i => _api.Client.ReservationsAsync(users[i].UserId));
        var held = reservations.SelectMany((r, i) => r.Select(x => (
                User: i,
                SeatId: x.GetProperty("seatId").GetInt64(),
                Status: x.GetProperty("status").GetString(),
                ReservationId: x.GetProperty("id").GetInt64())))
            .ToList();
        Assert.All(held, h => Assert.Equal("held", h.Status));
        Assert.Equal(
            won.Select(w => (w.User, w.SeatId, w.ReservationId)).Order(),
            held.Select(h => (h.User, h.SeatId, h.ReservationId)).Order());
        DisposeAll(clients);
    }

    [Fact]
    public async Task One_user_holding_ten_seats_at_once_gets_exactly_the_limit_of_four()
    {
        var seatIds = Enumerable.Range(101, 10).Select(n => (long)n).ToArray();
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var clients = _api.Clients(seatIds.Length);

        var responses = await BookingCalls.RaceAsync(seatIds.Length, i => clients[i].HoldAsync(token, seatIds[i]));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.Equal(4, outcomes.Count(o => o == "201"));
        Assert.Equal(6, outcomes.Count(o => o == "409 hold_limit_reached"));
        var wonSeats = seatIds.Where((_, i) => outcomes[i] == "201").ToHashSet();
        var reservations = await _api.Client.ReservationsAsync(userId);
        Assert.Equal(4, reservations.Count);
        Assert.All(reservations, r => Assert.Equal("held", r.GetProperty("status").GetString()));
        Assert.Equal(wonSeats.Order(), reservations.Select(r => r.GetProperty("seatId").GetInt64()).Order());
        var seats = await _api.Client.SeatStatusesAsync(3);
        Assert.All(seatIds, s => Assert.Equal(wonSeats.Contains(s) ? "held" : "available", seats[s]));
        Assert.Equal(46, await _api.Client.AvailableSeatsAsync(3));
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
