using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>POST /api/users/{id}/balance/charges: every answer, and the balance and history it leaves.</summary>
public sealed class ChargeTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const long Cap = 100_000_000;

    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    [Fact]
    public async Task Charge_answers_200_with_the_new_balance_and_writes_one_history_entry()
    {
        var userId = await Client.CreateUserAsync();

        var response = await Client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount = 50_000 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(userId, body.GetProperty("userId").GetInt64());
        Assert.Equal(50_000, body.GetProperty("balance").GetInt64());
        Assert.Equal(2, body.EnumerateObject().Count());
        Assert.Equal(50_000, await Client.BalanceAsync(userId));

        var entry = Assert.Single(await Client.HistoryAsync(userId));
        Assert.True(entry.GetProperty("id").GetInt64() > 0);
        Assert.Equal("charge", entry.GetProperty("kind").GetString());
        Assert.Equal(50_000, entry.GetProperty("amount").GetInt64());
        Assert.Equal(50_000, entry.GetProperty("balanceAfter").GetInt64());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("paymentId").ValueKind);
        var createdAt = entry.GetProperty("createdAt").GetString()!;
        Assert.EndsWith("Z", createdAt, StringComparison.Ordinal);
        Assert.True(Math.Abs((DateTimeOffset.Parse(createdAt, System.Globalization.CultureInfo.InvariantCulture) - _api.Clock.GetUtcNow()).TotalSeconds) < 1,
            $"createdAt {createdAt} is the service's (fake) clock {_api.Clock.GetUtcNow():O}");
    }

    [Fact]
    public async Task Charges_add_up_and_the_limits_1_and_1_000_000_are_accepted()
    {
        var userId = await Client.CreateUserAsync();

        Assert.Equal(1, await Client.ChargeAsync(userId, 1));
        Assert.Equal(1_000_001, await Client.ChargeAsync(userId, 1_000_000));
        Assert.Equal(1_050_001, await Client.ChargeAsync(userId, 50_000));

        Assert.Equal(1_050_001, await Client.BalanceAsync(userId));
        var history = await Client.HistoryAsync(userId);
        Assert.Equal([50_000L, 1_000_000L, 1L], history.Select(e => e.GetProperty("amount").GetInt64()));
        Assert.Equal([1_050_001L, 1_000_001L, 1L], history.Select(e => e.GetProperty("balanceAfter").GetInt64()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-50_000)]
    [InlineData(1_000_001)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public async Task Amount_out_of_range_is_400_on_amount_and_changes_nothing(long amount)
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 10_000);

        var response = await Client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount });

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").GetProperty("amount").GetArrayLength() > 0);
        Assert.Equal(10_000, await Client.BalanceAsync(userId));
        Assert.Single(await Client.HistoryAsync(userId));
    }

    [Fact]
    public async Task Charge_to_an_unknown_user_is_404_user_not_found()
    {
        var response = await Client.PostAsJsonAsync("/api/users/999999999/balance/charges", new { amount = 1_000 });

        await response.AssertProblemAsync(404, "user_not_found");
    }

    [Fact]
    public async Task An_invalid_amount_for_an_unknown_user_is_400_because_the_shape_is_checked_first()
    {
        var response = await Client.PostAsJsonAsync("/api/users/999999999/balance/charges", new { amount = 0 });

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty("amount", out _));
    }

    [Fact]
    public async Task Charge_that_would_pass_100_000_000_is_409_and_changes_nothing_while_reaching_it_exactly_is_fine()
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeUpToAsync(userId, 99_000_000);
        Assert.Equal(99_500_000, await Client.ChargeAsync(userId, 500_000));
        var historyBefore = (await Client.HistoryAsync(userId)).Select(e => e.GetRawText()).ToArray();

        var over = await Client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount = 500_001 });

        await over.AssertProblemAsync(409, "balance_limit_exceeded");
        Assert.Equal(99_500_000, await Client.BalanceAsync(userId));
        Assert.Equal(historyBefore, (await Client.HistoryAsync(userId)).Select(e => e.GetRawText()));

        Assert.Equal(Cap, await Client.ChargeAsync(userId, 500_000));

        var atCap = await Client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount = 1 });
        await atCap.AssertProblemAsync(409, "balance_limit_exceeded");
        Assert.Equal(Cap, await Client.BalanceAsync(userId));
        var entries = await _api.AllEntriesAsync(userId);
        Assert.Equal(101, entries.Count);
        Assert.Equal(Cap, entries.Sum(e => e.Amount));
        Assert.Equal(Cap, entries[^1].BalanceAfter);
    }
}
