using System.Net;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Users;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>Paths and methods the service does not answer, odd path ids, and headers too large to read.</summary>
public sealed class RoutingTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    public static TheoryData<string> BadIds() => new()
    {
        "abc",
        "0",
        "-1",
        "00",
        "1.5",
        "1e3",
        "0x10",
        "%20",
        "%201",
        "%D9%A1", // an Arabic-Indic digit one
        "9007199254740992", // 2^53
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999",
        "-9223372036854775808",
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Path_user_id_that_is_not_a_positive_integer_below_2_pow_53_is_404_user_not_found(string id)
    {
        var responses = new[]
        {
            await Client.GetAsync($"/api/users/{id}"),
            await Client.GetAsync($"/api/users/{id}/balance"),
            await Client.GetAsync($"/api/users/{id}/balance/history"),
            await Client.GetAsync($"/api/users/{id}/reservations"),
            await Client.PostAsJsonAsync($"/api/users/{id}/balance/charges", new { amount = 1_000 }),
        };

        foreach (var response in responses)
        {
            await response.AssertNoLeakAsync();
            await response.AssertProblemAsync(404, "user_not_found");
        }
    }

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Path_ids_of_gated_resources_that_are_not_positive_integers_are_404_with_their_code(string id)
    {
        var (_, token) = await Client.ActiveUserAsync();

        var concert = await Client.SendWithTokenAsync(HttpMethod.Get, $"/api/concerts/{id}/schedules", token);
        var schedule = await Client.SendWithTokenAsync(HttpMethod.Get, $"/api/concerts/1/schedules/{id}/seats", token);
        var reservation = await Client.SendWithTokenAsync(HttpMethod.Delete, $"/api/reservations/{id}", token);

        await concert.AssertProblemAsync(404, "concert_not_found");
        await schedule.AssertProblemAsync(404, "schedule_not_found");
        await reservation.AssertProblemAsync(404, "reservation_not_found");
        await LeaveAsync(token);
    }

    [Theory]
    [InlineData("GET", "/api/nope")]
    [InlineData("GET", "/api")]
    [InlineData("POST", "/")]
    [InlineData("GET", "/nope.html")]
    [InlineData("GET", "/api/index.html")]
    [InlineData("GET", "/api/users/1/nope")]
    [InlineData("POST", "/api/users/1/balance/charges/extra")]
    [InlineData("GET", "/api/queue/tokens/someone-elses")]
    [InlineData("DELETE", "/api/queue")]
    [InlineData("GET", "/api/concerts/1/schedules/1/seats/1")]
    [InlineData("GET", "/API/USERS/1/NOPE")]
    [InlineData("GET", "/health")]
    public async Task Unknown_route_is_404_route_not_found(string method, string url)
    {
        var response = await Client.SendRawAsync(new HttpMethod(method), url, null);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(404, "route_not_found");
    }

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/index.html", "text/html")]
    [InlineData("/js/app.js", "text/javascript")]
    [InlineData("/css/app.css", "text/css")]
    public async Task The_reference_page_and_its_files_are_served(string url, string mediaType)
    {
        var response = await Client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("DELETE", "/api/users/1")]
    [InlineData("PUT", "/api/users")]
    [InlineData("PATCH", "/api/users/1/balance")]
    [InlineData("GET", "/api/users/1/balance/charges")]
    [InlineData("POST", "/api/users/1")]
    [InlineData("PUT", "/api/queue/tokens/current")]
    [InlineData("GET", "/api/queue/tokens")]
    [InlineData("POST", "/api/concerts")]
    [InlineData("GET", "/api/reservations")]
    [InlineData("GET", "/api/payments")]
    [InlineData("DELETE", "/api/payments")]
    public async Task Wrong_method_is_405_method_not_allowed(string method, string url)
    {
        var response = await Client.SendRawAsync(new HttpMethod(method), url, null);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(405, "method_not_allowed");
    }

    [Fact]
    public async Task Wrong_method_changes_nothing()
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 3_000);

        var response = await Client.SendRawAsync(HttpMethod.Delete, $"/api/users/{userId}", null);

        await response.AssertProblemAsync(405, "method_not_allowed");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/api/users/{userId}")).StatusCode);
        Assert.Equal(3_000, await Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task Headers_too_large_are_431()
    {
        using var client = _api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/concerts");
        request.Headers.Add("X-Padding", new string('x', 64 * 1024));

        var response = await client.SendAsync(request);

        Assert.Equal((HttpStatusCode)431, response.StatusCode);
        await response.AssertNoLeakAsync();
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/api/concerts")).StatusCode);
    }

    [Fact]
    public async Task Oversized_queue_token_within_header_limits_is_401_queue_token_invalid()
    {
        var response = await Client.SendWithTokenAsync(HttpMethod.Get, "/api/queue/tokens/current", new string('A', 8 * 1024));

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(401, "queue_token_invalid");
    }

    [Theory]
    [InlineData("/api/queue/tokens/current")]
    [InlineData("/api/concerts/1/schedules")]
    public async Task Blank_queue_token_is_401_queue_token_missing(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Queue-Token", "   ");

        var response = await Client.SendAsync(request);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(401, "queue_token_missing");
    }

    [Theory]
    [InlineData("' OR 1=1 --")]
    [InlineData("%00")]
    [InlineData("null")]
    [InlineData("Bearer abc")]
    public async Task Garbage_queue_token_is_401_queue_token_invalid(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/concerts/1/schedules");
        request.Headers.TryAddWithoutValidation("Queue-Token", token);

        var response = await Client.SendAsync(request);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(401, "queue_token_invalid");
    }

    private async Task LeaveAsync(string token) =>
        Assert.Equal(HttpStatusCode.NoContent, (await Client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", token)).StatusCode);
}
