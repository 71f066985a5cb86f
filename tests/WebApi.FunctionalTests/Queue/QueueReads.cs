using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Queue;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>A token as the database holds it; <see cref="Id"/> is the join order.</summary>
public sealed record TokenRow(long Id, string Token, long UserId, QueueTokenStatus Status, DateTime? ActivatedAt);

/// <summary>Reading the queue from outside (QueueStatus over HTTP) and inside (the token rows).</summary>
public static partial class QueueReads
{
    public static readonly TimeSpan ActiveLifetime = TimeSpan.FromMinutes(10);

    private static readonly string[] Members =
        ["token", "userId", "status", "position", "estimatedWaitSeconds", "activatedAt", "expiresAt", "opensAt", "pollAfterSeconds"];

    public static async Task<JsonElement> StatusAsync(this HttpClient client, string token)
    {
        var response = await client.SendWithTokenAsync(HttpMethod.Get, "/api/queue/tokens/current", token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET current: {(int)response.StatusCode} {body}");
        var status = JsonDocument.Parse(body).RootElement;
        AssertShape(status);
        Assert.Equal(token, status.GetProperty("token").GetString());
        return status;
    }

    public static async Task LeaveAsync(this HttpClient client, string token)
    {
        var response = await client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", token);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>A new user joins; returns the answer's status code and body.</summary>
    public static async Task<(HttpStatusCode Code, JsonElement Status)> JoinAsync(this HttpClient client, long userId)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens").As(userId));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"join: {(int)response.StatusCode} {body}");
        var status = JsonDocument.Parse(body).RootElement;
        AssertShape(status);
        Assert.Equal(userId, status.GetProperty("userId").GetInt64());
        return (response.StatusCode, status);
    }

    public static async Task<(long UserId, JsonElement Status)> NewUserJoinsAsync(this HttpClient client)
    {
        var userId = await client.CreateUserAsync();
        var (code, status) = await client.JoinAsync(userId);
        Assert.Equal(HttpStatusCode.Created, code);
        return (userId, status);
    }

    public static string Token(this JsonElement status) => status.GetProperty("token").GetString()!;

    public static string State(this JsonElement status) => status.GetProperty("status").GetString()!;

    public static long Position(this JsonElement status) => status.GetProperty("position").GetInt64();

    /// <summary>Every member of QueueStatus is present, and nothing else.</summary>
    public static void AssertShape(JsonElement status) =>
        Assert.Equal(Members.Order(), status.EnumerateObject().Select(p => p.Name).Order());

    /// <summary>Active since <paramref name="activatedAt"/> (when given), for the lifetime (default 10 minutes),
    /// with no waiting data.</summary>
    public static DateTimeOffset AssertActive(JsonElement status, DateTimeOffset? activatedAt = null, TimeSpan? lifetime = null)
    {
        Assert.Equal("active", status.State());
        AssertToken(status.Token());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("position").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("estimatedWaitSeconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("pollAfterSeconds").ValueKind);
        var activated = Timestamp(status, "activatedAt");
        var expires = Timestamp(status, "expiresAt");
        if (activatedAt is { } expected)
        {
            AssertSameInstant(expected, activated);
        }

        AssertSameInstant(activated + (lifetime ?? ActiveLifetime), expires);
        return activated;
    }

    /// <summary>Waiting at <paramref name="position"/>, with integer advice and no active window.</summary>
    public static void AssertWaiting(JsonElement status, long position)
    {
        Assert.Equal("waiting", status.State());
        AssertToken(status.Token());
        Assert.Equal(position, status.Position());
        var wait = status.GetProperty("estimatedWaitSeconds");
        Assert.Equal(JsonValueKind.Number, wait.ValueKind);
        Assert.True(wait.TryGetInt32(out var seconds) && seconds >= 0, $"estimatedWaitSeconds is a non-negative integer: {wait.GetRawText()}");
        Assert.Matches(Integer(), wait.GetRawText());
        var poll = status.GetProperty("pollAfterSeconds");
        Assert.Matches(Integer(), poll.GetRawText());
        Assert.InRange(poll.GetInt32(), 1, 20);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("activatedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("expiresAt").ValueKind);
    }

    public static void AssertExpired(JsonElement status)
    {
        Assert.Equal("expired", status.State());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("position").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("estimatedWaitSeconds").ValueKind);
    }

    /// <summary>At least 128 random bits, URL-safe.</summary>
    public static void AssertToken(string token)
    {
        Assert.True(token.Length >= 22, $"token too short: {token}");
        Assert.Matches(UrlSafe(), token);
    }

    public static DateTimeOffset Timestamp(JsonElement status, string member)
    {
        var text = status.GetProperty(member).GetString()!;
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Equal up to the storage's precision (PostgreSQL keeps microseconds; the fake clock has ticks).</summary>
    public static void AssertSameInstant(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.True(Math.Abs((expected - actual).TotalMilliseconds) < 1, $"expected {expected:O}, got {actual:O}");

    public static Task<List<TokenRow>> TokensAsync(this TestApi api) =>
        api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().QueueTokens.AsNoTracking()
            .OrderBy(t => t.Id)
            .Select(t => new TokenRow(t.Id, t.Token, t.UserId, t.Status, t.ActivatedAt))
            .ToListAsync());

    public static async Task<int> ActiveCountAsync(this TestApi api) =>
        (await api.TokensAsync()).Count(t => t.Status == QueueTokenStatus.Active);

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex UrlSafe();
}
