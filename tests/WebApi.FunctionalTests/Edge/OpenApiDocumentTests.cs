using System.Net;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Users;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>
/// The OpenAPI document says what a generated client needs (API.md, "Conventions"): typed timestamps and
/// nullability, one problem body with code and traceId, both credentials as security schemes.
/// </summary>
public sealed class OpenApiDocumentTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private static readonly string[] ProblemMembers = ["type", "title", "status", "detail", "code", "traceId"];

    private JsonElement _document;

    [Theory]
    [InlineData("ReservationDto", "heldUntil", false)]
    [InlineData("ReservationDto", "createdAt", false)]
    [InlineData("ReservationDto", "paidAt", true)]
    [InlineData("QueueStatusDto", "activatedAt", true)]
    [InlineData("QueueStatusDto", "expiresAt", true)]
    [InlineData("BalanceEntryDto", "createdAt", false)]
    [InlineData("ScheduleDto", "startsAt", false)]
    [InlineData("PaymentDto", "paidAt", false)]
    public async Task Timestamps_are_date_time_strings_nullable_only_where_null_comes(string schema, string member, bool nullable)
    {
        var property = (await SchemaAsync(schema)).GetProperty("properties").GetProperty(member);

        Assert.Equal("date-time", property.GetProperty("format").GetString());
        Assert.Equal(nullable ? ["null", "string"] : ["string"], Types(property));
        Assert.Contains(member, Required(await SchemaAsync(schema)));
    }

    [Theory]
    [InlineData("QueueStatusDto", "position")]
    [InlineData("QueueStatusDto", "estimatedWaitSeconds")]
    [InlineData("QueueStatusDto", "pollAfterSeconds")]
    [InlineData("BalanceEntryDto", "paymentId")]
    public async Task Members_that_can_be_null_are_nullable_integers_and_always_present(string schema, string member)
    {
        var found = await SchemaAsync(schema);

        Assert.Equal(["integer", "null"], Types(found.GetProperty("properties").GetProperty(member)));
        Assert.Contains(member, Required(found));
    }

    [Theory]
    [InlineData("SeatStatus", "available")]
    [InlineData("ReservationStatus", "confirmed")]
    [InlineData("QueueTokenStatus", "waiting")]
    [InlineData("BalanceEntryKind", "payment")]
    public async Task Enums_are_lowercase_strings(string schema, string value)
    {
        var found = await SchemaAsync(schema);

        Assert.Equal(["string"], Types(found));
        Assert.Contains(value, found.GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task Ids_are_int64_integers()
    {
        var reservation = (await SchemaAsync("ReservationDto")).GetProperty("properties");

        Assert.All(["id", "userId", "concertId", "scheduleId", "seatId"], id =>
        {
            Assert.Equal(["integer"], Types(reservation.GetProperty(id)));
            Assert.Equal("int64", reservation.GetProperty(id).GetProperty("format").GetString());
        });
    }

    [Fact]
    public async Task Problem_has_every_contract_member_required_and_validation_problem_adds_errors()
    {
        var problem = await SchemaAsync("Problem");
        var validation = await SchemaAsync("ValidationProblem");

        Assert.Equal(ProblemMembers.Order(), Required(problem).Order());
        Assert.Equal(ProblemMembers.Order(), Required(validation).Order());
        Assert.All(ProblemMembers.Where(m => m != "status"), m =>
            Assert.Equal(["string"], Types(problem.GetProperty("properties").GetProperty(m))));
        var errors = validation.GetProperty("properties").GetProperty("errors");
        Assert.Equal(["object"], Types(errors));
        Assert.Equal(["array"], Types(errors.GetProperty("additionalProperties")));
        Assert.False((await DocumentAsync()).GetProperty("components").GetProperty("schemas").TryGetProperty("ProblemDetails", out _));
    }

    [Fact]
    public async Task Both_credentials_are_security_schemes_and_queue_token_is_no_parameter()
    {
        var document = await DocumentAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");

        Assert.Equal("http", schemes.GetProperty("bearer").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("JWT", schemes.GetProperty("bearer").GetProperty("bearerFormat").GetString());
        Assert.Equal("apiKey", schemes.GetProperty("queueToken").GetProperty("type").GetString());
        Assert.Equal("header", schemes.GetProperty("queueToken").GetProperty("in").GetString());
        Assert.Equal("Queue-Token", schemes.GetProperty("queueToken").GetProperty("name").GetString());
        Assert.All(Operations(document), op => Assert.DoesNotContain(
            "Queue-Token",
            op.Operation.TryGetProperty("parameters", out var parameters)
                ? parameters.EnumerateArray().Select(p => p.GetProperty("name").GetString())
                : []));
    }

    [Theory]
    [InlineData("post", "/api/users", "")]
    [InlineData("get", "/api/concerts", "")]
    [InlineData("get", "/api/users/{userId}/balance", "bearer")]
    [InlineData("post", "/api/queue/tokens", "bearer")]
    [InlineData("get", "/api/queue/tokens/current", "bearer queueToken")]
    [InlineData("get", "/api/concerts/{concertId}/schedules/{scheduleId}/seats", "bearer queueToken")]
    [InlineData("post", "/api/reservations", "bearer queueToken")]
    [InlineData("post", "/api/payments", "bearer queueToken")]
    public async Task Each_operation_requires_the_credentials_the_contract_names(string method, string path, string schemes)
    {
        var operation = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method);

        var security = operation.GetProperty("security").EnumerateArray().ToList();
        var names = security.SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Order();
        Assert.Equal(schemes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), names);
        Assert.True(security.Count <= 1, "one requirement naming both schemes: both are needed together");
    }

    [Fact]
    public async Task Every_operation_has_a_summary_and_answers_its_failures_as_problems()
    {
        foreach (var (name, operation) in Operations(await DocumentAsync()))
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), name);
            var responses = operation.GetProperty("responses");
            Assert.True(responses.TryGetProperty("500", out _), $"{name} documents 500");
            foreach (var response in responses.EnumerateObject().Where(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture) >= 400))
            {
                var reference = response.Value.GetProperty("content").GetProperty("application/problem+json")
                    .GetProperty("schema").GetProperty("$ref").GetString();
                Assert.Equal(response.Name == "400" ? "#/components/schemas/ValidationProblem" : "#/components/schemas/Problem", reference);
            }

            var secured = operation.GetProperty("security").GetArrayLength() > 0;
            // A signed-in operation documents its 401; a public one does not, except sign-in's invalid_credentials.
            Assert.Equal(secured || name.Contains("/api/auth/token", StringComparison.Ordinal), responses.TryGetProperty("401", out _));
            if (operation.TryGetProperty("requestBody", out _))
            {
                Assert.All(["400", "413", "415"], s => Assert.True(responses.TryGetProperty(s, out _), $"{name} documents {s}"));
            }
        }
    }

    [Theory]
    [InlineData("post", "/api/reservations", "401 403 404 409")]
    [InlineData("post", "/api/payments", "401 403 404 409 422")]
    [InlineData("post", "/api/users/{userId}/balance/charges", "401 404 409")]
    [InlineData("post", "/api/users", "409 429")]
    [InlineData("post", "/api/queue/tokens", "401 429")]
    public async Task Operations_list_the_contract_failures(string method, string path, string statuses)
    {
        var responses = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        Assert.All(statuses.Split(' '), s => Assert.True(responses.TryGetProperty(s, out _), $"{method} {path} documents {s}"));
    }

    [Fact]
    public async Task Info_is_described_and_no_server_url_ends_in_a_slash()
    {
        var document = await DocumentAsync();

        Assert.False(string.IsNullOrWhiteSpace(document.GetProperty("info").GetProperty("description").GetString()));
        Assert.All(document.GetProperty("tags").EnumerateArray(), tag =>
            Assert.False(string.IsNullOrWhiteSpace(tag.GetProperty("description").GetString())));
        if (document.TryGetProperty("servers", out var servers))
        {
            Assert.All(servers.EnumerateArray(), s => Assert.False(s.GetProperty("url").GetString()!.EndsWith('/')));
        }
    }

    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => ($"{op.Name} {path.Name}", op.Value)));

    private static string[] Types(JsonElement schema) =>
        schema.GetProperty("type") is { ValueKind: JsonValueKind.Array } many
            ? [.. many.EnumerateArray().Select(t => t.GetString()!).Order()]
            : [schema.GetProperty("type").GetString()!];

    private static string[] Required(JsonElement schema) =>
        [.. schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()!)];

    private async Task<JsonElement> SchemaAsync(string name) =>
        (await DocumentAsync()).GetProperty("components").GetProperty("schemas").GetProperty(name);

    private async Task<JsonElement> DocumentAsync()
    {
        if (_document.ValueKind == JsonValueKind.Undefined)
        {
            var response = await shared.Api.Client.GetAsync("/openapi/v1.json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        return _document;
    }
}
