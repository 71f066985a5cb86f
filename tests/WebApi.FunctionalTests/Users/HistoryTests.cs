using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>GET /api/users/{id}/balance/history: order, limit, and that the entries always explain the balance.</summary>
public sealed class HistoryTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    [Fact]
    public async Task History_is_newest_first_and_each_entry_carries_the_balance_after_it()
    {
        var userId = await Client.CreateUserAsync();
        long[] amounts = [100, 2_000, 30_000, 400_000, 5];
        foreach (var amount in amounts)
        {
            await Client.ChargeAsync(userId, amount);
        }

        var history = await Client.HistoryAsync(userId);

        Assert.Equal(amounts.Reverse(), history.Select(e => e.GetProperty("amount").GetInt64()));
        var ids = history.Select(e => e.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(ids.OrderByDescending(i => i), ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        var running = amounts.Select((_, i) => amounts.Take(i + 1).Sum()).Reverse();
        Assert.Equal(running, history.Select(e => e.GetProperty("balanceAfter").GetInt64()));
        Assert.All(history, e =>
        {
            Assert.Equal("charge", e.GetProperty("kind").GetString());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("paymentId").ValueKind);
            Assert.Equal(JsonValueKind.String, e.GetProperty("createdAt").ValueKind);
        });
        Assert.Equal(await Client.BalanceAsync(userId), history.Sum(e => e.GetProperty("amount").GetInt64()));
    }

    [Fact]
    public async Task Limit_defaults_to_50_and_takes_1_to_100_newest_entries()
    {
        var userId = await Client.CreateUserAsync();
        for (var i = 1; i <= 101; i++)
        {
            await Client.ChargeAsync(userId, i);
        }

        var byDefault = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{userId}/balance/history");
        Assert.Equal(Enumerable.Range(52, 50).Reverse().Select(i => (long)i),
            byDefault.EnumerateArray().Select(e => e.GetProperty("amount").GetInt64()));

        Assert.Equal([101L], (await Client.HistoryAsync(userId, 1)).Select(e => e.GetProperty("amount").GetInt64()));
        Assert.Equal([101L, 100L, 99L], (await Client.HistoryAsync(userId, 3)).Select(e => e.GetProperty("amount").GetInt64()));
        var hundred = await Client.HistoryAsync(userId, 100);
        Assert.Equal(Enumerable.Range(2, 100).Reverse().Select(i => (long)i), hundred.Select(e => e.GetProperty("amount").GetInt64()));

        var all = await _api.AllEntriesAsync(userId);
        Assert.Equal(101, all.Count);
        Assert.Equal(await Client.BalanceAsync(userId), all.Sum(e => e.Amount));
        Assert.Equal(101 * 102 / 2, all.Sum(e => e.Amount));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("1e1")]
    [InlineData("99999999999")]
    [InlineData("%201")]
    [InlineData("0x10")]
    public async Task Limit_outside_1_to_100_is_400_on_limit(string limit)
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 1_000);

        var response = await Client.GetAsync($"/api/users/{userId}/balance/history?limit={limit}");

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").GetProperty("limit").GetArrayLength() > 0);
    }

    [Fact]
    public async Task A_bad_limit_for_an_unknown_user_is_400_because_the_shape_is_checked_first()
    {
        var response = await Client.GetAsync("/api/users/999999999/balance/history?limit=0");

        await response.AssertProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task History_of_an_unknown_user_is_404_user_not_found()
    {
        var response = await Client.GetAsync("/api/users/999999999/balance/history?limit=10");

        await response.AssertProblemAsync(404, "user_not_found");
    }

    [Fact]
    public async Task History_of_one_user_never_shows_another_users_entries()
    {
        var mine = await Client.CreateUserAsync();
        var theirs = await Client.CreateUserAsync();
        await Client.ChargeAsync(mine, 1_000);
        await Client.ChargeAsync(theirs, 7_000);
        await Client.ChargeAsync(mine, 2_000);

        var history = await Client.HistoryAsync(mine);

        Assert.Equal([2_000L, 1_000L], history.Select(e => e.GetProperty("amount").GetInt64()));
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/api/users/{theirs}/balance/history")).StatusCode);
        Assert.Equal(7_000, await Client.BalanceAsync(theirs));
    }
}
