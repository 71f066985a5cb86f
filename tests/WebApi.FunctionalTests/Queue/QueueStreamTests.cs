using System.Net;
using System.Text.Json;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// <c>GET /api/queue/tokens/current/events</c>: the poll's answer as server-sent events, at once and at every change,
/// woken by the instance's own refreshes rather than by a query per stream.
/// </summary>
public sealed class QueueStreamTests
{
    private const string Events = "/api/queue/tokens/current/events";

    // How long to wait for an event before failing instead of hanging: not a speed. An event that follows another
    // instance's change, or a leave, comes once the instance reads the line again (every one to two seconds, later
    // on a busy machine).
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_first_event_is_the_polls_answer_at_once()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var (_, active) = await api.Client.NewUserJoinsAsync();
        var (_, waiting) = await api.Client.NewUserJoinsAsync();

        await using var activeStream = await EventStream.OpenAsync(api.Client, active.Token());
        Assert.Equal("text/event-stream", activeStream.Response.Content.Headers.ContentType?.MediaType);
        var first = await activeStream.NextStatusAsync(Soon);
        QueueReads.AssertShape(first);
        Assert.Equal((await api.Client.StatusAsync(active.Token())).GetRawText(), first.GetRawText());

        await using var waitingStream = await EventStream.OpenAsync(api.Client, waiting.Token());
        var waitingFirst = await waitingStream.NextStatusAsync(Soon);
        QueueReads.AssertShape(waitingFirst);
        QueueReads.AssertWaiting(waitingFirst, position: 1);
        Assert.Equal(waiting.Token(), waitingFirst.Token());
    }

    [Fact]
    public async Task A_waiting_stream_sees_its_admission_within_two_seconds_of_a_slot_freeing()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Workers = true;
            o.AdmissionInterval = TimeSpan.FromMilliseconds(100);
        });
        var (_, active) = await api.Client.NewUserJoinsAsync();
        var (_, waiting) = await api.Client.NewUserJoinsAsync();
        await using var stream = await EventStream.OpenAsync(api.Client, waiting.Token());
        QueueReads.AssertWaiting(await stream.NextStatusAsync(Soon), position: 1);

        await api.Client.LeaveAsync(active.Token());

        var admitted = await stream.NextStatusAsync(Soon);
        QueueReads.AssertActive(admitted);
        Assert.Equal(waiting.Token(), admitted.Token());
    }

    [Fact]
    public async Task A_stream_on_one_instance_sees_an_admission_made_by_another_within_two_seconds()
    {
        await using var first = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await using var second = await first.StartSiblingAsync(o => o.MaxActiveTokens = 1);
        var (_, active) = await first.Client.NewUserJoinsAsync();
        var (_, waiting) = await first.Client.NewUserJoinsAsync();
        await using var stream = await EventStream.OpenAsync(second.Client, waiting.Token());
        QueueReads.AssertWaiting(await stream.NextStatusAsync(Soon), position: 1);

        // The leave admits the next in line on the first instance; only the second one's own refresh can tell it.
        await first.Client.LeaveAsync(active.Token());

        QueueReads.AssertActive(await stream.NextStatusAsync(Soon));
    }

    [Fact]
    public async Task A_waiting_stream_sees_its_position_move_when_someone_ahead_leaves()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await api.Client.NewUserJoinsAsync();
        var (_, ahead) = await api.Client.NewUserJoinsAsync();
        var (_, behind) = await api.Client.NewUserJoinsAsync();
        await using var stream = await EventStream.OpenAsync(api.Client, behind.Token());
        QueueReads.AssertWaiting(await stream.NextStatusAsync(Soon), position: 2);

        await api.Client.LeaveAsync(ahead.Token());

        QueueReads.AssertWaiting(await stream.NextStatusAsync(Soon), position: 1);
    }

    [Fact]
    public async Task The_last_event_after_a_leave_is_expired_and_the_stream_closes()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var (_, active) = await api.Client.NewUserJoinsAsync();
        var (_, waiting) = await api.Client.NewUserJoinsAsync();
        await using var activeStream = await EventStream.OpenAsync(api.Client, active.Token());
        await using var waitingStream = await EventStream.OpenAsync(api.Client, waiting.Token());
        QueueReads.AssertActive(await activeStream.NextStatusAsync(Soon));
        QueueReads.AssertWaiting(await waitingStream.NextStatusAsync(Soon), position: 1);

        await api.Client.LeaveAsync(waiting.Token());
        await api.Client.LeaveAsync(active.Token());

        foreach (var stream in new[] { waitingStream, activeStream })
        {
            QueueReads.AssertExpired(await stream.NextStatusAsync(Soon));
            Assert.Null(await stream.NextAsync(Soon));   // the server ended the stream
        }

        // An expired token's stream says so once and ends.
        await using var again = await EventStream.OpenAsync(api.Client, waiting.Token());
        QueueReads.AssertExpired(await again.NextStatusAsync(Soon));
        Assert.Null(await again.NextAsync(Soon));
    }

    [Fact]
    public async Task A_stream_needs_the_bearer_and_the_callers_own_queue_token()
    {
        await using var api = await TestApi.StartAsync();
        var (_, mine) = await api.Client.NewUserJoinsAsync();
        var stranger = await api.Client.CreateUserAsync("Lee");

        var anonymous = new HttpRequestMessage(HttpMethod.Get, Events).Anonymously();
        anonymous.Headers.Add("Queue-Token", mine.Token());
        var unsigned = await api.Client.SendAsync(anonymous);
        await unsigned.AssertProblemAsync(401, "unauthenticated");
        Assert.Equal("Bearer", unsigned.Headers.WwwAuthenticate.Single().Scheme);

        await (await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Events).As(stranger)))
            .AssertProblemAsync(401, "queue_token_missing");

        var othersToken = new HttpRequestMessage(HttpMethod.Get, Events).As(stranger);
        othersToken.Headers.Add("Queue-Token", mine.Token());
        await (await api.Client.SendAsync(othersToken)).AssertProblemAsync(401, "queue_token_invalid");

        await (await api.Client.SendWithTokenAsync(HttpMethod.Get, Events, "no-such-token"))
            .AssertProblemAsync(401, "queue_token_invalid");
    }

    [Fact]
    public async Task An_open_stream_keeps_its_waiting_token_from_idling_out()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await api.Client.NewUserJoinsAsync();
        var (_, streamed) = await api.Client.NewUserJoinsAsync();
        var (_, silent) = await api.Client.NewUserJoinsAsync();
        await using var stream = await EventStream.OpenAsync(api.Client, streamed.Token());
        QueueReads.AssertWaiting(await stream.NextStatusAsync(Soon), position: 1);

        // 8 minutes pass, well past the idle timeout (5 min, expiry within 6 after the last recorded poll), in steps
        // of 2: at each the stream's keep-alive falls due, and it looks at its token as a poll would.
        for (var step = 0; step < 4; step++)
        {
            api.Clock.Advance(TimeSpan.FromMinutes(2));
            Assert.Equal(EventStream.KeepAlive, await stream.NextAsync(Patience));
        }

        await api.AdmitAsync();   // writes down what time decided: idle tokens expire

        QueueReads.AssertWaiting(await api.Client.StatusAsync(streamed.Token()), position: 1);
        QueueReads.AssertExpired(await api.Client.StatusAsync(silent.Token()));
        var rows = await api.TokensAsync();
        Assert.Equal(QueueTokenStatus.Waiting, rows.Single(r => r.Token == streamed.Token()).Status);
        Assert.Equal(QueueTokenStatus.Expired, rows.Single(r => r.Token == silent.Token()).Status);
    }

    [Fact]
    public async Task Over_the_instances_stream_limit_a_stream_is_refused_with_429_and_the_slot_returns_when_one_closes()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Settings["Queue:MaxStreamsPerInstance"] = "1";
        });
        var (_, first) = await api.Client.NewUserJoinsAsync();
        var (_, second) = await api.Client.NewUserJoinsAsync();
        var open = await EventStream.OpenAsync(api.Client, first.Token());
        QueueReads.AssertActive(await open.NextStatusAsync(Soon));

        var refused = await api.Client.SendWithTokenAsync(HttpMethod.Get, Events, second.Token());
        await refused.AssertProblemAsync(429, "rate_limited");
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {refused.Headers.RetryAfter}");
        QueueReads.AssertWaiting(await api.Client.StatusAsync(second.Token()), position: 1);   // polling still answers

        await open.DisposeAsync();   // the client goes away: the server notices and frees the slot
        var deadline = DateTime.UtcNow + Patience;
        HttpResponseMessage response;
        while ((response = await EventStream.SendAsync(api.Client, second.Token())).StatusCode == HttpStatusCode.TooManyRequests
               && DateTime.UtcNow < deadline)
        {
            response.Dispose();
            await Task.Delay(50);
        }

        await using var reopened = new EventStream(response);
        QueueReads.AssertWaiting(await reopened.NextStatusAsync(Soon), position: 1);   // a 429 still would fail here
    }

    /// <summary>A server-sent event stream read as a browser's <c>fetch</c> would: line by line, as it arrives.</summary>
    private sealed class EventStream(HttpResponseMessage response) : IAsyncDisposable
    {
        public const string KeepAlive = ": keep-alive";

        private StreamReader? _reader;

        public HttpResponseMessage Response => response;

        public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Events);
            request.Headers.Add("Queue-Token", token);
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }

        public static async Task<EventStream> OpenAsync(HttpClient client, string token)
        {
            var response = await SendAsync(client, token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Fail($"stream: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            return new EventStream(response);
        }

        /// <summary>The next event's data (which must be a <c>status</c> event) within <paramref name="timeout"/>.</summary>
        public async Task<JsonElement> NextStatusAsync(TimeSpan timeout)
        {
            var next = await NextAsync(timeout);
            Assert.NotNull(next);
            Assert.StartsWith("status\n", next, StringComparison.Ordinal);
            return JsonDocument.Parse(next["status\n".Length..]).RootElement;
        }

        /// <summary>The next event as "name\ndata", or a comment line as it is; null when the server ended the
        /// stream. Fails when nothing comes within <paramref name="timeout"/>.</summary>
        public async Task<string?> NextAsync(TimeSpan timeout)
        {
            _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync());
            using var cts = new CancellationTokenSource(timeout);
            string? name = null;
            var data = new List<string>();
            while (true)
            {
                string? line;
                try
                {
                    line = await _reader.ReadLineAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Nothing from the stream within {timeout}.");
                }

                switch (line)
                {
                    case null:
                        return name is null && data.Count == 0 ? null : throw new InvalidDataException("The stream ended mid-event.");
                    case "" when name is not null || data.Count > 0:
                        return $"{name ?? "message"}\n{string.Join('\n', data)}";
                    case "":
                        continue;
                    case [':', ..]:
                        return line;
                    default:
                        if (line.StartsWith("event: ", StringComparison.Ordinal))
                        {
                            name = line["event: ".Length..];
                        }
                        else if (line.StartsWith("data: ", StringComparison.Ordinal))
                        {
                            data.Add(line["data: ".Length..]);
                        }

                        continue;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _reader?.Dispose();
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
