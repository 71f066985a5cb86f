using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>The calls most tests make, as a frontend would make them.</summary>
public static class ApiClientExtensions
{
    public const string Password = "correct horse battery";

    /// <summary>A new user, signed up and (by the client's <see cref="SignedInHandler"/>) signed in.</summary>
    public static async Task<long> CreateUserAsync(this HttpClient client, string name = "Kim")
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var response = await client.PostAsJsonAsync("/api/users", new { name, email, password = Password });
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Sign-up failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // The client's SignedInHandler signs the new user in, as a frontend does after sign-up.
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    /// <summary><paramref name="count"/> new users, one after another, named <paramref name="name"/> and their number.</summary>
    public static async Task<List<long>> CreateUsersAsync(this HttpClient client, int count, string name = "Kim")
    {
        var users = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            users.Add(await client.CreateUserAsync($"{name} {i}"));
        }

        return users;
    }

    /// <summary>Signs in; returns the access token (the client's handler also keeps it for that user).</summary>
    public static async Task<string> SignInAsync(this HttpClient client, string email, string password)
    {
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password });
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Sign-in failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    /// <summary>A request sent as <paramref name="userId"/> (with their bearer token).</summary>
    public static HttpRequestMessage As(this HttpRequestMessage request, long userId)
    {
        request.Options.Set(SignedInHandler.AsUser, userId);
        return request;
    }

    /// <summary>A request sent with no bearer token at all.</summary>
    public static HttpRequestMessage Anonymously(this HttpRequestMessage request)
    {
        request.Options.Set(SignedInHandler.Anonymous, true);
        return request;
    }

    public static async Task<long> ChargeAsync(this HttpClient client, long userId, long amount)
    {
        var response = await client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("balance").GetInt64();
    }

    public static async Task<long> BalanceAsync(this HttpClient client, long userId) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/users/{userId}/balance")).GetProperty("balance").GetInt64();

    /// <summary>Joins the queue; returns the status body (token, status, position, ...).</summary>
    public static async Task<JsonElement> JoinQueueAsync(this HttpClient client, long userId)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(userId));
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            throw new HttpRequestException($"Join failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A new user with an active token (the queue must have a free slot).</summary>
    public static async Task<(long UserId, string Token)> ActiveUserAsync(this HttpClient client, string name = "Kim")
    {
        var userId = await client.CreateUserAsync(name);
        var status = await client.JoinQueueAsync(userId);
        if (status.GetProperty("status").GetString() != "active")
        {
            throw new InvalidOperationException($"Expected an active token, got {status}");
        }

        return (userId, status.GetProperty("token").GetString()!);
    }

    public static Task<HttpResponseMessage> SendWithTokenAsync(
        this HttpClient client, HttpMethod method, string url, string? token, object? body = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null)
        {
            request.Headers.Add("Queue-Token", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> HoldAsync(this HttpClient client, string token, long seatId) =>
        client.SendWithTokenAsync(HttpMethod.Post, "/api/reservations", token, new { seatId });

    /// <summary>A checkout of one reservation.</summary>
    public static Task<HttpResponseMessage> PayAsync(this HttpClient client, string token, long reservationId, string? key = null) =>
        client.PayAsync(token, [reservationId], key);

    /// <summary>A checkout of <paramref name="reservationIds"/> together, in this order.</summary>
    public static Task<HttpResponseMessage> PayAsync(this HttpClient client, string token, long[] reservationIds, string? key = null) =>
        client.SendWithTokenAsync(HttpMethod.Post, "/api/payments", token, new { reservationIds }, key);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Asserts a problem+json answer with the status and code, and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True((int)response.StatusCode == status, $"Expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Xunit.Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Xunit.Assert.Equal(code, body.GetProperty("code").GetString());
        Xunit.Assert.Equal(status, body.GetProperty("status").GetInt32());
        Xunit.Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        Xunit.Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("traceId").GetString()));
        Xunit.Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        return body;
    }
}
