using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>What a balance looks like from outside (HTTP) and inside (every history row in the database).</summary>
public static class BalanceReads
{
    public static async Task<JsonElement[]> HistoryAsync(this HttpClient client, long userId, int limit = 100)
    {
        var response = await client.GetAsync($"/api/users/{userId}/balance/history?limit={limit}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToArray();
    }

    /// <summary>Every history row of the user, oldest first, past the API's page limit of 100.</summary>
    public static Task<List<(long Amount, long BalanceAfter)>> AllEntriesAsync(this TestApi api, long userId) =>
        api.InScopeAsync(async sp => (await sp.GetRequiredService<IConcertDbContext>().BalanceEntries.AsNoTracking()
                .Where(e => e.UserId == userId)
                .OrderBy(e => e.Id)
                .Select(e => new { e.Amount, e.BalanceAfter })
                .ToListAsync())
            .Select(e => (e.Amount, e.BalanceAfter))
            .ToList());

    /// <summary>Charges 1,000,000 at a time until the balance is <paramref name="target"/> (a multiple of it).</summary>
    public static async Task ChargeUpToAsync(this HttpClient client, long userId, long target)
    {
        var balance = await client.BalanceAsync(userId);
        while (balance < target)
        {
            balance = await client.ChargeAsync(userId, Math.Min(1_000_000, target - balance));
        }

        Assert.Equal(target, balance);
    }
}
