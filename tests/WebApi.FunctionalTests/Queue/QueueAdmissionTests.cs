using System.Net;
using Concert.Domain.Queue;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// Admission with a small cap (MaxActiveTokens = 2, or 1): positions in join order, leaving, lifetimes and idle
/// timeouts on the fake clock, and the 401/403 codes of a gated endpoint. A fresh host per test: each moves the
/// clock or fills the queue.
/// </summary>
public sealed class QueueAdmissionTests
{
    private const string Gated = "/api/concerts/1/schedules";

    [Fact]
    public async Task Joiners_beyond_the_cap_wait_with_positions_in_join_order()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 2);
        var client = api.Client;

        var joined = new List<(long UserId, System.Text.Json.JsonElement Status)>();
        for (var i = 0; i < 5; i++)
        {
            joined.Add(await client.NewUserJoinsAsync());
        }

        QueueReads.AssertActive(joined[0].Status, api.Clock.GetUtcNow());
        QueueReads.AssertActive(joined[1].Status, api.Clock.GetUtcNow());
        for (var i = 2; i < 5; i++)
        {
            QueueReads.AssertWaiting(joined[i].Status, position: i - 1);
            QueueReads.AssertWaiting(await client.StatusAsync(joined[i].Status.Token()), position: i - 1);
        }

        var waits = joined.Skip(2).Select(j => j.Status.GetProperty("estimatedWaitSeconds").GetInt32()).ToArray();
        Assert.Equal(waits.Order(), waits);
        Assert.True(waits[0] > 0, "someone waits at position 1, so the wait is not zero");

        var (againCode, again) = await client.JoinAsync(joined[3].UserId);
        Assert.Equal(HttpStatusCode.OK, againCode);
        Assert.Equal(joined[3].Status.Token(), again.Token());
        QueueReads.AssertWaiting(again, position: 2);

        var rows = await api.TokensAsync();
        Assert.Equal(5, rows.Count);
        Assert.Equal(joined.Select(j => j.Status.Token()), rows.Select(r => r.Token));
        Assert.Equal(
            [QueueTokenStatus.Active, QueueTokenStatus.Active, QueueTokenStatus.Waiting, QueueTokenStatus.Waiting, QueueTokenStatus.Waiting],
            rows.Select(r => r.Status));
    }

    [Fact]
    public async Task Leaving_an_active_slot_admits_the_first_waiting_and_moves_the_rest_up()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 2);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 5);

        await client.LeaveAsync(tokens[0]);
        await api.AdmitAsync();

        QueueReads.AssertExpired(await client.StatusAsync(tokens[0]));
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[0])).AssertProblemAsync(403, "queue_token_expired");
        QueueReads.AssertActive(await client.StatusAsync(tokens[1]));
        QueueReads.AssertActive(await client.StatusAsync(tokens[2]), activatedAt: api.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.OK, (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[2])).StatusCode);
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[3]), position: 1);
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[4]), position: 2);
        Assert.Equal(2, await api.ActiveCountAsync());

        // Leaving again with the expired token changes nothing.
        await client.LeaveAsync(tokens[0]);
        await api.AdmitAsync();
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[3]), position: 1);
        Assert.Equal(2, await api.ActiveCountAsync());
    }

    [Fact]
    public async Task Leaving_an_active_slot_refills_it_within_the_same_request()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var tokens = await JoinManyAsync(api.Client, 2);

        await api.Client.LeaveAsync(tokens[0]);

        // No admission pass was run: the slot was refilled by the leave itself ("freed at once").
        QueueReads.AssertActive(await api.Client.StatusAsync(tokens[1]), activatedAt: api.Clock.GetUtcNow());
    }

    [Fact]
    public async Task Leaving_while_waiting_moves_those_behind_up_and_admits_nobody()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 2);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 5);

        await client.LeaveAsync(tokens[3]);
        await api.AdmitAsync();
        await api.ReadLineAsync();   // what every instance does within a second

        QueueReads.AssertExpired(await client.StatusAsync(tokens[3]));
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[3])).AssertProblemAsync(403, "queue_token_expired");
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[2]), position: 1);
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[4]), position: 2);
        Assert.Equal(2, await api.ActiveCountAsync());
        QueueReads.AssertActive(await client.StatusAsync(tokens[0]));
        QueueReads.AssertActive(await client.StatusAsync(tokens[1]));
    }

    [Fact]
    public async Task Active_tokens_expire_after_their_lifetime_and_the_next_are_admitted_in_join_order()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 2);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 5);

        // The waiting ones keep polling (well within the idle timeout) while the active window runs out.
        await AdvanceWhilePollingAsync(api, tokens[2..], QueueReads.ActiveLifetime + TimeSpan.FromSeconds(1));

        QueueReads.AssertExpired(await client.StatusAsync(tokens[0]));
        QueueReads.AssertExpired(await client.StatusAsync(tokens[1]));
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[0])).AssertProblemAsync(403, "queue_token_expired");

        Assert.Equal(2, await api.AdmitAsync());

        var admittedAt = api.Clock.GetUtcNow();
        QueueReads.AssertActive(await client.StatusAsync(tokens[2]), admittedAt);
        QueueReads.AssertActive(await client.StatusAsync(tokens[3]), admittedAt);
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[4]), position: 1);
        Assert.Equal(HttpStatusCode.OK, (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[2])).StatusCode);
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[1])).AssertProblemAsync(403, "queue_token_expired");
        var rows = await api.TokensAsync();
        Assert.Equal(
            [QueueTokenStatus.Expired, QueueTokenStatus.Expired, QueueTokenStatus.Active, QueueTokenStatus.Active, QueueTokenStatus.Waiting],
            rows.Select(r => r.Status));
    }

    [Fact]
    public async Task A_newcomer_never_overtakes_a_waiting_token_when_a_slot_frees()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 2);
        await AdvanceWhilePollingAsync(api, tokens[1..], QueueReads.ActiveLifetime + TimeSpan.FromSeconds(1));

        // The slot is free (the active window ran out) but no admission pass has run yet.
        var (_, newcomer) = await client.NewUserJoinsAsync();
        await api.AdmitAsync();

        QueueReads.AssertActive(await client.StatusAsync(tokens[1]));
        QueueReads.AssertWaiting(await client.StatusAsync(newcomer.Token()), position: 1);
        Assert.Equal("waiting", newcomer.State());
    }

    [Fact]
    public async Task A_waiting_token_not_polled_for_the_idle_timeout_expires_and_is_never_admitted()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 3); // [0] active, [1] idle, [2] polls

        api.Clock.Advance(TimeSpan.FromMinutes(4));
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[2]), position: 2);
        api.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[2]), position: 2);

        // Expiry counts from the last recorded poll plus the recording interval (1 min): 6 min for one never polled.
        api.Clock.Advance(TimeSpan.FromMinutes(1));

        QueueReads.AssertExpired(await client.StatusAsync(tokens[1]));
        await api.AdmitAsync();
        QueueReads.AssertExpired(await client.StatusAsync(tokens[1]));
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[1])).AssertProblemAsync(403, "queue_token_expired");
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[2]), position: 1);

        await client.LeaveAsync(tokens[0]);
        await api.AdmitAsync();
        QueueReads.AssertActive(await client.StatusAsync(tokens[2]));
        QueueReads.AssertExpired(await client.StatusAsync(tokens[1]));
        Assert.Equal(QueueTokenStatus.Expired, (await api.TokensAsync())[1].Status);
        await client.LeaveAsync(tokens[1]);
    }

    [Fact]
    public async Task A_poll_that_is_not_written_down_still_counts_for_the_idle_timeout()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 2); // [0] active, [1] waiting

        // Polled 59 s after joining: too soon to be written down (at most once a minute), so LastSeenAt stays at
        // the join. The client then goes quiet; it must keep its place for the full idle timeout after that poll.
        api.Clock.Advance(TimeSpan.FromSeconds(59));
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[1]), position: 1);
        api.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        await api.AdmitAsync();
        Assert.Equal(QueueTokenStatus.Waiting, (await api.TokensAsync())[1].Status);

        api.Clock.Advance(TimeSpan.FromMinutes(1));
        await api.AdmitAsync();
        Assert.Equal(QueueTokenStatus.Expired, (await api.TokensAsync())[1].Status);
        await client.LeaveAsync(tokens[0]);
    }

    [Fact]
    public async Task Polling_keeps_a_waiting_token_alive_past_the_idle_timeout()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 2);

        for (var i = 0; i < 2; i++)
        {
            api.Clock.Advance(TimeSpan.FromMinutes(4));
            QueueReads.AssertWaiting(await client.StatusAsync(tokens[1]), position: 1);
        }

        api.Clock.Advance(TimeSpan.FromMinutes(1));
        await api.AdmitAsync();
        QueueReads.AssertWaiting(await client.StatusAsync(tokens[1]), position: 1);
        Assert.Equal(QueueTokenStatus.Waiting, (await api.TokensAsync())[1].Status);

        await client.LeaveAsync(tokens[0]);
        await api.AdmitAsync();
        QueueReads.AssertActive(await client.StatusAsync(tokens[1]));
    }

    [Fact]
    public async Task Gated_endpoint_answers_every_401_and_403_code()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var client = api.Client;
        var tokens = await JoinManyAsync(client, 2); // [0] active, [1] waiting

        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, token: null)).AssertProblemAsync(401, "queue_token_missing");
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, "garbage")).AssertProblemAsync(401, "queue_token_invalid");
        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[1])).AssertProblemAsync(403, "queue_token_waiting");
        await (await client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules/1/seats", tokens[1]))
            .AssertProblemAsync(403, "queue_token_waiting");
        await (await client.HoldAsync(tokens[1], 1)).AssertProblemAsync(403, "queue_token_waiting");
        Assert.Equal(HttpStatusCode.OK, (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[0])).StatusCode);

        await client.LeaveAsync(tokens[0]);
        await api.AdmitAsync();

        await (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[0])).AssertProblemAsync(403, "queue_token_expired");
        await (await client.HoldAsync(tokens[0], 1)).AssertProblemAsync(403, "queue_token_expired");
        Assert.Equal(HttpStatusCode.OK, (await client.SendWithTokenAsync(HttpMethod.Get, Gated, tokens[1])).StatusCode);
        // The refused holds left seat 1 as it was.
        var seats = await (await client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules/1/seats", tokens[1])).JsonAsync();
        Assert.Equal("available", seats.EnumerateArray().Single(s => s.GetProperty("id").GetInt64() == 1).GetProperty("status").GetString());
    }

    private static async Task<string[]> JoinManyAsync(HttpClient client, int count)
    {
        var tokens = new string[count];
        for (var i = 0; i < count; i++)
        {
            tokens[i] = (await client.NewUserJoinsAsync()).Status.Token();
        }

        return tokens;
    }

    /// <summary>Moves the clock by <paramref name="total"/> in steps of at most 4 minutes, polling the given
    /// waiting tokens after each step, as a waiting client would.</summary>
    private static async Task AdvanceWhilePollingAsync(TestApi api, string[] waiting, TimeSpan total)
    {
        var step = TimeSpan.FromMinutes(4);
        while (total > TimeSpan.Zero)
        {
            var by = total < step ? total : step;
            api.Clock.Advance(by);
            total -= by;
            foreach (var token in waiting)
            {
                Assert.Equal("waiting", (await api.Client.StatusAsync(token)).State());
            }
        }
    }
}
