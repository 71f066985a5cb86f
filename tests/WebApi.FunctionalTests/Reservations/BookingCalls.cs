using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// The booking calls the Concerts, Reservations and Payments tests share, and what they know of the demo catalogue:
/// concerts 1..3 with schedules 1..9 (three each, in order), 50 seats a schedule with consecutive ids.
/// </summary>
public static partial class BookingCalls
{
    public const int SeatsPerSchedule = 50;

    public static readonly TimeSpan HoldDuration = TimeSpan.FromMinutes(5);

    public static long ScheduleOfSeat(long seatId) => ((seatId - 1) / SeatsPerSchedule) + 1;

    public static long ConcertOfSchedule(long scheduleId) => ((scheduleId - 1) / 3) + 1;

    public static int NumberOfSeat(long seatId) => (int)((seatId - 1) % SeatsPerSchedule) + 1;

    public static long PriceOfNumber(int number) => number switch
    {
        <= 10 => 165_000,
        <= 30 => 121_000,
        _ => 77_000,
    };

    public static long PriceOfSeat(long seatId) => PriceOfNumber(NumberOfSeat(seatId));

    public static string SchedulesUrl(long concertId) => $"/api/concerts/{concertId}/schedules";

    public static string SeatsUrl(long scheduleId) =>
        $"/api/concerts/{ConcertOfSchedule(scheduleId)}/schedules/{scheduleId}/seats";

    /// <summary>ISO-8601 in UTC with a trailing Z, as the contract writes every timestamp.</summary>
    public static DateTimeOffset AssertIsoUtc(JsonElement value)
    {
        var text = value.GetString();
        Assert.NotNull(text);
        Assert.Matches(IsoUtc(), text);
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Equal instants, to the microsecond a PostgreSQL timestamp keeps.</summary>
    public static void AssertSameInstant(DateTimeOffset expected, JsonElement actual)
    {
        var read = AssertIsoUtc(actual);
        Assert.True((read - expected).Duration() < TimeSpan.FromMicroseconds(1), $"Expected {expected:O}, read {read:O}");
    }

    /// <summary>Moves the fake clock to the next whole second, so stored timestamps lose nothing on any provider.</summary>
    public static DateTimeOffset AlignClock(this TestApi api)
    {
        var now = api.Clock.GetUtcNow();
        var next = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);
        api.Clock.SetUtcNow(next);
        return next;
    }

