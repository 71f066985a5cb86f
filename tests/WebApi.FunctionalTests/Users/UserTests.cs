using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>POST /api/users, GET /api/users/{id}, and what a new user starts with.</summary>
public sealed class UserTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    [Fact]
    public async Task Create_user_answers_201_with_location_and_body()
    {
        var email = $"Kim.{Guid.NewGuid():N}@Example.com";
        var response = await Client.PostAsJsonAsync("/api/users", new { name = "Kim", email, password = ApiClientExtensions.Password });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        var id = body.GetProperty("id").GetInt64();
        Assert.True(id > 0);
        Assert.Equal("Kim", body.GetProperty("name").GetString());
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.Equal(3, body.EnumerateObject().Count());
        Assert.DoesNotContain(ApiClientExtensions.Password, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal($"/api/users/{id}", response.Headers.Location?.OriginalString);

        await Client.SignInAsync(email, ApiClientExtensions.Password);
        var fetched = await Client.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        var user = await fetched.JsonAsync();
        Assert.Equal(id, user.GetProperty("id").GetInt64());
        Assert.Equal("Kim", user.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Created_users_get_distinct_ids()
    {
        var first = await Client.CreateUserAsync("Kim");
        var second = await Client.CreateUserAsync("Kim");

        Assert.NotEqual(first, second);
        Assert.Equal("Kim", (await Client.GetFromJsonAsync<JsonElement>($"/api/users/{second}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task New_user_starts_with_balance_zero_empty_history_and_no_reservations()
    {
        var id = await Client.CreateUserAsync("Park");

        var balance = await Client.GetAsync($"/api/users/{id}/balance");
        Assert.Equal(HttpStatusCode.OK, balance.StatusCode);
        var body = await balance.JsonAsync();
        Assert.Equal(id, body.GetProperty("userId").GetInt64());
        Assert.Equal(0, body.GetProperty("balance").GetInt64());

        Assert.Empty(await Client.HistoryAsync(id));

        var reservations = await Client.GetAsync($"/api/users/{id}/reservations");
        Assert.Equal(HttpStatusCode.OK, reservations.StatusCode);
        var list = await reservations.JsonAsync();
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        Assert.Equal(0, list.GetArrayLength());
    }

    public static TheoryData<string> NamesKeptVerbatim() => new()
    {
        new string('a', 50),
        new string('가', 50),
        "김민수",
        "Zoë O'Brien-Ünal",
        "Cafe\u0301", // decomposed é: no normalisation either
        "  Lee  ",
        "K",
        "🎤 Kim",
        "Robert'); DROP TABLE \"Users\";--",
    };

    [Theory]
    [MemberData(nameof(NamesKeptVerbatim))]
    public async Task Valid_names_are_kept_verbatim(string name)
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var response = await Client.PostAsJsonAsync("/api/users", new { name, email, password = ApiClientExtensions.Password });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.JsonAsync();
        Assert.Equal(name, created.GetProperty("name").GetString());
        var id = created.GetProperty("id").GetInt64();
        await Client.SignInAsync(email, ApiClientExtensions.Password);
        var fetched = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{id}");
        Assert.Equal(name, fetched.GetProperty("name").GetString());
    }

    public static TheoryData<string> InvalidNameBodies() => new()
    {
        """{"name":""}""",
        """{"name":"   "}""",
        """{"name":"\t"}""",
        $$"""{"name":"{{new string('a', 51)}}"}""",
        $$"""{"name":"{{new string('가', 51)}}"}""",
        """{"name":"Kim\u0000"}""",
        """{"name":"Kim\nLee"}""",
        """{"name":"\tKim"}""",
        """{"name":"Kim\r"}""",
        """{"name":"Kim\u007F"}""",
        """{"name":"Kim\u0085"}""",
        """{"name":"Kim\u001B[31m"}""",
        """{"name":null}""",
        """{}""",
    };

    [Theory]
    [MemberData(nameof(InvalidNameBodies))]
    public async Task Invalid_names_are_refused_with_validation_failed_on_name_and_create_nothing(string json)
    {
        var usersBefore = await UserCountAsync();

        var response = await Client.PostAsync("/api/users", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        var messages = problem.GetProperty("errors").GetProperty("name");
        Assert.True(messages.GetArrayLength() > 0);
        Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
        Assert.Equal(usersBefore, await UserCountAsync());
    }

    [Theory]
    [InlineData("999999999")]
    [InlineData("9007199254740991")]
    public async Task Unknown_user_is_404_user_not_found(string id)
    {
        await Client.CreateUserAsync("Signed in");
        var response = await Client.GetAsync($"/api/users/{id}");

        await response.AssertProblemAsync(404, "user_not_found");
    }

    [Theory]
    [InlineData("balance")]
    [InlineData("balance/history")]
    [InlineData("reservations")]
    public async Task Reads_of_an_unknown_user_are_404_user_not_found(string what)
    {
        await Client.CreateUserAsync("Signed in");
        var response = await Client.GetAsync($"/api/users/999999999/{what}");

        await response.AssertProblemAsync(404, "user_not_found");
    }

    private Task<int> UserCountAsync() =>
        _api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().Users.CountAsync());
}
