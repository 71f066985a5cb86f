using System.Net;
using Concert.Domain.Queue;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>Joins, leaves and admission passes racing: one live token per user, the cap holds, FIFO holds.</summary>
public sealed class QueueConcurrencyTests
{
    [Fact]
    public async Task Twenty_concurrent_joins_by_one_user_issue_exactly_one_token()
    {
        await using var api = await TestApi.StartAsync();
        var userId = await api.Client.CreateUserAsync();

        var results = await RaceAsync(api, 20, (client, _) => client.JoinAsync(userId));

        Assert.Single(results, r => r.Code == HttpStatusCode.Created);
        Assert.Equal(19, results.Count(r => r.Code == HttpStatusCode.OK));
        var token = Assert.Single(results.Select(r => r.Status.Token()).Distinct());
        Assert.All(results, r => QueueReads.AssertActive(r.Status));
        var row = Assert.Single(await api.TokensAsync());
        Assert.Equal(token, row.Token);
        Assert.Equal(QueueTokenStatus.Active, row.Status);
    }

    [Fact]
    public async Task Twenty_concurrent_joins_by_one_user_issue_one_waiting_token_when_the_queue_is_full()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await api.Client.NewUserJoinsAsync();
        var userId = await api.Client.CreateUserAsync();

        var results = await RaceAsync(api, 20, (client, _) => client.JoinAsync(userId));

        Assert.Single(results, r => r.Code == HttpStatusCode.Created);
        Assert.Single(results.Select(r => r.Status.Token()).Distinct());
        Assert.All(results, r => QueueReads.AssertWaiting(r.Status, position: 1));
        Assert.Single(await api.TokensAsync(), t => t.UserId == userId);
    }

    [Fact]
    public async Task A_waiting_token_leaving_while_it_is_admitted_never_loses_the_slot()
    {
        // The holder of the one slot leaves (admitting the next) at the moment the next leaves too: whichever wins,
        // the leave of a token admitted under it must hand the slot on at once (no worker runs here).
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var holder = (await api.Client.NewUserJoinsAsync()).Status.Token();
        for (var round = 0; round < 25; round++)
        {
            var next = (await api.Client.NewUserJoinsAsync()).Status.Token();
            var after = (await api.Client.NewUserJoinsAsync()).Status.Token();

            var leaves = await RaceAsync(api, 2, (client, i) => client.LeaveQueueAsync(i == 0 ? holder : next));

            Assert.All(leaves, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
            var rows = await api.TokensAsync();
            var active = Assert.Single(rows, r => r.Status == QueueTokenStatus.Active);
            Assert.Equal(after, active.Token);
            Assert.DoesNotContain(rows, r => r.Status == QueueTokenStatus.Waiting);
            holder = after;
        }
    }

    [Fact]
    public async Task Racing_joiners_leavers_and_admission_passes_keep_the_cap_and_admit_in_join_order()
    {
        const int cap = 5;
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = cap);
        var users = await api.Client.CreateUsersAsync(30);

        var joins = await RaceAsync(api, users.Count, (client, i) => client.JoinAsync(users[i]));

        Assert.All(joins, j => Assert.Equal(HttpStatusCode.Created, j.Code));
        var rows = await AssertInvariantsAsync(api, cap);
        Assert.Equal(cap, rows.Count(r => r.Status == QueueTokenStatus.Active));
        // Every waiting token's position is its place in join order among the waiting, once the instance has read
        // the line after the race (a copy read mid-race may put a place high for up to a second, never low).
        await api.ReadLineAsync();
        var waiting = rows.Where(r => r.Status == QueueTokenStatus.Waiting).ToArray();
        for (var i = 0; i < waiting.Length; i++)
        {
            QueueReads.AssertWaiting(await api.Client.StatusAsync(waiting[i].Token), position: i + 1);
        }

        // Rounds: three active tokens leave while a newcomer joins and two admission passes run, all at once.
        for (var round = 0; (await api.TokensAsync()).Any(r => r.Status == QueueTokenStatus.Waiting); round++)
        {
            Assert.True(round < 40, "the queue drains");
            api.Clock.Advance(TimeSpan.FromSeconds(1));
            var leaving = (await api.TokensAsync()).Where(r => r.Status == QueueTokenStatus.Active).Take(3).Select(r => r.Token).ToArray();
            var newcomer = await api.Client.CreateUserAsync();
            string? newToken = null;
            await RaceAsync(api, leaving.Length + 3, async (client, i) =>
            {
                if (i < leaving.Length)
                {
                    await client.LeaveAsync(leaving[i]);
                }
                else if (i == leaving.Length)
                {
                    newToken = (await client.JoinAsync(newcomer)).Status.GetProperty("token").GetString();
                }
                else
                {
                    await api.AdmitAsync();
                }

                return true;
            });

            // Each leave runs an admission pass of its own after its expiry commits, so the last of those passes sees
            // every slot the round freed, and nobody who was in line before the round is left waiting beside a free
            // slot. The newcomer may be: its insert can land after every pass has read the line, and a join whose
            // instance last saw the room full with a line leaves a slot freed since to the worker's next pass (within
            // Queue:AdmissionInterval). That pass, then the room is full again.
            var afterRace = await AssertInvariantsAsync(api, cap, filled: false);
            var live = afterRace.Count(r => r.Status != QueueTokenStatus.Expired);
            if (afterRace.Count(r => r.Status == QueueTokenStatus.Active) < Math.Min(cap, live))
            {
                Assert.Equal([newToken!], afterRace.Where(r => r.Status == QueueTokenStatus.Waiting).Select(r => r.Token));
            }

            await api.AdmitAsync();
            await AssertInvariantsAsync(api, cap);
        }

        var final = await api.TokensAsync();
        Assert.All(final, r => Assert.NotNull(r.ActivatedAt));
    }

    /// <summary>
    /// The cap holds, the ever-admitted tokens are exactly a prefix of the join order, and they were admitted
    /// in that order (activation times never go down along it).
    /// </summary>
    private static async Task<List<TokenRow>> AssertInvariantsAsync(TestApi api, int cap, bool filled = true)
    {
        var rows = await api.TokensAsync();
        var active = rows.Count(r => r.Status == QueueTokenStatus.Active);
        Assert.True(active <= cap, $"{active} active tokens, cap {cap}");
        var admitted = rows.TakeWhile(r => r.ActivatedAt is not null).Count();
        Assert.True(rows.Skip(admitted).All(r => r.ActivatedAt is null),
            $"admitted out of join order: {string.Join(" ", rows.Select(r => $"{r.Id}:{r.Status}:{(r.ActivatedAt is null ? "-" : "A")}"))}");
        var times = rows.Take(admitted).Select(r => r.ActivatedAt!.Value).ToArray();
        Assert.Equal(times.Order(), times);
        if (filled)
        {
            var live = rows.Count(r => r.Status != QueueTokenStatus.Expired);
            Assert.Equal(Math.Min(cap, live), active);
        }

        return rows;
    }

    /// <summary>Runs <paramref name="count"/> calls released together, spread over several clients.</summary>
    private static async Task<T[]> RaceAsync<T>(TestApi api, int count, Func<HttpClient, int, Task<T>> call)
    {
        var clients = Enumerable.Range(0, Math.Min(count, 8)).Select(_ => api.CreateClient()).ToArray();
        try
        {
            return await BookingCalls.RaceAsync(count, i => call(clients[i % clients.Length], i));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
