using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Users;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>Member names match exactly, and a member given twice makes the body malformed: nothing is charged.</summary>
public sealed class JsonMemberTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private HttpClient Client => shared.Api.Client;

    [Theory]
    [InlineData("""{"AMOUNT":10}""")]
    [InlineData("""{"Amount":10}""")]
    [InlineData("""{"aMount":10}""")]
    public async Task A_member_spelled_in_another_case_is_not_the_member(string body)
    {
        var userId = await Client.CreateUserAsync();

        var response = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", body);

        var problem = await response.AssertProblemAsync(400, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("amount", out _), problem.ToString());
        Assert.Equal(0, await Client.BalanceAsync(userId));
    }

    [Theory]
    [InlineData("""{"amount":1,"amount":900000}""")]
    [InlineData("""{"amount":900000,"amount":1}""")]
    [InlineData("""{"amount":1000,"note":1,"note":2}""")]
    public async Task A_member_given_twice_makes_the_body_malformed(string body)
    {
        var userId = await Client.CreateUserAsync();

        var response = await Client.PostRawAsync($"/api/users/{userId}/balance/charges", body);

        await response.AssertNoLeakAsync();
        await response.AssertProblemAsync(400, "validation_failed");
        Assert.Equal(0, await Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task A_name_given_twice_creates_no_user()
    {
        var response = await Client.PostRawAsync("/api/users",
            """{"name":"Kim","name":"Lee","email":"twice@example.com","password":"correct horse battery"}""");

        await response.AssertProblemAsync(400, "validation_failed");
    }
}
