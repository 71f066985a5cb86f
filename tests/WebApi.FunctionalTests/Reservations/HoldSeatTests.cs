using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>POST /api/reservations: what a hold answers, what it refuses, and that a refusal holds nothing.</summary>
public sealed class HoldSeatTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly TestApi _api = shared.Api;

    [Theory]
    [InlineData(17L, 1L, 1L, 17, 121_000L)]
    [InlineData(150L, 1L, 3L, 50, 77_000L)]
    [InlineData(320L, 3L, 7L, 20, 121_000L)]
    [InlineData(401L, 3L, 9L, 1, 165_000L)]
    public async Task Hold_answers_201_with_a_held_reservation_for_five_minutes(
        long seatId, long concertId, long scheduleId, int seatNumber, long price)
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var now = _api.AlignClock();

        var response = await _api.Client.HoldAsync(token, seatId);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var hold = await response.JsonAsync();
        var id = hold.GetProperty("id").GetInt64();
        Assert.True(id > 0);
        Assert.Equal($"/api/reservations/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(userId, hold.GetProperty("userId").GetInt64());
        Assert.Equal(concertId, hold.GetProperty("concertId").GetInt64());
        Assert.Equal(scheduleId, hold.GetProperty("scheduleId").GetInt64());
        Assert.Equal(seatId, hold.GetProperty("seatId").GetInt64());
        Assert.Equal(seatNumber, hold.GetProperty("seatNumber").GetInt32());
        Assert.Equal(price, hold.GetProperty("price").GetInt64());
        Assert.Equal("held", hold.GetProperty("status").GetString());
        Assert.Equal(Iso(now + BookingCalls.HoldDuration), hold.GetProperty("heldUntil").GetString());
        Assert.Equal(Iso(now), hold.GetProperty("createdAt").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, hold.GetProperty("paidAt").ValueKind);

        var listed = Assert.Single(await _api.Client.ReservationsAsync(userId));
        Assert.Equal(id, listed.GetProperty("id").GetInt64());
        Assert.Equal("held", listed.GetProperty("status").GetString());
        Assert.Equal(seatId, listed.GetProperty("seatId").GetInt64());
        Assert.Equal(Iso(now + BookingCalls.HoldDuration), listed.GetProperty("heldUntil").GetString());
        Assert.Equal("held", await _api.Client.SeatStatusAsync(seatId));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"seatId":0}""")]
    [InlineData("""{"seatId":-18}""")]
    [InlineData("""{"seat":18}""")]
    public async Task Hold_refuses_a_body_without_a_positive_seatId(string body)
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();

        var response = await _api.Client.PostJsonTextAsync("/api/reservations", token, body);

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("seatId", out _), problem.ToString());
        Assert.Empty(await _api.Client.ReservationsAsync(userId));
    }

    [Theory]
    [InlineData("""{"seatId":"18"}""")]
    [InlineData("""{"seatId":18.5}""")]
    [InlineData("""{"seatId":true}""")]
    [InlineData("""{"seatId":null}""")]
    [InlineData("""{"seatId":1e40}""")]
    [InlineData("""{"seatId":99999999999999999999}""")]
    [InlineData("[18]")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("""{"seatId":18""")]
    public async Task Hold_refuses_a_malformed_body_or_a_seatId_of_the_wrong_type(string body)
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();

        var response = await _api.Client.PostJsonTextAsync("/api/reservations", token, body);

        await response.AssertProblemAsync(400, "validation_failed");
        Assert.Empty(await _api.Client.ReservationsAsync(userId));
        Assert.Equal("available", await _api.Client.SeatStatusAsync(18));
    }

    [Fact]
    public async Task Hold_checks_the_body_before_the_token()
    {
        await _api.Client.CreateUserAsync();
        var response = await _api.Client.PostJsonTextAsync("/api/reservations", null, """{"seatId":"18"}""");

        await response.AssertProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task Hold_refuses_a_missing_or_unknown_token()
    {
        await (await _api.Client.SendWithTokenAsync(HttpMethod.Post, "/api/reservations", null, new { seatId = 19 }))
            .AssertProblemAsync(401, "queue_token_missing");
        await (await _api.Client.HoldAsync("no-such-token", 19)).AssertProblemAsync(401, "queue_token_invalid");

        Assert.Equal("available", await _api.Client.SeatStatusAsync(19));
    }

    [Fact]
    public async Task Hold_refuses_an_expired_token()
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.LeaveQueueAsync(token)).StatusCode);

        await (await _api.Client.HoldAsync(token, 19)).AssertProblemAsync(403, "queue_token_expired");

        Assert.Empty(await _api.Client.ReservationsAsync(userId));
        Assert.Equal("available", await _api.Client.SeatStatusAsync(19));
    }

    [Theory]
    [InlineData(451L)]
    [InlineData(99_999L)]
    [InlineData(9_007_199_254_740_991L)]
    public async Task Hold_of_an_unknown_seat_is_not_found(long seatId)
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();

        await (await _api.Client.HoldAsync(token, seatId)).AssertProblemAsync(404, "seat_not_found");

        Assert.Empty(await _api.Client.ReservationsAsync(userId));
    }

    [Fact]
    public async Task Hold_fails_when_the_seat_is_held_by_someone_else()
    {
        var (ownerId, owner) = await _api.Client.ActiveUserAsync("Owner");
        var held = await _api.Client.HoldIdAsync(owner, 26);
        var (otherId, other) = await _api.Client.ActiveUserAsync("Other");

        await (await _api.Client.HoldAsync(other, 26)).AssertProblemAsync(409, "seat_unavailable");

        Assert.Empty(await _api.Client.ReservationsAsync(otherId));
        Assert.Equal("held", await _api.Client.ReservationStatusAsync(ownerId, held));
        Assert.Equal("held", await _api.Client.SeatStatusAsync(26));
    }

    [Fact]
    public async Task Hold_fails_when_the_seat_is_already_held_by_the_caller()
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var held = await _api.Client.HoldIdAsync(token, 27);

        await (await _api.Client.HoldAsync(token, 27)).AssertProblemAsync(409, "seat_unavailable");

        var only = Assert.Single(await _api.Client.ReservationsAsync(userId));
        Assert.Equal(held, only.GetProperty("id").GetInt64());
        Assert.Equal("held", only.GetProperty("status").GetString());
        Assert.Equal("held", await _api.Client.SeatStatusAsync(27));
    }

    [Fact]
    public async Task Hold_fails_when_the_seat_is_sold()
    {
        var (buyerId, buyer) = await _api.Client.BuyerAsync(200_000);
        var bought = await _api.Client.HoldIdAsync(buyer, 28);
        await _api.Client.PayOkAsync(buyer, bought);
        var (otherId, other) = await _api.Client.ActiveUserAsync("Other");
        var buyerAgain = await _api.Client.RejoinAsync(buyerId);

        await (await _api.Client.HoldAsync(other, 28)).AssertProblemAsync(409, "seat_unavailable");
        await (await _api.Client.HoldAsync(buyerAgain, 28)).AssertProblemAsync(409, "seat_unavailable");

        Assert.Empty(await _api.Client.ReservationsAsync(otherId));
        Assert.Equal("confirmed", Assert.Single(await _api.Client.ReservationsAsync(buyerId)).GetProperty("status").GetString());
        Assert.Equal("sold", await _api.Client.SeatStatusAsync(28));
    }

    [Fact]
    public async Task Fifth_live_hold_is_refused_but_paid_and_cancelled_ones_do_not_count()
    {
        var (userId, token) = await _api.Client.BuyerAsync(100_000);
        var holds = new List<long>();
        // The seat paid below is of schedule 2, so that schedule 1's ticket limit (4) stays out of this test.
        foreach (var seat in new long[] { 81, 32, 33, 34 })
        {
            holds.Add(await _api.Client.HoldIdAsync(token, seat));
        }

        await (await _api.Client.HoldAsync(token, 35)).AssertProblemAsync(409, "hold_limit_reached");
        Assert.Equal(4, (await _api.Client.ReservationsAsync(userId)).Count);
        Assert.Equal("available", await _api.Client.SeatStatusAsync(35));

        await _api.Client.PayOkAsync(token, holds[0]);
        token = await _api.Client.RejoinAsync(userId);
        await _api.Client.HoldIdAsync(token, 35);
        await (await _api.Client.HoldAsync(token, 36)).AssertProblemAsync(409, "hold_limit_reached");
        Assert.Equal("available", await _api.Client.SeatStatusAsync(36));

        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.CancelAsync(token, holds[1])).StatusCode);
        await _api.Client.HoldIdAsync(token, 36);

        var statuses = (await _api.Client.ReservationsAsync(userId))
            .Select(r => (r.GetProperty("seatId").GetInt64(), r.GetProperty("status").GetString())).ToList();
        Assert.Equal(
            [(36L, "held"), (35L, "held"), (34L, "held"), (33L, "held"), (32L, "cancelled"), (81L, "confirmed")],
            statuses);
    }

    private static string Iso(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
