using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests;

public sealed class BalanceSmokeTests
{
    [Fact]
    public async Task Charge_then_read_balance_and_history()
    {
        await using var api = await TestApi.StartAsync();
        var userId = await api.Client.CreateUserAsync("Lee");

        Assert.Equal(50_000, await api.Client.ChargeAsync(userId, 50_000));
        Assert.Equal(50_000, await api.Client.BalanceAsync(userId));
        var history = await api.Client.GetFromJsonAsync<JsonElement>($"/api/users/{userId}/balance/history");
        var entry = Assert.Single(history.EnumerateArray());
        Assert.Equal("charge", entry.GetProperty("kind").GetString());
        Assert.Equal(50_000, entry.GetProperty("balanceAfter").GetInt64());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("paymentId").ValueKind);
    }

    [Fact]
    public async Task Concurrent_charges_all_land_exactly()
    {
        await using var api = await TestApi.StartAsync();
        var userId = await api.Client.CreateUserAsync();
        using var gate = new SemaphoreSlim(0);
        var clients = Enumerable.Range(0, 10).Select(_ => api.CreateClient()).ToArray();
        var tasks = Enumerable.Range(0, 100).Select(async i =>
        {
            await gate.WaitAsync();
            return await clients[i % clients.Length].PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount = 1_000 });
        }).ToArray();
        gate.Release(100);
        var responses = await Task.WhenAll(tasks);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(100_000, await api.Client.BalanceAsync(userId));
        var history = await api.Client.GetFromJsonAsync<JsonElement>($"/api/users/{userId}/balance/history?limit=100");
        Assert.Equal(100, history.GetArrayLength());
        Assert.Equal(100_000, history.EnumerateArray().Sum(e => e.GetProperty("amount").GetInt64()));
    }
}
