using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>
/// History and reservations page by <c>limit</c> (1–100, default 50) and <c>before</c> (an id): newest first, only ids
/// below <c>before</c>; walking page after page sees every entry once.
/// </summary>
public sealed class PagingTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    private async Task<JsonElement[]> PageAsync(string url)
    {
        var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    /// <summary>Every item, page by page, each page asked for with the last id of the one before.</summary>
    private async Task<List<JsonElement>> WalkAsync(string path, int limit)
    {
        var all = new List<JsonElement>();
        long? before = null;
        while (true)
        {
            var page = await PageAsync($"{path}?limit={limit}" + (before is { } b ? $"&before={b}" : ""));
            Assert.True(page.Length <= limit);
            Assert.All(page, e => Assert.True(before is null || e.GetProperty("id").GetInt64() < before));
            all.AddRange(page);
            if (page.Length < limit)
            {
                return all;
            }

            before = page[^1].GetProperty("id").GetInt64();
        }
    }

    [Fact]
    public async Task Walking_the_whole_history_by_before_sums_to_the_balance()
    {
        var userId = await Client.CreateUserAsync();
        var other = await Client.CreateUserAsync();
        for (var i = 1; i <= 60; i++)
        {
            await Client.ChargeAsync(userId, i * 100);
            if (i % 10 == 0)
            {
                await Client.ChargeAsync(other, 7);   // interleaved ids of someone else
            }
        }

        var walked = await WalkAsync($"/api/users/{userId}/balance/history", 7);

        var ids = walked.Select(e => e.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(60, ids.Length);
        Assert.Equal(ids.OrderByDescending(i => i), ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(await Client.BalanceAsync(userId), walked.Sum(e => e.GetProperty("amount").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 60).Reverse().Select(i => i * 100L), walked.Select(e => e.GetProperty("amount").GetInt64()));

        // Without a limit a page holds 50; before an id in the middle, only the older ones.
        Assert.Equal(50, (await PageAsync($"/api/users/{userId}/balance/history")).Length);
        var middle = ids[20];
        var older = await PageAsync($"/api/users/{userId}/balance/history?before={middle}");
        Assert.Equal(ids.Skip(21), older.Select(e => e.GetProperty("id").GetInt64()));
        Assert.Empty(await PageAsync($"/api/users/{userId}/balance/history?before={ids[^1]}"));
        Assert.Empty(await PageAsync($"/api/users/{userId}/balance/history?before=1"));
    }

    [Fact]
    public async Task Walking_the_reservations_by_before_sees_each_once_newest_first()
    {
        var (userId, token) = await Client.ActiveUserAsync("Pager");
        var made = new List<long>();
        for (var i = 0; i < 13; i++)
        {
            // Hold and cancel: a cancelled reservation is still listed, and counts against no limit.
            var id = await Client.HoldIdAsync(token, 101 + i);
            Assert.Equal(HttpStatusCode.NoContent, (await Client.CancelAsync(token, id)).StatusCode);
            made.Add(id);
        }

        var walked = await WalkAsync($"/api/users/{userId}/reservations", 5);

        Assert.Equal(Enumerable.Reverse(made), walked.Select(r => r.GetProperty("id").GetInt64()));
        Assert.All(walked, r => Assert.Equal("cancelled", r.GetProperty("status").GetString()));
        Assert.Equal(
            made.Where(id => id < made[5]).Reverse(),
            (await PageAsync($"/api/users/{userId}/reservations?before={made[5]}&limit=100")).Select(r => r.GetProperty("id").GetInt64()));
    }

    public static TheoryData<string, string, string> BadPaging()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var path in new[] { "balance/history", "reservations" })
        {
            foreach (var limit in new[] { "0", "101", "-1", "abc", "1.5", "", "%201" })
            {
                data.Add(path, $"limit={limit}", "limit");
            }

            foreach (var before in new[] { "0", "-5", "abc", "1.5", "1e3", "", "9007199254740992", "99999999999999999999", "0x10" })
            {
                data.Add(path, $"before={before}", "before");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadPaging))]
    public async Task A_bad_limit_or_before_is_400_on_that_field(string path, string query, string field)
    {
        var userId = await Client.CreateUserAsync();

        var response = await Client.GetAsync($"/api/users/{userId}/{path}?{query}");

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("balance/history")]
    [InlineData("reservations")]
    public async Task Paging_an_unknown_user_is_404(string path)
    {
        var response = await Client.GetAsync($"/api/users/999999999/{path}?limit=10&before=5");

        await response.AssertProblemAsync(404, "user_not_found");
    }
}
