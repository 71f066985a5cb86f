using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Concerts;

/// <summary>
/// Schedules and seats are for active tokens only: a waiting token is turned away until it is admitted, and an
/// active one stops working the moment its window ends. Each test has its own host (a tiny queue, or a moved clock).
/// </summary>
public sealed class ConcertAccessTests
{
    private static readonly string[] GatedUrls = ["/api/concerts/1/schedules", "/api/concerts/1/schedules/1/seats"];

    [Fact]
    public async Task Waiting_token_is_refused_until_it_is_admitted()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var (_, first) = await api.Client.ActiveUserAsync("First");
        var secondId = await api.Client.CreateUserAsync("Second");
        var second = await api.Client.JoinQueueAsync(secondId);
        Assert.Equal("waiting", second.GetProperty("status").GetString());
        var waiting = second.GetProperty("token").GetString()!;

        foreach (var url in GatedUrls)
        {
            await (await api.Client.SendWithTokenAsync(HttpMethod.Get, url, waiting)).AssertProblemAsync(403, "queue_token_waiting");
            await api.Client.GetOkAsync(url, first);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await api.Client.LeaveQueueAsync(first)).StatusCode);
        await api.AdmitAsync();

        Assert.Equal("active", await api.Client.QueueStatusAsync(waiting));
        foreach (var url in GatedUrls)
        {
            await api.Client.GetOkAsync(url, waiting);
        }
    }

    [Fact]
    public async Task Active_token_is_refused_from_the_end_of_its_window()
    {
        await using var api = await TestApi.StartAsync();
        var activatedAt = api.AlignClock();
        var (_, token) = await api.Client.ActiveUserAsync();
        var status = await api.Client.GetOkAsync("/api/queue/tokens/current", token);
        var expiresAt = BookingCalls.AssertIsoUtc(status.GetProperty("expiresAt"));
        Assert.Equal(activatedAt + TimeSpan.FromMinutes(10), expiresAt);

        api.Clock.SetUtcNow(expiresAt.AddTicks(-10));
        foreach (var url in GatedUrls)
        {
            await api.Client.GetOkAsync(url, token);
        }

        api.Clock.SetUtcNow(expiresAt);
        foreach (var url in GatedUrls)
        {
            await (await api.Client.SendWithTokenAsync(HttpMethod.Get, url, token)).AssertProblemAsync(403, "queue_token_expired");
        }

        Assert.Equal("expired", await api.Client.QueueStatusAsync(token));
    }
}
