using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Concerts;

/// <summary>The catalogue as a frontend reads it: the public concert list and the token-gated schedules and seats.</summary>
public sealed class ConcertCatalogueTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly TestApi _api = shared.Api;

    public static TheoryData<string> GatedUrls => ["/api/concerts/1/schedules", "/api/concerts/1/schedules/1/seats"];

    [Fact]
    public async Task Concert_list_is_public_and_holds_the_three_demo_concerts()
    {
        var response = await _api.Client.GetAsync("/api/concerts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var concerts = (await response.JsonAsync()).EnumerateArray().ToList();
        Assert.Equal(
            [
                (1L, "Spring Lights", "IU", "Olympic Park KSPO Dome, Seoul"),
                (2L, "Beyond the Scene", "BTS", "Busan Asiad Main Stadium"),
                (3L, "Born Pink Encore", "BLACKPINK", "Gocheok Sky Dome, Seoul"),
            ],
            concerts.Select(c => (
                c.GetProperty("id").GetInt64(),
                c.GetProperty("title").GetString(),
                c.GetProperty("artist").GetString(),
                c.GetProperty("venue").GetString())));
        Assert.All(concerts, c => Assert.Equal(
            ["artist", "id", "title", "venue"], c.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)));
    }

    [Theory]
    [InlineData(1L, new long[] { 1, 2, 3 })]
    [InlineData(3L, new long[] { 7, 8, 9 })]
    public async Task Schedules_of_a_concert_are_listed_for_an_active_token(long concertId, long[] scheduleIds)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();

        var schedules = (await _api.Client.GetOkAsync(BookingCalls.SchedulesUrl(concertId), token)).EnumerateArray().ToList();

        Assert.Equal(scheduleIds, schedules.Select(s => s.GetProperty("id").GetInt64()));
        var startsAt = schedules.Select(s => BookingCalls.AssertIsoUtc(s.GetProperty("startsAt"))).ToList();
        Assert.Equal(startsAt.Order(), startsAt);
        Assert.All(startsAt, s => Assert.True(s > _api.Clock.GetUtcNow(), $"{s:O} is not to come"));
        Assert.All(schedules, s =>
        {
            Assert.Equal(concertId, s.GetProperty("concertId").GetInt64());
            Assert.Equal(50, s.GetProperty("totalSeats").GetInt32());
            Assert.Equal(50, s.GetProperty("availableSeats").GetInt32());
            Assert.Equal(
                ["availableSeats", "concertId", "id", "startsAt", "totalSeats"],
                s.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        });
    }

    [Theory]
    [InlineData("99")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("9007199254740993")]
    public async Task Schedules_of_an_unknown_concert_are_not_found(string concertId)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();

        var response = await _api.Client.SendWithTokenAsync(HttpMethod.Get, $"/api/concerts/{concertId}/schedules", token);

        await response.AssertProblemAsync(404, "concert_not_found");
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(5L)]
    public async Task Seats_of_a_schedule_are_its_fifty_seats_by_number_with_price_and_status(long scheduleId)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();

        var seats = await _api.Client.SeatsAsync(token, scheduleId);

        var firstId = ((scheduleId - 1) * 50) + 1;
        Assert.Equal(Enumerable.Range(0, 50).Select(i => firstId + i), seats.Select(s => s.GetProperty("id").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 50), seats.Select(s => s.GetProperty("number").GetInt32()));
        Assert.Equal(
            Enumerable.Range(1, 50).Select(BookingCalls.PriceOfNumber),
            seats.Select(s => s.GetProperty("price").GetInt64()));
        Assert.All(seats, s =>
        {
            Assert.Equal("available", s.GetProperty("status").GetString());
            Assert.Equal(["id", "number", "price", "status"], s.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        });
    }

    [Theory]
    [InlineData("/api/concerts/1/schedules/99/seats")]
    [InlineData("/api/concerts/1/schedules/4/seats")]
    [InlineData("/api/concerts/2/schedules/1/seats")]
    [InlineData("/api/concerts/99/schedules/1/seats")]
    [InlineData("/api/concerts/1/schedules/0/seats")]
    [InlineData("/api/concerts/1/schedules/abc/seats")]
    [InlineData("/api/concerts/abc/schedules/1/seats")]
    public async Task Seats_of_an_unknown_schedule_or_one_of_another_concert_are_not_found(string url)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();

        var response = await _api.Client.SendWithTokenAsync(HttpMethod.Get, url, token);

        await response.AssertProblemAsync(404, "schedule_not_found");
    }

    [Theory]
    [MemberData(nameof(GatedUrls))]
    [InlineData("/api/concerts/99/schedules")]
    [InlineData("/api/concerts/1/schedules/99/seats")]
    public async Task Gated_catalogue_refuses_a_request_without_a_token(string url)
    {
        var response = await _api.Client.GetAsync(url);

        await response.AssertProblemAsync(401, "queue_token_missing");
    }

    [Theory]
    [MemberData(nameof(GatedUrls))]
    public async Task Gated_catalogue_refuses_an_unknown_token(string url)
    {
        await _api.Client.ActiveUserAsync();

        var response = await _api.Client.SendWithTokenAsync(HttpMethod.Get, url, "not-a-token-anyone-was-given");

        await response.AssertProblemAsync(401, "queue_token_invalid");
    }

    [Theory]
    [MemberData(nameof(GatedUrls))]
    public async Task Gated_catalogue_refuses_a_token_that_left_the_queue(string url)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();
        await _api.Client.GetOkAsync(url, token);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.LeaveQueueAsync(token)).StatusCode);

        var response = await _api.Client.SendWithTokenAsync(HttpMethod.Get, url, token);

        await response.AssertProblemAsync(403, "queue_token_expired");
        Assert.Equal("expired", await _api.Client.QueueStatusAsync(token));
    }
}
