using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace Concert.WebApi.FunctionalTests.Accounts;

/// <summary>Sign-up, sign-in, who am I, and the lockout: POST /api/users, POST /api/auth/token, GET /api/users/me.</summary>
public sealed class SignInTests : IAsyncLifetime
{
    private readonly CapturingLogSink _logs = new();
    private TestApi _api = null!;

    private HttpClient Client => _api.Client;

    public async ValueTask InitializeAsync() => _api = await TestApi.StartAsync(o =>
    {
        o.Settings["Serilog:MinimumLevel:Default"] = "Verbose";
        o.Services.Add(services => services.AddSingleton<ILogEventSink>(_logs));
    });

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    private static string NewEmail() => $"Kim.{Guid.NewGuid():N}@Example.com";

    private Task<HttpResponseMessage> SignUpAsync(string email, string password = ApiClientExtensions.Password, string name = "Kim") =>
        Client.PostAsJsonAsync("/api/users", new { name, email, password });

    private Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        Client.PostAsJsonAsync("/api/auth/token", new { email, password });

    [Fact]
    public async Task Sign_up_then_sign_in_gives_a_bearer_token_that_says_who_you_are()
    {
        var email = NewEmail();
        var created = await SignUpAsync(email);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetInt64();

        var signedIn = await SignInAsync(email, ApiClientExtensions.Password);

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var body = await signedIn.JsonAsync();
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(30 * 24 * 3600, body.GetProperty("expiresIn").GetInt64());   // this host's Auth:AccessTokenLifetime
        var accessToken = body.GetProperty("accessToken").GetString()!;
        Assert.Equal(id, Sessions.SubjectOf(accessToken));

        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/users/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var meResponse = await Client.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, meResponse.StatusCode);
        var user = await meResponse.JsonAsync();
        Assert.Equal(id, user.GetProperty("id").GetInt64());
        Assert.Equal("Kim", user.GetProperty("name").GetString());
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal(3, user.EnumerateObject().Count());
    }

    [Fact]
    public async Task The_default_access_token_lives_an_hour()
    {
        await using var api = await TestApi.StartAsync(o => o.Settings["Auth:AccessTokenLifetime"] = null);
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await api.Client.PostAsJsonAsync("/api/users", new { name = "Kim", email, password = ApiClientExtensions.Password })).StatusCode);

        var body = await (await api.Client.PostAsJsonAsync("/api/auth/token", new { email, password = ApiClientExtensions.Password })).JsonAsync();

        Assert.Equal(3600, body.GetProperty("expiresIn").GetInt64());
    }

    [Fact]
    public async Task Sign_in_matches_the_email_without_regard_to_case()
    {
        var email = NewEmail();
        await SignUpAsync(email);

        var response = await SignInAsync(email.ToLowerInvariant(), ApiClientExtensions.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_email_is_taken_whatever_its_case_and_the_second_account_is_not_made()
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await SignUpAsync(email)).StatusCode);

        var again = await SignUpAsync(email.ToUpperInvariant(), "another password", "Lee");

        await again.AssertProblemAsync(409, "email_taken");
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(email, ApiClientExtensions.Password)).StatusCode);
        await (await SignInAsync(email, "another password")).AssertProblemAsync(401, "invalid_credentials");
    }

    [Fact]
    public async Task Concurrent_sign_ups_with_one_email_make_exactly_one_account()
    {
        var email = NewEmail();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => SignUpAsync(i % 2 == 0 ? email : email.ToLowerInvariant())));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var refused in results.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await refused.AssertProblemAsync(409, "email_taken");
        }
    }

    [Theory]
    [InlineData("""{"name":"Kim","email":"not-an-address","password":"correct horse battery"}""", "email")]
    [InlineData("""{"name":"Kim","password":"correct horse battery"}""", "email")]
    [InlineData("""{"name":"Kim","email":"kim@example.com","password":"short"}""", "password")]
    [InlineData("""{"name":"Kim","email":"kim@example.com"}""", "password")]
    public async Task A_bad_sign_up_is_400_on_its_field(string json, string field)
    {
        var response = await Client.PostAsync("/api/users", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_password_of_129_characters_is_refused_and_128_accepted()
    {
        await (await SignUpAsync(NewEmail(), new string('p', 129))).AssertProblemAsync(400, "validation_failed");
        Assert.Equal(HttpStatusCode.Created, (await SignUpAsync(NewEmail(), new string('p', 128))).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer()
    {
        var email = NewEmail();
        await SignUpAsync(email);

        var wrong = await (await SignInAsync(email, "wrong password")).AssertProblemAsync(401, "invalid_credentials");
        var unknown = await (await SignInAsync(NewEmail(), "wrong password")).AssertProblemAsync(401, "invalid_credentials");

        Assert.Equal(wrong.GetProperty("detail").GetString(), unknown.GetProperty("detail").GetString());
        Assert.Equal(wrong.GetProperty("title").GetString(), unknown.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Five_failures_lock_the_account_for_five_minutes_the_right_password_included()
    {
        var email = NewEmail();
        await SignUpAsync(email);
        for (var i = 0; i < 5; i++)
        {
            await (await SignInAsync(email, "wrong password")).AssertProblemAsync(401, "invalid_credentials");
        }

        var locked = await SignInAsync(email, ApiClientExtensions.Password);

        await locked.AssertProblemAsync(429, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(5), locked.Headers.RetryAfter?.Delta);
        _api.Clock.Advance(TimeSpan.FromMinutes(4));
        var stillLocked = await SignInAsync(email, ApiClientExtensions.Password);
        await stillLocked.AssertProblemAsync(429, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(1), stillLocked.Headers.RetryAfter?.Delta);
        _api.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(email, ApiClientExtensions.Password)).StatusCode);
        // The success cleared the count: four more failures do not lock it.
        for (var i = 0; i < 4; i++)
        {
            await (await SignInAsync(email, "wrong password")).AssertProblemAsync(401, "invalid_credentials");
        }

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(email, ApiClientExtensions.Password)).StatusCode);
    }

    [Fact]
    public async Task Failures_further_apart_than_fifteen_minutes_do_not_add_up()
    {
        var email = NewEmail();
        await SignUpAsync(email);
        for (var i = 0; i < 4; i++)
        {
            await (await SignInAsync(email, "wrong password")).AssertProblemAsync(401, "invalid_credentials");
        }

        _api.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        await (await SignInAsync(email, "wrong password")).AssertProblemAsync(401, "invalid_credentials");

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(email, ApiClientExtensions.Password)).StatusCode);
    }

    [Fact]
    public async Task Failures_counted_by_two_instances_add_up_to_one_lockout()
    {
        await using var sibling = await _api.StartSiblingAsync();
        var email = NewEmail();
        await SignUpAsync(email);

        // Ten concurrent failures, half through each instance: the count is the database's, not a process's.
        var failures = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            (i % 2 == 0 ? Client : sibling.Client).PostAsJsonAsync("/api/auth/token", new { email, password = "wrong password" })));

        Assert.All(failures, f => Assert.True(f.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, f.StatusCode.ToString()));
        await (await SignInAsync(email, ApiClientExtensions.Password)).AssertProblemAsync(429, "too_many_attempts");
        await (await sibling.Client.PostAsJsonAsync("/api/auth/token", new { email, password = ApiClientExtensions.Password }))
            .AssertProblemAsync(429, "too_many_attempts");
    }

    [Fact]
    public async Task Failures_alternating_between_two_instances_lock_at_the_fifth()
    {
        await using var sibling = await _api.StartSiblingAsync();
        var email = NewEmail();
        await SignUpAsync(email);
        for (var i = 0; i < 5; i++)
        {
            var client = i % 2 == 0 ? Client : sibling.Client;
            await (await client.PostAsJsonAsync("/api/auth/token", new { email, password = "wrong password" }))
                .AssertProblemAsync(401, "invalid_credentials");
        }

        await (await sibling.Client.PostAsJsonAsync("/api/auth/token", new { email, password = ApiClientExtensions.Password }))
            .AssertProblemAsync(429, "too_many_attempts");
    }

    [Fact]
    public async Task A_password_appears_in_no_answer_and_no_log_line()
    {
        const string secret = "Secret-Password-4711";
        var email = NewEmail();
        var created = await SignUpAsync(email, secret);
        var signedIn = await SignInAsync(email, secret);
        var wrong = await SignInAsync(email, secret + "x");
        var taken = await SignUpAsync(email, secret);
        var invalid = await Client.PostAsJsonAsync("/api/users", new { name = "", email, password = secret });

        foreach (var response in new[] { created, signedIn, wrong, taken, invalid })
        {
            Assert.DoesNotContain(secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.NotEmpty(_logs.Events);
        // The capture sees the sign-in path's own lines (so an absent password is not an absent log).
        Assert.Contains(_logs.Events, e => e.RenderMessage().StartsWith("Failed sign-in", StringComparison.Ordinal));
        Assert.All(_logs.Events, e =>
        {
            using var text = new StringWriter();
            e.RenderMessage(text);
            foreach (var property in e.Properties)
            {
                text.Write(property.Value.ToString());
            }

            Assert.DoesNotContain(secret, text.ToString() + e.Exception, StringComparison.Ordinal);
        });
    }
}
