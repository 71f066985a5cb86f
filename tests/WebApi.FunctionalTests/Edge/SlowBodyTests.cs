using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>
/// A body that arrives too slowly is 408 request_timeout problem+json (Kestrel's minimum body data rate, made short
/// here by configuration), not a 400 that blames a missing body. The test waits for the answer; it times nothing.
/// </summary>
public sealed class SlowBodyTests
{
    [Fact]
    public async Task A_body_trickled_too_slowly_is_408_request_timeout()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.Settings["Http:MinRequestBodyBytesPerSecond"] = "100";
            o.Settings["Http:MinRequestBodyGracePeriod"] = "00:00:01.5";
        });
        var userId = await api.Client.CreateUserAsync();
        var address = api.Client.BaseAddress!;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/users/{userId}/balance/charges HTTP/1.1\r\nHost: {address.Authority}\r\n"
                   + $"Authorization: Bearer {api.Database.Sessions.BearerOf(userId)}\r\n"
                   + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"amo";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.FlushAsync();

        // The rest never comes; the server answers once the grace period is over and the rate is still too low.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answer = await ReadAnswerAsync(stream, timeout.Token);

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        var body = JsonDocument.Parse(BodyOf(answer)).RootElement;
        Assert.Equal("request_timeout", body.GetProperty("code").GetString());
        Assert.Equal(408, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("traceId").GetString()));
        Assert.Equal(0, await api.Client.BalanceAsync(userId));
    }

    private static bool IsChunked(string head) =>
        head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);

    private static string BodyOf(string answer)
    {
        var end = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = answer[(end + 4)..];
        if (!IsChunked(answer[..end]))
        {
            return body;
        }

        var joined = new StringBuilder();
        while (true)
        {
            var line = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(body[..line], 16);
            if (size == 0)
            {
                return joined.ToString();
            }

            joined.Append(body, line + 2, size);   // the problem body is ASCII, so chars are bytes
            body = body[(line + 2 + size + 2)..];
        }
    }

    /// <summary>Reads the status line, headers and a Content-Length body (or until the server closes).</summary>
    private static async Task<string> ReadAnswerAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.UTF8.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var length = text[..end].Split("\r\n")
                    .Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                    .FirstOrDefault(-1);
                if ((length >= 0 && received.Count >= end + 4 + length)
                    || (IsChunked(text[..end]) && text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)))
                {
                    return text;
                }
            }

            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return Encoding.UTF8.GetString(received.ToArray());
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }
}
