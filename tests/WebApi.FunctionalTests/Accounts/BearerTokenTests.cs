using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Queue;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Concert.WebApi.FunctionalTests.Accounts;

/// <summary>Every way a bearer token can be wrong answers 401 unauthenticated; rotated keys; the operator account.</summary>
public sealed class BearerTokenTests : IAsyncLifetime
{
    private static readonly string OtherKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private TestApi _api = null!;

    public async ValueTask InitializeAsync() => _api = await TestApi.StartAsync();

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    /// <summary>A real endpoint of each kind: user-scoped, queue, catalogue behind the gate.</summary>
    public static TheoryData<string, string> GuardedEndpoints => new()
    {
        { "GET", "/api/users/me" },
        { "GET", "/api/users/{id}/balance" },
        { "POST", "/api/queue/tokens" },
        { "GET", "/api/queue/tokens/current" },
        { "GET", "/api/concerts/1/schedules" },
        { "POST", "/api/reservations" },
        { "POST", "/api/payments" },
    };

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? authorization)
    {
        var userId = await _api.Client.CreateUserAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", userId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { seatId = 1, reservationIds = new[] { 1 } });
        }

        return await _api.Client.SendAsync(request.Anonymously());
    }

    private static async Task AssertUnauthenticatedAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(401, "unauthenticated");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    private static string Sign(long userId, string base64Key, DateTime now, TimeSpan lifetime, string issuer = "concert") =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = issuer,
            Claims = new Dictionary<string, object> { ["sub"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(base64Key)), SecurityAlgorithms.HmacSha256),
        });

    private DateTime Now => _api.Clock.GetUtcNow().UtcDateTime;

    [Theory]
    [MemberData(nameof(GuardedEndpoints))]
    public async Task No_authorization_header_is_401(string method, string path) =>
        await AssertUnauthenticatedAsync(await SendAsync(method, path, null));

    [Theory]
    [MemberData(nameof(GuardedEndpoints))]
    public async Task A_header_that_is_not_a_jwt_is_401(string method, string path) =>
        await AssertUnauthenticatedAsync(await SendAsync(method, path, "Bearer not-a-jwt"));

    [Theory]
    [MemberData(nameof(GuardedEndpoints))]
    public async Task A_token_signed_with_another_key_is_401(string method, string path)
    {
        var userId = await _api.Client.CreateUserAsync();
        await AssertUnauthenticatedAsync(await SendAsync(method, path, "Bearer " + Sign(userId, OtherKey, Now, TimeSpan.FromHours(1))));
    }

    [Fact]
    public async Task The_same_token_signed_with_the_service_key_is_accepted()
    {
        var userId = await _api.Client.CreateUserAsync();

        var response = await SendAsync("GET", "/api/users/me", "Bearer " + Sign(userId, TestApi.SigningKey, Now, TimeSpan.FromHours(1)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(userId, (await response.JsonAsync()).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_well_signed_token_of_a_user_this_database_does_not_have_cannot_join()
    {
        // As after a database reset under the same key: the signature is good, the user is gone.
        const long nobody = 987_654_321;

        var response = await SendAsync("POST", "/api/queue/tokens", "Bearer " + Sign(nobody, TestApi.SigningKey, Now, TimeSpan.FromHours(1)));

        await AssertUnauthenticatedAsync(response);
        Assert.DoesNotContain(await _api.TokensAsync(), t => t.UserId == nobody);
    }

    [Fact]
    public async Task An_altered_signature_is_401()
    {
        var userId = await _api.Client.CreateUserAsync();
        var token = Sign(userId, TestApi.SigningKey, Now, TimeSpan.FromHours(1));
        var last = token[^1] == 'A' ? 'B' : 'A';

        await AssertUnauthenticatedAsync(await SendAsync("GET", "/api/users/me", "Bearer " + token[..^1] + last));
    }

    [Fact]
    public async Task An_altered_payload_is_401()
    {
        var mine = await _api.Client.CreateUserAsync();
        var theirs = await _api.Client.CreateUserAsync();
        var parts = Sign(mine, TestApi.SigningKey, Now, TimeSpan.FromHours(1)).Split('.');
        var forged = Base64UrlEncoder.Encode(Base64UrlEncoder.DecodeBytes(parts[1]).AsSpan().ToArray() is var bytes
            ? Encoding.UTF8.GetString(bytes).Replace($"\"sub\":\"{mine}\"", $"\"sub\":\"{theirs}\"", StringComparison.Ordinal)
            : "");

        await AssertUnauthenticatedAsync(await SendAsync("GET", "/api/users/me", $"Bearer {parts[0]}.{forged}.{parts[2]}"));
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_401()
    {
        var userId = await _api.Client.CreateUserAsync();
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var exp = new DateTimeOffset(Now.AddHours(1)).ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($$"""{"sub":"{{userId}}","iss":"concert","aud":"concert","exp":{{exp}}}""");

        await AssertUnauthenticatedAsync(await SendAsync("GET", "/api/users/me", $"Bearer {header}.{payload}."));
    }

    [Fact]
    public async Task A_token_of_another_issuer_is_401()
    {
        var userId = await _api.Client.CreateUserAsync();

        await AssertUnauthenticatedAsync(await SendAsync("GET", "/api/users/me", "Bearer " + Sign(userId, TestApi.SigningKey, Now, TimeSpan.FromHours(1), "someone-else")));
    }

    [Fact]
    public async Task An_expired_token_is_401_and_the_same_token_was_fine_a_second_earlier()
    {
        await using var api = await TestApi.StartAsync(o => o.Settings["Auth:AccessTokenLifetime"] = "00:10:00");
        var userId = await api.Client.CreateUserAsync();
        var token = api.Database.Sessions.BearerOf(userId)!;
        using var before = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        before.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        api.Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await api.Client.SendAsync(before)).StatusCode);

        api.Clock.Advance(TimeSpan.FromSeconds(1));
        using var after = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        after.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        await AssertUnauthenticatedAsync(await api.Client.SendAsync(after));
    }

    [Fact]
    public async Task A_previous_key_still_validates_and_a_rotated_out_key_does_not()
    {
        var userId = await _api.Client.CreateUserAsync();
        var signedWithOld = "Bearer " + Sign(userId, TestApi.SigningKey, Now, TimeSpan.FromHours(1));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        await using var rotated = await TestApi.StartAsync(o =>
        {
            o.Settings["Auth:SigningKey"] = newKey;
            o.Settings["Auth:PreviousSigningKeys:0"] = TestApi.SigningKey;
        }, _api.Database);
        await using var forgotten = await TestApi.StartAsync(o => o.Settings["Auth:SigningKey"] = newKey, _api.Database);

        Assert.Equal(HttpStatusCode.OK, (await Me(rotated, signedWithOld)).StatusCode);
        await AssertUnauthenticatedAsync(await Me(forgotten, signedWithOld));
        // What the rotated instance signs now, every instance with the new key accepts.
        var signedWithNew = "Bearer " + Sign(userId, newKey, Now, TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.OK, (await Me(forgotten, signedWithNew)).StatusCode);
        await AssertUnauthenticatedAsync(await Me(_api, signedWithNew));

        static Task<HttpResponseMessage> Me(TestApi api, string authorization)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            return api.Client.SendAsync(request);
        }
    }

    [Fact]
    public async Task A_bearer_sent_to_a_public_endpoint_is_not_checked_there()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/concerts");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer garbage");

        Assert.Equal(HttpStatusCode.OK, (await _api.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task In_development_without_a_key_instances_share_one_kept_in_the_database()
    {
        await using var first = await TestApi.StartAsync(o =>
        {
            o.Environment = "Development";
            o.Settings["Auth:SigningKey"] = "";
        });
        await using var second = await TestApi.StartAsync(o =>
        {
            o.Environment = "Development";
            o.Settings["Auth:SigningKey"] = "";
        }, first.Database);
        var userId = await first.Client.CreateUserAsync();
        var token = first.Database.Sessions.BearerOf(userId)!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await second.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Not the configured test key: one made for this database.
        using var signedWithTestKey = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        signedWithTestKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Sign(userId, TestApi.SigningKey, first.Clock.GetUtcNow().UtcDateTime, TimeSpan.FromHours(1)));
        await AssertUnauthenticatedAsync(await second.Client.SendAsync(signedWithTestKey));
    }

    [Fact]
    public async Task The_configured_operator_exists_at_start_and_signs_in_as_admin()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.Settings["Admin:Email"] = "ops@example.com";
            o.Settings["Admin:Password"] = "operator password";
        });
        // A second start on the same database makes sure of the same account, not another.
        await using var again = await TestApi.StartAsync(o =>
        {
            o.Settings["Admin:Email"] = "OPS@example.com";
            o.Settings["Admin:Password"] = "operator password";
        }, api.Database);

        var body = await (await api.Client.PostAsJsonAsync("/api/auth/token", new { email = "ops@example.com", password = "operator password" })).JsonAsync();
        var token = new JsonWebToken(body.GetProperty("accessToken").GetString());

        Assert.Equal("admin", token.GetClaim("role").Value);
        var userId = await api.Client.CreateUserAsync();
        var fan = new JsonWebToken(api.Database.Sessions.BearerOf(userId));
        Assert.False(fan.TryGetClaim("role", out _));
        await (await api.Client.PostAsJsonAsync("/api/users", new { name = "Ops", email = "Ops@Example.com", password = "x password" }))
            .AssertProblemAsync(409, "email_taken");
    }
}
