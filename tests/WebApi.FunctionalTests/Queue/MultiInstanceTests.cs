using System.Net;
using System.Net.Http.Json;
using Concert.Domain.Queue;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Concert.WebApi.FunctionalTests.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// Two service instances on one database, as in production behind a load balancer: the cap, FIFO admission, one
/// live token per user and every charge hold across instances, not only within one.
/// </summary>
public sealed class MultiInstanceTests
{
    [Fact]
    public async Task Two_instances_admitting_at_once_activate_exactly_the_cap_and_the_earliest_waiters()
    {
        const int cap = 50;
        Action<TestApiOptions> options = o =>
        {
            o.MaxActiveTokens = cap;
            o.Settings["Queue:ActiveTokenLifetime"] = "00:01:00"; // so the first 50 lapse while the waiters stay
        };
        await using var first = await TestApi.StartAsync(options);
        await using var second = await first.StartSiblingAsync(options);
        HttpClient[] clients = [first.Client, second.Client];

        // Fill every slot, then 200 more join (through both instances) and wait.
        await ForEachAsync(Enumerable.Range(0, cap), async (i, client) => await client.NewUserJoinsAsync(), clients);
        var waiters = await ForEachAsync(Enumerable.Range(0, 200), async (i, client) => (await client.NewUserJoinsAsync()).Status, clients);
        Assert.All(waiters, w => Assert.Equal("waiting", w.State()));
        var joinOrder = (await first.TokensAsync()).Where(t => t.Status == QueueTokenStatus.Waiting).Select(t => t.Token).ToArray();
        Assert.Equal(200, joinOrder.Length);

        first.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1)); // one clock: the sibling shares it

        var admitted = await BookingCalls.RaceAsync(6, i => (i % 2 == 0 ? first : second).AdmitAsync());

        Assert.Equal(cap, admitted.Sum());
        var rows = await second.TokensAsync();
        var active = rows.Where(t => t.Status == QueueTokenStatus.Active).Select(t => t.Token).ToArray();
        Assert.Equal(joinOrder.Take(cap), active);
        Assert.Equal(joinOrder.Skip(cap), rows.Where(t => t.Status == QueueTokenStatus.Waiting).Select(t => t.Token));
        Assert.Equal(cap, rows.Count(t => t.Status == QueueTokenStatus.Expired));
        // Both instances tell the same story, once each has read the line again (about a second).
        await first.ReadLineAsync();
        await second.ReadLineAsync();
        QueueReads.AssertActive(await first.Client.StatusAsync(joinOrder[0]), first.Clock.GetUtcNow(), TimeSpan.FromMinutes(1));
        QueueReads.AssertActive(await second.Client.StatusAsync(joinOrder[cap - 1]), first.Clock.GetUtcNow(), TimeSpan.FromMinutes(1));
        QueueReads.AssertWaiting(await second.Client.StatusAsync(joinOrder[cap]), position: 1);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(joinOrder[cap + 1]), position: 2);
    }

    [Fact]
    public async Task Concurrent_joins_by_one_user_through_two_instances_issue_one_token()
    {
        await using var first = await TestApi.StartAsync();
        await using var second = await first.StartSiblingAsync();
        var userId = await first.Client.CreateUserAsync();
        var clients = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).CreateClient()).ToArray();

        var results = await BookingCalls.RaceAsync(20, i => clients[i % clients.Length].JoinAsync(userId));

        Assert.Single(results, r => r.Code == HttpStatusCode.Created);
        Assert.Single(results.Select(r => r.Status.Token()).Distinct());
        Assert.All(results, r => QueueReads.AssertActive(r.Status));
        Assert.Single(await first.TokensAsync());
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Concurrent_charges_through_two_instances_all_land_and_never_pass_the_cap()
    {
        await using var first = await TestApi.StartAsync();
        await using var second = await first.StartSiblingAsync();
        var userId = await first.Client.CreateUserAsync();
        await first.Client.ChargeUpToAsync(userId, 98_000_000);
        var clients = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).CreateClient()).ToArray();

        var results = await BookingCalls.RaceAsync(40, async i =>
        {
            var response = await clients[i % clients.Length].PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount = 100_000 });
            return (response.StatusCode, Code: response.IsSuccessStatusCode ? null : (await response.JsonAsync()).GetProperty("code").GetString());
        });

        Assert.Equal(20, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("balance_limit_exceeded", r.Code);
        });
        Assert.Equal(100_000_000, await second.Client.BalanceAsync(userId));
        var entries = await first.AllEntriesAsync(userId);
        Assert.Equal(98 + 20, entries.Count);
        Assert.Equal(100_000_000, entries.Sum(e => e.Amount));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Each_host_has_its_own_database_on_the_configured_provider_and_a_sibling_shares_it_without_dropping_it()
    {
        await using var first = await TestApi.StartAsync();
        await using var other = await TestApi.StartAsync();
        var userId = await first.Client.CreateUserAsync("Shared");

        await using (var sibling = await first.StartSiblingAsync())
        {
            Assert.Same(first.Database, sibling.Database);
            Assert.Equal(await ConnectionStringAsync(first), await ConnectionStringAsync(sibling));
            Assert.Equal("Shared", (await sibling.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/users/{userId}")).GetProperty("name").GetString());
        }

        Assert.NotEqual(await ConnectionStringAsync(first), await ConnectionStringAsync(other));
        var provider = await first.InScopeAsync(sp => Task.FromResult(sp.GetRequiredService<ConcertDbContext>().Database.ProviderName));
        Assert.Equal(first.Database.IsPostgres ? "Npgsql.EntityFrameworkCore.PostgreSQL" : "Microsoft.EntityFrameworkCore.Sqlite", provider);
        Assert.Equal(HttpStatusCode.OK, (await first.Client.GetAsync($"/api/users/{userId}")).StatusCode);
        Assert.Equal(0, await first.Client.ChargeAsync(userId, 1) - 1);
        if (!first.Database.IsPostgres)
        {
            Assert.True(File.Exists(first.Database.SqlitePath));
        }

        await using var onShared = await TestApi.StartAsync(null, first.Database);
        Assert.Equal(1, await onShared.Client.BalanceAsync(userId));
    }

    private static Task<string?> ConnectionStringAsync(TestApi api) =>
        api.InScopeAsync(sp => Task.FromResult(sp.GetRequiredService<ConcertDbContext>().Database.GetConnectionString()));

    /// <summary>Runs the calls eight at a time over the given clients, in order of <paramref name="items"/>.</summary>
    private static async Task<T[]> ForEachAsync<T>(IEnumerable<int> items, Func<int, HttpClient, Task<T>> call, HttpClient[] clients)
    {
        var results = new List<T>();
        foreach (var batch in items.Chunk(8))
        {
            results.AddRange(await Task.WhenAll(batch.Select(i => call(i, clients[i % clients.Length]))));
        }

        return [.. results];
    }
}
