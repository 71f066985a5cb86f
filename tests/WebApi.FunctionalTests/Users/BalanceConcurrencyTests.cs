using System.Net;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>Charges racing on one account: none is lost, and together they never pass the 100,000,000 cap.</summary>
public sealed class BalanceConcurrencyTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    [Fact]
    public async Task Hundred_concurrent_charges_all_land_exactly_once()
    {
        var userId = await _api.Client.CreateUserAsync();

        var responses = await RaceChargesAsync(userId, count: 100, amount: 1_000);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        // Each charge saw the balance the previous one left: the balances answered are exactly 1,000 .. 100,000.
        Assert.Equal(Enumerable.Range(1, 100).Select(i => i * 1_000L), responses.Select(r => r.Balance!.Value).Order());
        Assert.Equal(100_000, await _api.Client.BalanceAsync(userId));
        var history = await _api.Client.HistoryAsync(userId, 100);
        Assert.Equal(100, history.Length);
        Assert.All(history, e => Assert.Equal(1_000, e.GetProperty("amount").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => i * 1_000L).Reverse(), history.Select(e => e.GetProperty("balanceAfter").GetInt64()));
        var all = await _api.AllEntriesAsync(userId);
        Assert.Equal(100, all.Count);
        Assert.Equal(100_000, all.Sum(e => e.Amount));
    }

    [Fact]
    public async Task Concurrent_charges_racing_the_cap_never_pass_it()
    {
        var userId = await _api.Client.CreateUserAsync();
        await _api.Client.ChargeUpToAsync(userId, 99_000_000);

        var responses = await RaceChargesAsync(userId, count: 20, amount: 100_000);

        var succeeded = responses.Where(r => r.Status == HttpStatusCode.OK).ToArray();
        var refused = responses.Where(r => r.Status != HttpStatusCode.OK).ToArray();
        Assert.Equal(10, succeeded.Length);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => 99_000_000L + (i * 100_000L)), succeeded.Select(r => r.Balance!.Value).Order());
        Assert.Equal(10, refused.Length);
        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            Assert.Equal("balance_limit_exceeded", r.Code);
        });
        Assert.Equal(100_000_000, await _api.Client.BalanceAsync(userId));
        var all = await _api.AllEntriesAsync(userId);
        Assert.Equal(99 + 10, all.Count);
        Assert.Equal(100_000_000, all.Sum(e => e.Amount));
        Assert.Equal(100_000_000, all[^1].BalanceAfter);
        Assert.All(all.TakeLast(10), e => Assert.Equal(100_000, e.Amount));
    }

    private async Task<Outcome[]> RaceChargesAsync(long userId, int count, long amount)
    {
        var clients = Enumerable.Range(0, 10).Select(_ => _api.CreateClient()).ToArray();
        try
        {
            return await BookingCalls.RaceAsync(count, async i =>
            {
                var response = await clients[i % clients.Length]
                    .PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount });
                var body = await response.JsonAsync();
                return response.StatusCode == HttpStatusCode.OK
                    ? new Outcome(response.StatusCode, body.GetProperty("balance").GetInt64(), null)
                    : new Outcome(response.StatusCode, null, body.GetProperty("code").GetString());
            });
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private sealed record Outcome(HttpStatusCode Status, long? Balance, string? Code);
}