    public static async Task<JsonElement> GetOkAsync(this HttpClient client, string url, string? token = null)
    {
        var response = await client.SendWithTokenAsync(HttpMethod.Get, url, token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<List<JsonElement>> SeatsAsync(this HttpClient client, string token, long scheduleId) =>
        (await client.GetOkAsync(SeatsUrl(scheduleId), token)).EnumerateArray().ToList();

    /// <summary>Reads with a token of a fresh onlooker (a new active user), who leaves the queue right after.</summary>
    public static async Task<T> AsOnlookerAsync<T>(this HttpClient client, Func<string, Task<T>> read)
    {
        var (_, token) = await client.ActiveUserAsync("Onlooker");
        try
        {
            return await read(token);
        }
        finally
        {
            var left = await client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", token);
            Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);
        }
    }

    /// <summary>Every seat's status of a schedule, keyed by seat id, as an onlooker reads it.</summary>
    public static Task<Dictionary<long, string>> SeatStatusesAsync(this HttpClient client, long scheduleId) =>
        client.AsOnlookerAsync(async token => (await client.SeatsAsync(token, scheduleId))
            .ToDictionary(s => s.GetProperty("id").GetInt64(), s => s.GetProperty("status").GetString()!));

    public static async Task<string> SeatStatusAsync(this HttpClient client, long seatId) =>
        (await client.SeatStatusesAsync(ScheduleOfSeat(seatId)))[seatId];

    /// <summary>The schedule's availableSeats, as an onlooker reads it.</summary>
    public static Task<int> AvailableSeatsAsync(this HttpClient client, long scheduleId) =>
        client.AsOnlookerAsync(async token =>
        {
            var schedules = await client.GetOkAsync(SchedulesUrl(ConcertOfSchedule(scheduleId)), token);
            return schedules.EnumerateArray().Single(s => s.GetProperty("id").GetInt64() == scheduleId)
                .GetProperty("availableSeats").GetInt32();
        });

    public static async Task<List<JsonElement>> ReservationsAsync(this HttpClient client, long userId) =>
        (await client.GetOkAsync($"/api/users/{userId}/reservations")).EnumerateArray().ToList();

    public static async Task<JsonElement> ReservationAsync(this HttpClient client, long userId, long reservationId) =>
        Assert.Single(await client.ReservationsAsync(userId), r => r.GetProperty("id").GetInt64() == reservationId);

    public static async Task<string> ReservationStatusAsync(this HttpClient client, long userId, long reservationId) =>
        (await client.ReservationAsync(userId, reservationId)).GetProperty("status").GetString()!;

    public static async Task<List<JsonElement>> HistoryAsync(this HttpClient client, long userId) =>
        (await client.GetOkAsync($"/api/users/{userId}/balance/history?limit=100")).EnumerateArray().ToList();

    public static async Task<string> QueueStatusAsync(this HttpClient client, string token) =>
        (await client.GetOkAsync("/api/queue/tokens/current", token)).GetProperty("status").GetString()!;

    /// <summary>A new active token for a user whose token has expired (after a payment, or by time).</summary>
    public static async Task<string> RejoinAsync(this HttpClient client, long userId)
    {
        var status = await client.JoinQueueAsync(userId);
        Assert.Equal("active", status.GetProperty("status").GetString());
        return status.GetProperty("token").GetString()!;
    }

    /// <summary>A new active user with <paramref name="balance"/> won.</summary>
    public static async Task<(long UserId, string Token)> BuyerAsync(this HttpClient client, long balance, string name = "Buyer")
    {
        var (userId, token) = await client.ActiveUserAsync(name);
        while (balance > 0)
        {
            var amount = Math.Min(balance, 1_000_000);
            await client.ChargeAsync(userId, amount);
            balance -= amount;
        }

        return (userId, token);
    }

    public static async Task<JsonElement> HoldOkAsync(this HttpClient client, string token, long seatId)
    {
        var response = await client.HoldAsync(token, seatId);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Hold of seat {seatId}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<long> HoldIdAsync(this HttpClient client, string token, long seatId) =>
        (await client.HoldOkAsync(token, seatId)).GetProperty("id").GetInt64();

    public static Task<JsonElement> PayOkAsync(this HttpClient client, string token, long reservationId, string? key = null) =>
        client.PayOkAsync(token, [reservationId], key);

    public static async Task<JsonElement> PayOkAsync(this HttpClient client, string token, long[] reservationIds, string? key = null)
    {
        var response = await client.PayAsync(token, reservationIds, key);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Payment of {string.Join(", ", reservationIds)}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A payment answer's reservationIds, in order.</summary>
    public static long[] ReservationIdsOf(JsonElement payment) =>
        payment.GetProperty("reservationIds").EnumerateArray().Select(i => i.GetInt64()).ToArray();

    /// <summary>
    /// What a failed request must leave untouched, as one comparable text: the user's balance, history and
    /// reservations, and the seat's status.
    /// </summary>
    public static async Task<string> SnapshotAsync(this HttpClient client, long userId, long seatId)
    {
        var balance = await client.BalanceAsync(userId);
        var history = await client.GetStringAsync($"/api/users/{userId}/balance/history?limit=100");
        var reservations = await client.GetStringAsync($"/api/users/{userId}/reservations");
        var seat = await client.SeatStatusAsync(seatId);
        return $"balance={balance}\nhistory={history}\nreservations={reservations}\nseat {seatId}={seat}";
    }

    /// <summary>Posts <paramref name="json"/> verbatim as application/json, for bodies a serializer would not write.</summary>
    public static Task<HttpResponseMessage> PostJsonTextAsync(
        this HttpClient client, string url, string? token, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Add("Queue-Token", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> CancelAsync(this HttpClient client, string? token, long reservationId) =>
        client.SendWithTokenAsync(HttpMethod.Delete, $"/api/reservations/{reservationId}", token);

    public static Task<HttpResponseMessage> LeaveQueueAsync(this HttpClient client, string token) =>
        client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", token);

    /// <summary>
    /// Runs <paramref name="count"/> attempts that all wait on one gate and are released together, so they really race.
    /// </summary>
    public static async Task<T[]> RaceAsync<T>(int count, Func<int, Task<T>> attempt)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            return await attempt(i);
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Runs <paramref name="work"/> for every item, a few at a time (setup, not a race).</summary>
    public static async Task<T[]> ForEachAsync<T>(int count, int parallelism, Func<int, Task<T>> work)
    {
        var results = new T[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (i, _) => results[i] = await work(i));
        return results;
    }

    public static HttpClient[] Clients(this TestApi api, int count) =>
        Enumerable.Range(0, count).Select(_ => api.CreateClient()).ToArray();

    /// <summary>The status and, for a problem answer, its code: "409 seat_unavailable", "201".</summary>
    public static async Task<string> OutcomeAsync(this HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return status.ToString(CultureInfo.InvariantCulture);
        }

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return body.TryGetProperty("code", out var code) ? $"{status} {code.GetString()}" : $"{status}";
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$")]
    private static partial Regex IsoUtc();
}
