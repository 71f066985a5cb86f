using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Users;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>The operations endpoints: health, the OpenAPI document (every contract path in it), the docs page.</summary>
public sealed partial class OperationsTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private readonly TestApi _api = shared.Api;

    private HttpClient Client => _api.Client;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_200(string url)
    {
        var response = await Client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> ContractOperations() => new()
    {
        { "post", "/api/users" },
        { "post", "/api/auth/token" },
        { "get", "/api/users/me" },
        { "get", "/api/users/{}" },
        { "get", "/api/users/{}/balance" },
        { "post", "/api/users/{}/balance/charges" },
        { "get", "/api/users/{}/balance/history" },
        { "get", "/api/users/{}/reservations" },
        { "post", "/api/queue/tokens" },
        { "get", "/api/queue/tokens/current" },
        { "get", "/api/queue/tokens/current/events" },
        { "delete", "/api/queue/tokens/current" },
        { "get", "/api/waiting-room" },
        { "get", "/api/waiting-room/draw" },
        { "patch", "/api/admin/waiting-room" },
        { "get", "/api/concerts" },
        { "get", "/api/concerts/{}/schedules" },
        { "get", "/api/concerts/{}/schedules/{}/seats" },
        { "post", "/api/reservations" },
        { "delete", "/api/reservations/{}" },
        { "post", "/api/payments" },
    };

    [Theory]
    [MemberData(nameof(ContractOperations))]
    public async Task OpenApi_document_lists_every_operation_of_the_contract(string method, string path)
    {
        var document = await OpenApiAsync();

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Method: o.Name, Path: Parameter().Replace(p.Name, "{}"))));
        Assert.Contains((method, path), operations);
    }

    [Fact]
    public async Task OpenApi_document_has_no_path_outside_the_contract()
    {
        var document = await OpenApiAsync();

        var contract = ContractOperations().Select(row => row.Data.Item2).ToHashSet();
        var documented = document.GetProperty("paths").EnumerateObject().Select(p => Parameter().Replace(p.Name, "{}"));
        Assert.All(documented, path => Assert.Contains(path, contract));
    }

    [Fact]
    public async Task OpenApi_document_types_ids_and_money_as_integers_only()
    {
        var text = await (await Client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();

        // Strict number handling: no number is also documented as a string (which breaks generated clients).
        Assert.DoesNotContain("\"pattern\": \"^-?(?:0|[1-9]\\\\d*)$\"", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(StringOrInteger(), text);
    }

    [Fact]
    public async Task Scalar_docs_answer_200()
    {
        var response = await Client.GetAsync("/scalar");
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            response = await Client.GetAsync(response.Headers.Location);
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<JsonElement> OpenApiAsync()
    {
        var response = await Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"""type""\s*:\s*\[\s*""integer""\s*,\s*""string""\s*\]")]
    private static partial Regex StringOrInteger();
}
