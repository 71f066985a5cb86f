using System.Net;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>
/// ASP.NET Core's rate limiter for sign-ups and sign-ins per client address, JoinRateLimiter for joins per user; over a limit 429
/// rate_limited with Retry-After. The test host is its own proxy (127.0.0.1 configured as known), so a test can
/// speak for several addresses through X-Forwarded-For.
/// </summary>
public sealed class RateLimitTests
{
    private static Task<TestApi> StartAsync(int signUps = 3, int joins = 2, string window = "00:00:02", bool trustLoopback = true) =>
        TestApi.StartAsync(o =>
        {
            o.Settings["RateLimits:Enabled"] = "true";
            o.Settings["RateLimits:SignUps"] = signUps.ToString(System.Globalization.CultureInfo.InvariantCulture);
            o.Settings["RateLimits:SignIns"] = "1000";
            o.Settings["RateLimits:Joins"] = joins.ToString(System.Globalization.CultureInfo.InvariantCulture);
            o.Settings["RateLimits:Window"] = window;
            if (trustLoopback)
            {
                o.Settings["RateLimits:KnownProxies:0"] = "127.0.0.1";
            }
        });

    private static Task<HttpResponseMessage> SignUpFromAsync(HttpClient client, string? address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/users")
        {
            Content = JsonContent.Create(new { name = "Kim", email = $"{Guid.NewGuid():N}@example.com", password = ApiClientExtensions.Password }),
        };
        if (address is not null)
        {
            request.Headers.Add("X-Forwarded-For", address);
        }

        return client.SendAsync(request);
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(429, "rate_limited");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.True(response.Headers.RetryAfter!.Delta!.Value >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task The_sign_up_over_the_limit_from_one_address_is_429_and_another_address_is_not_affected()
    {
        await using var api = await StartAsync(signUps: 3, window: "00:10:00");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SignUpFromAsync(api.Client, "203.0.113.7")).StatusCode);
        }

        await AssertRateLimitedAsync(await SignUpFromAsync(api.Client, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.Created, (await SignUpFromAsync(api.Client, "198.51.100.9")).StatusCode);
    }

    [Fact]
    public async Task When_the_window_has_passed_the_address_may_sign_up_again()
    {
        await using var api = await StartAsync(signUps: 1, window: "00:00:02");

        // Conditions, never fixed times: first be refused (the window's one permit is used)...
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpResponseMessage refused;
        do
        {
            refused = await SignUpFromAsync(api.Client, "203.0.113.8");
        }
        while (refused.StatusCode != HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);

        await AssertRateLimitedAsync(refused);

        // ...then wait for the window to turn over.
        HttpResponseMessage again;
        do
        {
            again = await SignUpFromAsync(api.Client, "203.0.113.8");
        }
        while (again.StatusCode == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task Without_a_known_proxy_X_Forwarded_For_is_ignored()
    {
        await using var api = await StartAsync(signUps: 2, window: "00:10:00", trustLoopback: false);
        Assert.Equal(HttpStatusCode.Created, (await SignUpFromAsync(api.Client, "203.0.113.1")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SignUpFromAsync(api.Client, "203.0.113.2")).StatusCode);

        // Every request came from 127.0.0.1 whatever it claimed: the third is over the limit.
        await AssertRateLimitedAsync(await SignUpFromAsync(api.Client, "203.0.113.3"));
    }

    [Fact]
    public async Task Joins_are_limited_per_user()
    {
        await using var api = await StartAsync(signUps: 100, joins: 2, window: "00:10:00");
        var kim = await api.Client.CreateUserAsync("Kim");
        var lee = await api.Client.CreateUserAsync("Lee");
        await api.Client.JoinQueueAsync(kim);
        await api.Client.JoinQueueAsync(kim);

        var third = await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(kim));

        await AssertRateLimitedAsync(third);
        Assert.Equal(HttpStatusCode.Created, (await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(lee))).StatusCode);
    }

    [Fact]
    public async Task Switched_off_there_is_no_limit()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.Settings["RateLimits:SignUps"] = "1";
            o.Settings["RateLimits:Joins"] = "1";
        });
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SignUpFromAsync(api.Client, null)).StatusCode);
        }

        var kim = await api.Client.CreateUserAsync("Kim");
        for (var i = 0; i < 3; i++)
        {
            var join = await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(kim));
            Assert.True(join.IsSuccessStatusCode, $"join {i + 1}: {join.StatusCode}");
        }
    }
}
