using System.Net;
using System.Text;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>One host whose log is captured, so that a test can check a refusal wrote no error and no stack trace.</summary>
public sealed class LoggedApi : IAsyncLifetime
{
    public CapturingLogSink Log { get; } = new();

    public TestApi Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Api = await TestApi.StartAsync(o => o.Services.Add(s => s.AddSingleton<ILogEventSink>(Log)));
        Log.Clear();   // only what the requests log counts
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

/// <summary>
/// Bodies are UTF-8 JSON: no charset, or UTF-8 under any common spelling, is read as UTF-8; any other charset is
/// 415 unsupported_media_type — never a 500 with a stack trace in the log, never a body decoded as Latin-1.
/// </summary>
public sealed class CharsetTests(LoggedApi logged) : IClassFixture<LoggedApi>
{
    private HttpClient Client => logged.Api.Client;

    private static byte[] NewUserBody(string name) => Encoding.UTF8.GetBytes(
        $$"""{"name":"{{name}}","email":"{{Guid.NewGuid():N}}@example.com","password":"correct horse battery"}""");

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json; charset=UTF8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json;charset=\"UTF8\"")]
    public async Task A_utf8_charset_under_any_common_spelling_is_read_as_utf8(string contentType)
    {
        var created = await Client.SendRawAsync(HttpMethod.Post, "/api/users", NewUserBody("José 김"), contentType);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.JsonAsync();
        Assert.Equal("José 김", user.GetProperty("name").GetString());
        var userId = user.GetProperty("id").GetInt64();
        var charged = await Client.SendRawAsync(HttpMethod.Post, $"/api/users/{userId}/balance/charges",
            """{"amount":1234}"""u8.ToArray(), contentType);
        Assert.Equal(HttpStatusCode.OK, charged.StatusCode);
        Assert.Equal(1234, await Client.BalanceAsync(userId));
        Assert.Empty(logged.Log.Errors());
    }

    [Theory]
    [InlineData("application/json; charset=euc-kr")]
    [InlineData("application/json; charset=windows-1252")]
    [InlineData("application/json; charset=latin1")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=\"latin1\"")]
    [InlineData("application/json; charset=no-such-charset")]
    [InlineData("application/json; charset=utf-8; charset=latin1")]
    public async Task Any_other_charset_is_415_and_logs_no_error(string contentType)
    {
        var userId = await Client.CreateUserAsync();
        await Client.ChargeAsync(userId, 5_000);

        var create = await Client.SendRawAsync(HttpMethod.Post, "/api/users", NewUserBody("José"), contentType);
        var charge = await Client.SendRawAsync(HttpMethod.Post, $"/api/users/{userId}/balance/charges",
            """{"amount":1000}"""u8.ToArray(), contentType);

        await create.AssertNoLeakAsync();
        await create.AssertProblemAsync(415, "unsupported_media_type");
        await charge.AssertProblemAsync(415, "unsupported_media_type");
        Assert.Equal(5_000, await Client.BalanceAsync(userId));
        Assert.Empty(logged.Log.Errors());
    }

    [Fact]
    public async Task A_latin1_body_is_refused_not_stored_as_mojibake()
    {
        var before = await Client.CreateUserAsync("Before");

        // "José" in UTF-8 bytes, declared Latin-1: decoding it as declared would store "JosÃ©".
        var response = await Client.SendRawAsync(HttpMethod.Post, "/api/users", NewUserBody("José"),
            "application/json; charset=latin1");

        await response.AssertProblemAsync(415, "unsupported_media_type");
        var after = await Client.CreateUserAsync("After");
        Assert.Equal(before + 1, after);   // nothing was created in between
    }
}
