using System.Net;
using System.Text;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>
/// Bodies that are not the JSON object asked for: 400 validation_failed problem+json, never a 500, nothing leaked,
/// nothing changed. Bodies of the wrong media type are 415, oversized ones 413.
/// </summary>
public sealed class MalformedBodyTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    public static TheoryData<string> MalformedBodies() => new()
    {
        "{",
        "",
        " ",
        "null",
        "[]",
        """[{"amount":1000}]""",
        "1000",
        "\"1000\"",
        "true",
        """{"amount":1000,}""",
        """{'amount':1000}""",
        """{amount:1000}""",
        """{"amount":1000}}""",
        """{"amount":1000} {"amount":1000}""",
        """/* note */ {"amount":1000}""",
        """{"amount":1000,"note":"unterminated}""",
        """{"amount":1000,"deep":""" + Nested(100) + "}",
        """{"amount":1000,"deep":""" + Nested(64) + "}",
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_charge_body_is_400_validation_failed_and_changes_nothing(string body)
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 5_000);

        var response = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", body);

        await response.AssertNoLeakAsync();
        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any(), problem.ToString());
        await AssertBalanceUntouchedAsync(userId, 5_000);
    }

    public static TheoryData<string> WrongAmounts() => new()
    {
        """{"amount":"50000"}""",
        """{"amount":1.5}""",
        """{"amount":50000.0001}""",
        """{"amount":1e30}""",
        """{"amount":-1e30}""",
        """{"amount":12345678901234567890}""",
        """{"amount":-12345678901234567890}""",
        """{"amount":true}""",
        """{"amount":null}""",
        """{"amount":{}}""",
        """{"amount":[1000]}""",
        """{"amount":NaN}""",
        """{"amount":0x10}""",
        """{"amount":"1e3"}""",
        """{}""",
    };

    [Theory]
    [MemberData(nameof(WrongAmounts))]
    public async Task Amount_of_the_wrong_type_or_range_is_400_on_amount_and_changes_nothing(string body)
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 5_000);

        var response = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", body);

        await response.AssertNoLeakAsync();
        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("amount", out _), problem.ToString());
        await AssertBalanceUntouchedAsync(userId, 5_000);
    }

    public static TheoryData<string, string> MalformedBodiesElsewhere() => new()
    {
        { "/api/users", "" },
        { "/api/users", "null" },
        { "/api/users", "[]" },
        { "/api/users", """{"name":123}""" },
        { "/api/users", """{"name":["Kim"]}""" },
        { "/api/users", """{"name":{"first":"Kim"}}""" },
        { "/api/users", """{"name":"Kim","deep":""" + Nested(65) + "}" },
        // The shape is checked before the queue token: no token is needed to learn the body is wrong.
        { "/api/reservations", "{" },
        { "/api/reservations", """{"seatId":"17"}""" },
        { "/api/reservations", """{"seatId":17.5}""" },
        { "/api/payments", "null" },
        { "/api/payments", """{"reservationIds":["5"]}""" },
        { "/api/payments", """{"reservationIds":[99999999999999999999]}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodiesElsewhere))]
    public async Task Malformed_bodies_are_400_validation_failed_on_every_endpoint_that_takes_one(string url, string body)
    {
        var usersBefore = await UserCountAsync();

        var response = await Client.PostRawAsync(url, body);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(400, "validation_failed");
        await AssertSameUserCountAsync(usersBefore);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_field_is_400_validation_failed()
    {
        var usersBefore = await UserCountAsync();
        byte[] body = [.. "{\"name\":\"K"u8, 0xFF, 0xFE, 0xC3, .. "m\"}"u8];

        var response = await Client.SendRawAsync(HttpMethod.Post, "/api/users", body);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(400, "validation_failed");
        await AssertSameUserCountAsync(usersBefore);
    }

    [Fact]
    public async Task Invalid_utf8_in_an_unknown_field_is_400_validation_failed()
    {
        var userId = await Client.CreateUserAsync();
        byte[] body = [.. "{\"amount\":1000,\"note\":\""u8, 0xC0, 0xAF, 0xFF, .. "\"}"u8];

        var response = await Client.SendRawAsync(HttpMethod.Post, $"/api/users/{userId}/balance/charges", body);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(400, "validation_failed");
        await AssertBalanceUntouchedAsync(userId, 0);
    }

    [Fact]
    public async Task Invalid_utf8_outside_strings_is_400_validation_failed()
    {
        var usersBefore = await UserCountAsync();
        byte[] body = [0xEF, 0xBB, 0xFF, .. "{\"name\":\"Kim\"}"u8];

        var response = await Client.SendRawAsync(HttpMethod.Post, "/api/users", body);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(400, "validation_failed");
        await AssertSameUserCountAsync(usersBefore);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var created = await Client.PostRawAsync("/api/users",
            $$"""{"name":"Kim","email":"{{email}}","password":"{{ApiClientExtensions.Password}}","age":33,"tags":["a",{"b":null}],"Name2":"x"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.JsonAsync();
        Assert.Equal("Kim", user.GetProperty("name").GetString());
        var userId = user.GetProperty("id").GetInt64();
        await Client.SignInAsync(email, ApiClientExtensions.Password);

        var charged = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", """{"currency":"USD","amount":1000,"extra":{"amount":5}}""");
        Assert.Equal(HttpStatusCode.OK, charged.StatusCode);
        Assert.Equal(1_000, (await charged.JsonAsync()).GetProperty("balance").GetInt64());

        var joined = await Client.PostRawAsync("/api/queue/tokens", """{"priority":"vip"}""");
        Assert.Equal(HttpStatusCode.Created, joined.StatusCode);
        Assert.Equal(userId, (await joined.JsonAsync()).GetProperty("userId").GetInt64());
        await AssertBalanceUntouchedAsync(userId, 1_000);
    }

    [Fact]
    public async Task Nesting_of_64_levels_in_an_unknown_field_is_accepted()
    {
        var userId = await Client.CreateUserAsync();

        // The object itself is level 1, so 63 arrays inside it make 64 levels: the deepest a body may go.
        var response = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", """{"amount":1000,"deep":""" + Nested(63) + "}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertBalanceUntouchedAsync(userId, 1_000);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("text/json-ish")]
    [InlineData(null)]
    public async Task Body_that_is_not_application_json_is_415_unsupported_media_type(string? contentType)
    {
        var userId = await Client.CreateUserAsync();
        var usersBefore = await UserCountAsync();

        var charge = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", """{"amount":1000}""", contentType);
        var create = await Client.PostRawAsync("/api/users", """{"name":"Kim"}""", contentType);

        await charge.AssertNoLeakAsync();
        await charge.AssertProblemAsync(415, "unsupported_media_type");
        await create.AssertNoLeakAsync();
        await create.AssertProblemAsync(415, "unsupported_media_type");
        await AssertBalanceUntouchedAsync(userId, 0);
        await AssertSameUserCountAsync(usersBefore);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json")]
    public async Task Json_media_type_with_or_without_charset_is_accepted(string contentType)
    {
        var response = await Client.PostRawAsync("/api/users", NewUserJson(), contentType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Body_over_64_KiB_is_413_payload_too_large(bool withContentLength)
    {
        var userId = await Client.CreateUserAsync();
        var usersBefore = await UserCountAsync();
        var padding = new string('x', (64 * 1024) + 1);
        var body = Encoding.UTF8.GetBytes($$"""{"amount":1000,"pad":"{{padding}}"}""");
        HttpContent content = withContentLength
            ? new ByteArrayContent(body)
            : new StreamContent(new MemoryStream(body)); // no length: sent chunked
        content.Headers.ContentType = new("application/json");
        if (!withContentLength)
        {
            content.Headers.ContentLength = null;
        }

        var response = await Client.PostAsync($"/api/users/{userId}/balance/charges", content);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(413, "payload_too_large");
        await AssertBalanceUntouchedAsync(userId, 0);
        await AssertSameUserCountAsync(usersBefore);
    }

    [Fact]
    public async Task Body_just_under_64_KiB_is_read()
    {
        var padding = new string('x', 60 * 1024);

        var response = await Client.PostRawAsync("/api/users", NewUserJson($",\"pad\":\"{padding}\""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>A valid sign-up body (a fresh email each time), with <paramref name="more"/> members appended.</summary>
    private static string NewUserJson(string more = "") =>
        $$"""{"name":"Kim","email":"{{Guid.NewGuid():N}}@example.com","password":"{{ApiClientExtensions.Password}}"{{more}}}""";

    private async Task AssertBalanceUntouchedAsync(long userId, long balance)
    {
        Assert.Equal(balance, await Client.BalanceAsync(userId));
        var entries = await _api.AllEntriesAsync(userId);
        Assert.Equal(balance, entries.Sum(e => e.Amount));
        Assert.Equal(balance == 0 ? 0 : 1, entries.Count);
    }

    private Task<int> UserCountAsync() =>
        _api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().Users.CountAsync());

    /// <summary>No user was created; on failure, names the newest users to show where they came from.</summary>
    private async Task AssertSameUserCountAsync(int before)
    {
        var after = await UserCountAsync();
        var newest = await _api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().Users.AsNoTracking()
            .OrderByDescending(u => u.Id).Take(3).Select(u => u.Id + ":" + u.Name).ToListAsync());
        Assert.True(before == after, $"users {before} -> {after}; newest: {string.Join(", ", newest)}");
    }
}
