using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Concert.WebApi.BrowserTests.Infrastructure;

/// <summary>Another person, through the public contract only: the people ahead of the browser's user in line.</summary>
public sealed class ApiUser(HttpClient client, string accessToken)
{
    private string? _queueToken;

    public static async Task<ApiUser> SignUpAsync(HttpClient client, string name)
    {
        var email = $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery";
        var created = await client.PostAsJsonAsync("/api/users", new { name, email, password });
        await EnsureAsync(created, "sign-up");
        var signedIn = await client.PostAsJsonAsync("/api/auth/token", new { email, password });
        await EnsureAsync(signedIn, "sign-in");
        var token = await signedIn.Content.ReadFromJsonAsync<JsonElement>();
        return new ApiUser(client, token.GetProperty("accessToken").GetString()!);
    }

    /// <summary>Joins the queue and returns the status it answered ("active", "waiting", …).</summary>
    public async Task<string> JoinAsync()
    {
        using var response = await client.SendAsync(Request(HttpMethod.Post, "/api/queue/tokens"));
        await EnsureAsync(response, "join");
        var status = await response.Content.ReadFromJsonAsync<JsonElement>();
        _queueToken = status.GetProperty("token").GetString();
        return status.GetProperty("status").GetString()!;
    }

    public async Task LeaveAsync()
    {
        using var response = await client.SendAsync(Request(HttpMethod.Delete, "/api/queue/tokens/current"));
        await EnsureAsync(response, "leave");
    }

    private HttpRequestMessage Request(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (_queueToken is not null)
        {
            request.Headers.Add("Queue-Token", _queueToken);
        }

        return request;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
