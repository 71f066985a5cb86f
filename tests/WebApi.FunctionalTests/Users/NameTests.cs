using System.Net;
using System.Net.Http.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>POST /api/users: a name is 1–50 characters as a reader counts them, kept verbatim, with something visible
/// and nothing that hides or reorders text. Runs through the database column too (50 emoji are hundreds of units).</summary>
public sealed class NameTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";

    private HttpClient Client => shared.Api.Client;

    private static string Times(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    private Task<HttpResponseMessage> CreateAsync(string name) => Client.PostAsJsonAsync("/api/users",
        new { name, email = $"{Guid.NewGuid():N}@example.com", password = "correct horse battery" });

    public static TheoryData<string> Accepted() => new()
    {
        Times("😀", 26),
        Times("😀", 50),
        Times(Family, 50),
        Times("가", 50),
        "  Kim \u200D Lee  ",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task A_valid_name_is_stored_and_answered_verbatim(string name)
    {
        var response = await CreateAsync(name);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.JsonAsync()).GetProperty("id").GetInt64();
        var read = await Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/users/{id}");
        Assert.Equal(name, read.GetProperty("name").GetString());
    }

    public static TheoryData<string> Refused() => new()
    {
        Times("😀", 51),
        Times(Family, 51),
        Times("a", 51),
        "Kim\u202Egnp.exe",
        "\u2066Kim\u2069",
        "\u200B\uFEFF",
        "   ",
        "\u2028",
        "\u3164",
        "Kim\uFDD0",
        "Kim\u0378",
        "Kim\u0007",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task An_invalid_name_is_400_on_name(string name)
    {
        var response = await CreateAsync(name);

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").GetProperty("name").GetArrayLength() > 0, problem.ToString());
    }
}
