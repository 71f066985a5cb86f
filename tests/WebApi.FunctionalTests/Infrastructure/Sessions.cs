using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>
/// Who is signed in on one test database, as each user's own frontend would be: every user a test signs in keeps
/// their bearer token here, and every queue token a join hands out is remembered with its user. Shared by every
/// host and client on the database.
/// </summary>
public sealed partial class Sessions
{
    private readonly ConcurrentDictionary<long, string> _bearers = new();
    private readonly ConcurrentDictionary<string, long> _queueTokens = new(StringComparer.Ordinal);
    private long _lastSignedIn;

    public string? BearerOf(long userId) => _bearers.GetValueOrDefault(userId);

    public long? UserOfQueueToken(string token) => _queueTokens.TryGetValue(token, out var id) ? id : null;

    public long? LastSignedIn => Interlocked.Read(ref _lastSignedIn) is var id and > 0 ? id : null;

    public void SignedIn(long userId, string bearer)
    {
        _bearers[userId] = bearer;
        Interlocked.Exchange(ref _lastSignedIn, userId);
    }

    public void Joined(string queueToken, long userId) => _queueTokens[queueToken] = userId;

    /// <summary>The <c>sub</c> of a JWT we were just handed (clients may read <c>sub</c> and <c>exp</c>).</summary>
    public static long SubjectOf(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return long.Parse(json.RootElement.GetProperty("sub").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("^/api/users/([0-9]+)(/|$)")]
    internal static partial Regex UserPath();
}

/// <summary>
/// Sends each request with the bearer token of the user it acts for, as that user's frontend would: the user named
/// by <see cref="AsUser"/>, else the owner of its <c>Queue-Token</c>, else the user in its <c>/api/users/{id}</c>
/// path, else whoever signed in last. A request that sets <c>Authorization</c> itself, or is marked
/// <see cref="Anonymous"/>, goes as it is: the tests of sign-in and of object-level authorization do that.
/// Signs each new user straight in after sign-up, as a frontend does; learns bearers from sign-in answers and queue
/// tokens from join answers.
/// </summary>
public sealed class SignedInHandler(Sessions sessions) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<bool> Anonymous = new("concert.anonymous");

    public static readonly HttpRequestOptionsKey<long> AsUser = new("concert.as-user");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null && !request.Options.TryGetValue(Anonymous, out _)
            && BearerFor(request) is { } bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        var response = await base.SendAsync(request, cancellationToken);
        await LearnAsync(request, response, cancellationToken);
        return response;
    }

    private string? BearerFor(HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(AsUser, out var asUser))
        {
            return sessions.BearerOf(asUser);
        }

        if (request.Headers.TryGetValues("Queue-Token", out var tokens)
            && sessions.UserOfQueueToken(tokens.First().Trim()) is { } owner)
        {
            return sessions.BearerOf(owner);
        }

        if (request.RequestUri is { } uri
            && Sessions.UserPath().Match(uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString) is { Success: true } match
            && long.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var pathId)
            && sessions.BearerOf(pathId) is { } pathUser)
        {
            return pathUser;
        }

        return sessions.LastSignedIn is { } last ? sessions.BearerOf(last) : null;
    }

    private async Task LearnAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken ct)
    {
        if (request.Method != HttpMethod.Post || !response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return;
        }

        var path = request.RequestUri is { IsAbsoluteUri: true } abs ? abs.AbsolutePath : request.RequestUri?.OriginalString;
        if (path == "/api/users" && request.Content is not null)
        {
            // A frontend signs its new user straight in.
            await SignInAfterSignUpAsync(request, ct);
            return;
        }

        if (path is not ("/api/auth/token" or "/api/queue/tokens"))
        {
            return;
        }

        // Buffer, so the test can still read the body.
        await response.Content.LoadIntoBufferAsync(ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (path == "/api/auth/token" && json.RootElement.TryGetProperty("accessToken", out var access))
        {
            var bearer = access.GetString()!;
            sessions.SignedIn(Sessions.SubjectOf(bearer), bearer);
        }
        else if (json.RootElement.TryGetProperty("token", out var token) && json.RootElement.TryGetProperty("userId", out var userId))
        {
            sessions.Joined(token.GetString()!, userId.GetInt64());
        }
    }

    private async Task SignInAfterSignUpAsync(HttpRequestMessage signUp, CancellationToken ct)
    {
        using var sent = JsonDocument.Parse(await signUp.Content!.ReadAsByteArrayAsync(ct));
        if (!sent.RootElement.TryGetProperty("email", out var email) || !sent.RootElement.TryGetProperty("password", out var password))
        {
            return;
        }

        using var signIn = new HttpRequestMessage(HttpMethod.Post, new Uri(signUp.RequestUri!, "/api/auth/token"))
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { email = email.GetString(), password = password.GetString() }),
        };
        using var answer = await base.SendAsync(signIn, ct);
        if (answer.IsSuccessStatusCode)
        {
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(ct));
            var bearer = json.RootElement.GetProperty("accessToken").GetString()!;
            sessions.SignedIn(Sessions.SubjectOf(bearer), bearer);
        }
    }
}
