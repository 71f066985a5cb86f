using System.Net;
using System.Net.Http.Json;
using Concert.Domain.Queue;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Users;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>Joining, polling and leaving while slots are free (the default cap of 100; the clock never moves).</summary>
public sealed class QueueJoinTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    [Fact]
    public async Task Joining_while_a_slot_is_free_is_201_and_active_at_once_with_every_member()
    {
        var userId = await Client.CreateUserAsync();

        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(userId));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var status = await response.JsonAsync();
        QueueReads.AssertShape(status);
        Assert.Equal(userId, status.GetProperty("userId").GetInt64());
        QueueReads.AssertActive(status, activatedAt: _api.Clock.GetUtcNow());

        var polled = await Client.StatusAsync(status.Token());
        QueueReads.AssertActive(polled, QueueReads.Timestamp(status, "activatedAt"));
        var row = Assert.Single(await _api.TokensAsync(), t => t.UserId == userId);
        Assert.Equal(QueueTokenStatus.Active, row.Status);
        Assert.Equal(status.Token(), row.Token);
    }

    [Fact]
    public async Task Joining_again_is_200_with_the_same_live_token()
    {
        var userId = await Client.CreateUserAsync();
        var (firstCode, first) = await Client.JoinAsync(userId);

        var (againCode, again) = await Client.JoinAsync(userId);

        Assert.Equal(HttpStatusCode.Created, firstCode);
        Assert.Equal(HttpStatusCode.OK, againCode);
        Assert.Equal(first.Token(), again.Token());
        QueueReads.AssertActive(again, QueueReads.Timestamp(first, "activatedAt"));
        Assert.Single(await _api.TokensAsync(), t => t.UserId == userId);
    }

    [Fact]
    public async Task Tokens_of_different_users_differ_and_are_opaque()
    {
        var (_, a) = await Client.NewUserJoinsAsync();
        var (_, b) = await Client.NewUserJoinsAsync();

        Assert.NotEqual(a.Token(), b.Token());
        QueueReads.AssertToken(a.Token());
        QueueReads.AssertToken(b.Token());
    }

    [Fact]
    public async Task Joining_without_a_bearer_token_is_401_unauthenticated_and_issues_nothing()
    {
        var tokensBefore = (await _api.TokensAsync()).Count;

        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").Anonymously());

        await response.AssertProblemAsync(401, "unauthenticated");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(tokensBefore, (await _api.TokensAsync()).Count);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"userId":999999999}""")]
    [InlineData("""{"userId":"someone else"}""")]
    [InlineData("[1,2]")]
    public async Task A_join_body_is_ignored_the_caller_joins_as_themselves(string body)
    {
        var userId = await Client.CreateUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        var response = await Client.SendAsync(request.As(userId));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(userId, (await response.JsonAsync()).GetProperty("userId").GetInt64());
        Assert.Single(await _api.TokensAsync(), t => t.UserId == userId);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Current_token_without_the_header_is_401_queue_token_missing(string method)
    {
        var response = await Client.SendWithTokenAsync(new HttpMethod(method), "/api/queue/tokens/current", token: null);

        await response.AssertProblemAsync(401, "queue_token_missing");
    }

    [Theory]
    [InlineData("GET", '*')]
    [InlineData("GET", '+')]
    [InlineData("GET", '=')]
    [InlineData("DELETE", '/')]
    public async Task Current_token_of_the_right_length_outside_base64url_is_401_queue_token_invalid(string method, char stray)
    {
        var (_, real) = await Client.NewUserJoinsAsync();
        var mangled = real.Token()[..20] + stray + real.Token()[21..];

        var response = await Client.SendWithTokenAsync(new HttpMethod(method), "/api/queue/tokens/current", mangled);

        await response.AssertProblemAsync(401, "queue_token_invalid");
        QueueReads.AssertActive(await Client.StatusAsync(real.Token()));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Current_token_with_an_unknown_token_is_401_queue_token_invalid(string method)
    {
        var (_, real) = await Client.NewUserJoinsAsync();
        var forged = real.Token()[..^1] + (real.Token()[^1] == 'A' ? 'B' : 'A');

        var response = await Client.SendWithTokenAsync(new HttpMethod(method), "/api/queue/tokens/current", forged);

        await response.AssertProblemAsync(401, "queue_token_invalid");
        QueueReads.AssertActive(await Client.StatusAsync(real.Token()));
    }

    [Fact]
    public async Task Leaving_is_204_then_the_token_answers_expired_and_leaving_again_is_204()
    {
        var (userId, joined) = await Client.NewUserJoinsAsync();
        var token = joined.Token();

        await Client.LeaveAsync(token);

        var status = await Client.StatusAsync(token);
        QueueReads.AssertExpired(status);
        Assert.Equal(userId, status.GetProperty("userId").GetInt64());
        Assert.Equal(QueueTokenStatus.Expired, Assert.Single(await _api.TokensAsync(), t => t.Token == token).Status);
        var gated = await Client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules", token);
        await gated.AssertProblemAsync(403, "queue_token_expired");

        await Client.LeaveAsync(token);
        QueueReads.AssertExpired(await Client.StatusAsync(token));
    }

    [Fact]
    public async Task After_leaving_the_user_may_join_again_with_a_new_token()
    {
        var (userId, first) = await Client.NewUserJoinsAsync();
        await Client.LeaveAsync(first.Token());

        var (code, second) = await Client.JoinAsync(userId);

        Assert.Equal(HttpStatusCode.Created, code);
        Assert.NotEqual(first.Token(), second.Token());
        QueueReads.AssertActive(second);
        QueueReads.AssertExpired(await Client.StatusAsync(first.Token()));
        var rows = (await _api.TokensAsync()).Where(t => t.UserId == userId).ToArray();
        Assert.Equal([QueueTokenStatus.Expired, QueueTokenStatus.Active], rows.Select(r => r.Status));
    }

    [Fact]
    public async Task An_active_token_opens_the_gated_endpoints()
    {
        var (_, joined) = await Client.NewUserJoinsAsync();

        var response = await Client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules", joined.Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var schedules = await response.JsonAsync();
        Assert.Equal([1L, 2L, 3L], schedules.EnumerateArray().Select(s => s.GetProperty("id").GetInt64()));
        Assert.All(schedules.EnumerateArray(), s => Assert.Equal(1, s.GetProperty("concertId").GetInt64()));
    }
}
