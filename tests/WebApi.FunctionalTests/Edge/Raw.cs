using System.Net.Http.Headers;
using System.Text;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>Requests a well-behaved client would never send, and the check that no answer leaks internals.</summary>
public static class Raw
{
    private static readonly string[] Leaks = ["Exception", "   at ", "System.", "SELECT", "INSERT", "UPDATE ", "DELETE FROM", "Npgsql", "SQLite", "Microsoft."];

    public static Task<HttpResponseMessage> SendRawAsync(
        this HttpClient client, HttpMethod method, string url, byte[]? body, string? contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body, string? contentType = "application/json") =>
        client.SendRawAsync(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body), contentType);

    /// <summary>Reads the body and fails when it shows a stack trace, a type name or SQL.</summary>
    public static async Task<string> AssertNoLeakAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        foreach (var leak in Leaks)
        {
            Assert.False(text.Contains(leak, StringComparison.Ordinal), $"The answer leaks '{leak}': {text}");
        }

        return text;
    }
}
