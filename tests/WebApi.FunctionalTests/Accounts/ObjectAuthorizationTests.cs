using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Accounts;

/// <summary>
/// Nobody acts for someone else: for every endpoint that touches a user's data or money, user A signed in gets
/// nowhere with B's id, B's queue token or B's reservation, and B's state is exactly as before.
/// </summary>
public sealed class ObjectAuthorizationTests : IAsyncLifetime
{
    private TestApi _api = null!;

    private HttpClient Client => _api.Client;

    public async ValueTask InitializeAsync() => _api = await TestApi.StartAsync();

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    /// <summary>Sends as <paramref name="caller"/>, with exactly the queue token given (or none).</summary>
    private async Task<HttpResponseMessage> AsAsync(long caller, HttpMethod method, string url, string? queueToken = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _api.Database.Sessions.BearerOf(caller));
        if (queueToken is not null)
        {
            request.Headers.Add("Queue-Token", queueToken);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await Client.SendAsync(request);
    }

    /// <summary>B: a balance, a history entry, an active token and a held seat.</summary>
    private async Task<(long Id, string Token, long ReservationId, string Snapshot)> VictimAsync(long seatId)
    {
        var (id, token) = await Client.BuyerAsync(300_000, "B");
        var reservationId = await Client.HoldIdAsync(token, seatId);
        return (id, token, reservationId, await Client.SnapshotAsync(id, seatId));
    }

    public static TheoryData<string, string> UserScoped => new()
    {
        { "GET", "" },
        { "GET", "/balance" },
        { "GET", "/balance/history" },
        { "GET", "/reservations" },
        { "POST", "/balance/charges" },
    };

    [Theory]
    [MemberData(nameof(UserScoped))]
    public async Task A_on_Bs_user_id_is_404_user_not_found_and_B_is_unchanged(string method, string suffix)
    {
        var b = await VictimAsync(seatId: 3);
        var a = await Client.CreateUserAsync("A");

        var response = await AsAsync(a, new HttpMethod(method), $"/api/users/{b.Id}{suffix}",
            body: method == "POST" ? new { amount = 1_000 } : null);

        var problem = await response.AssertProblemAsync(404, "user_not_found");
        Assert.DoesNotContain("\"B\"", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(b.Snapshot, await Client.SnapshotAsync(b.Id, 3));
        // The same request as B answers.
        Assert.True((await AsAsync(b.Id, new HttpMethod(method), $"/api/users/{b.Id}{suffix}", body: method == "POST" ? new { amount = 1_000 } : null)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Bs_id_and_an_id_nobody_has_get_the_same_answer()
    {
        var b = await Client.CreateUserAsync("B");
        var a = await Client.CreateUserAsync("A");

        var theirs = await (await AsAsync(a, HttpMethod.Get, $"/api/users/{b}/balance")).AssertProblemAsync(404, "user_not_found");
        var nobodys = await (await AsAsync(a, HttpMethod.Get, "/api/users/999999999/balance")).AssertProblemAsync(404, "user_not_found");

        Assert.Equal(theirs.GetProperty("detail").GetString(), nobodys.GetProperty("detail").GetString());
    }

    public static TheoryData<string, string> TokenGated => new()
    {
        { "GET", "/api/queue/tokens/current" },
        { "DELETE", "/api/queue/tokens/current" },
        { "GET", "/api/concerts/1/schedules" },
        { "GET", "/api/concerts/1/schedules/1/seats" },
        { "POST", "/api/reservations" },
        { "DELETE", "/api/reservations/{reservation}" },
        { "POST", "/api/payments" },
    };

    [Theory]
    [MemberData(nameof(TokenGated))]
    public async Task A_with_Bs_queue_token_is_401_queue_token_invalid_and_B_is_unchanged(string method, string url)
    {
        var b = await VictimAsync(seatId: 4);
        await Client.ChargeAsync(await Client.CreateUserAsync("A"), 0 + 500_000);
        var a = _api.Database.Sessions.LastSignedIn!.Value;
        object? body = url switch
        {
            "/api/reservations" => new { seatId = 5 },
            "/api/payments" => new { reservationId = b.ReservationId, reservationIds = new[] { b.ReservationId } },
            _ => null,
        };

        var response = await AsAsync(a, new HttpMethod(method), url.Replace("{reservation}", b.ReservationId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), b.Token, body);

        await response.AssertProblemAsync(401, "queue_token_invalid");
        Assert.Equal(b.Snapshot, await Client.SnapshotAsync(b.Id, 4));
        Assert.Equal("active", await Client.QueueStatusAsync(b.Token));
        Assert.Equal("available", await Client.SeatStatusAsync(5));
        Assert.Equal(500_000, await Client.BalanceAsync(a));
    }

    [Fact]
    public async Task A_cannot_cancel_Bs_reservation_with_their_own_token()
    {
        var b = await VictimAsync(seatId: 6);
        var (a, aToken) = await Client.BuyerAsync(500_000, "A");

        var response = await AsAsync(a, HttpMethod.Delete, $"/api/reservations/{b.ReservationId}", aToken);

        await response.AssertProblemAsync(404, "reservation_not_found");
        Assert.Equal(b.Snapshot, await Client.SnapshotAsync(b.Id, 6));
        Assert.Equal("held", await Client.SeatStatusAsync(6));
    }

    [Fact]
    public async Task A_cannot_pay_Bs_reservation_with_their_own_token_and_money()
    {
        var b = await VictimAsync(seatId: 7);
        var (a, aToken) = await Client.BuyerAsync(500_000, "A");

        var response = await Client.PayAsync(aToken, b.ReservationId);

        await response.AssertProblemAsync(404, "reservation_not_found");
        Assert.Equal(b.Snapshot, await Client.SnapshotAsync(b.Id, 7));
        Assert.Equal(500_000, await Client.BalanceAsync(a));
        Assert.Equal("active", await Client.QueueStatusAsync(aToken));
    }

    [Fact]
    public async Task A_join_never_hands_out_someone_elses_live_token()
    {
        var b = await VictimAsync(seatId: 8);
        var a = await Client.CreateUserAsync("A");

        var response = await AsAsync(a, HttpMethod.Post, "/api/queue/tokens", body: new { userId = b.Id });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var status = await response.JsonAsync();
        Assert.Equal(a, status.GetProperty("userId").GetInt64());
        Assert.NotEqual(b.Token, status.GetProperty("token").GetString());
    }
}
