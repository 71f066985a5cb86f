// Opens N live status streams on an already-running service and prints what they cost it. Signs users up and in
// through the API (bearer tokens), joins them to the queue (K active, N waiting), opens one stream per waiting user,
// then measures: the service's RSS delta per stream, its CPU while the streams sit idle, and, as the K active users
// leave one at a time, the time from each admission (the event's own activatedAt, same host clock) to the "active"
// event reaching its stream.
//   dotnet StreamBench.dll <baseUrl> <servicePid> <streams N> <active K> [leavesPerSecond]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

var baseUrl = new Uri(args[0]);
var pid = int.Parse(args[1], CultureInfo.InvariantCulture);
var n = int.Parse(args[2], CultureInfo.InvariantCulture);
var k = int.Parse(args[3], CultureInfo.InvariantCulture);
var leavesPerSecond = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 5;

using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
})
{ BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };

void Log(string s) => Console.Error.WriteLine($"[stream-bench {DateTime.Now:HH:mm:ss}] {s}");

async Task ForEachAsync(int count, int parallel, Func<int, Task> body)
{
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            await body(i);
        }
    }));
}

async Task<(string Bearer, string Token, string Status)> UserAsync(int i)
{
    var email = $"bench-{i}-{Guid.NewGuid():N}@example.com";
    const string password = "correct horse battery";
    (await http.PostAsJsonAsync("/api/users", new { name = $"bench {i}", email, password })).EnsureSuccessStatusCode();
    var signIn = await http.PostAsJsonAsync("/api/auth/token", new { email, password });
    signIn.EnsureSuccessStatusCode();
    var bearer = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    using var join = new HttpRequestMessage(HttpMethod.Post, "/api/queue/tokens");
    join.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    var joined = await http.SendAsync(join);
    joined.EnsureSuccessStatusCode();
    var status = await joined.Content.ReadFromJsonAsync<JsonElement>();
    return (bearer, status.GetProperty("token").GetString()!, status.GetProperty("status").GetString()!);
}

long RssKb() => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
    .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

double CpuSeconds()
{
    // utime and stime, fields 14 and 15, in clock ticks (100 per second on Linux).
    var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

var clock = Stopwatch.StartNew();
Log($"signing up and joining {k} active users");
var active = new (string Bearer, string Token, string Status)[k];
await ForEachAsync(k, 16, async i => active[i] = await UserAsync(i));
if (active.Any(a => a.Status != "active"))
{
    throw new InvalidOperationException("the first K users must be active: start the service with Queue__MaxActiveTokens=K");
}

Log($"signing up and joining {n} waiting users");
var waiting = new (string Bearer, string Token, string Status)[n];
await ForEachAsync(n, 16, async i => waiting[i] = await UserAsync(k + i));
if (waiting.Any(w => w.Status != "waiting"))
{
    throw new InvalidOperationException("every later user must be waiting");
}

Log($"setup took {clock.Elapsed.TotalSeconds:F0} s; letting the service settle");
await Task.Delay(TimeSpan.FromSeconds(5));
var rssBefore = RssKb();

var events = 0L;
var keepAlives = 0L;
var admittedAt = new ConcurrentDictionary<string, (DateTime ActivatedAt, DateTime ReceivedAt)>();
var firstEvents = new CountdownEvent(n);
var refused = 0;
using var stop = new CancellationTokenSource();

async Task StreamAsync(int i)
{
    var (bearer, token, _) = waiting[i];
    using var request = new HttpRequestMessage(HttpMethod.Get, "/api/queue/tokens/current/events");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    request.Headers.Add("Queue-Token", token);
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
    if (response.StatusCode != HttpStatusCode.OK)
    {
        Interlocked.Increment(ref refused);
        firstEvents.Signal();
        return;
    }

    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
    var first = true;
    try
    {
        while (await reader.ReadLineAsync(stop.Token) is { } line)
        {
            if (line.StartsWith(':'))
            {
                Interlocked.Increment(ref keepAlives);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var received = DateTime.UtcNow;
                Interlocked.Increment(ref events);
                if (first)
                {
                    first = false;
                    firstEvents.Signal();
                }

                if (line.Contains("\"status\":\"active\"", StringComparison.Ordinal))
                {
                    var status = JsonDocument.Parse(line.AsMemory(6)).RootElement;
                    admittedAt[token] = (status.GetProperty("activatedAt").GetDateTime().ToUniversalTime(), received);
                }
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}

Log($"opening {n} streams");
clock.Restart();
var streams = new List<Task>(n);
for (var i = 0; i < n; i++)
{
    var index = i;
    streams.Add(Task.Run(() => StreamAsync(index)));
    if (i % 200 == 199)
    {
        await Task.Delay(20);   // a steady ramp, not one SYN flood
    }
}

if (!firstEvents.Wait(TimeSpan.FromMinutes(3)))
{
    Log($"only {n - firstEvents.CurrentCount} first events within 3 min");
}

Log($"{n - refused} streams open ({refused} refused), every first event in {clock.Elapsed.TotalSeconds:F1} s");

await Task.Delay(TimeSpan.FromSeconds(10));
var rssAfter = RssKb();
var idleEvents = Interlocked.Read(ref events);
var cpu0 = CpuSeconds();
var idleWatch = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(20));
var idleCpu = (CpuSeconds() - cpu0) / idleWatch.Elapsed.TotalSeconds;
var eventsWhileIdle = Interlocked.Read(ref events) - idleEvents;

Log($"leaving {k} active users, {leavesPerSecond}/s: each admits the next waiting one");
var leftAt = new DateTime[k];
var cpu1 = CpuSeconds();
var busyWatch = Stopwatch.StartNew();
for (var i = 0; i < k; i++)
{
    using var leave = new HttpRequestMessage(HttpMethod.Delete, "/api/queue/tokens/current");
    leave.Headers.Authorization = new AuthenticationHeaderValue("Bearer", active[i].Bearer);
    leave.Headers.Add("Queue-Token", active[i].Token);
    leftAt[i] = DateTime.UtcNow;
    (await http.SendAsync(leave)).EnsureSuccessStatusCode();
    await Task.Delay(TimeSpan.FromSeconds(1 / leavesPerSecond));
}

var deadline = DateTime.UtcNow.AddSeconds(60);
while (admittedAt.Count < k && DateTime.UtcNow < deadline)
{
    await Task.Delay(100);
}

var busyCpu = (CpuSeconds() - cpu1) / busyWatch.Elapsed.TotalSeconds;
var latencies = admittedAt.Values.Select(v => (v.ReceivedAt - v.ActivatedAt).TotalMilliseconds).Order().ToArray();
double Percentile(double p) => latencies.Length == 0 ? double.NaN : latencies[Math.Max(0, (int)Math.Ceiling(p * latencies.Length) - 1)];

stop.Cancel();
await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);

Console.WriteLine($"streams open                      {n - refused} (refused {refused})");
Console.WriteLine($"service RSS before / after        {rssBefore / 1024.0:F1} MiB / {rssAfter / 1024.0:F1} MiB");
Console.WriteLine($"memory per stream                 {(rssAfter - rssBefore) * 1024.0 / Math.Max(1, n - refused) / 1024:F1} KiB (RSS delta / streams)");
Console.WriteLine($"service CPU while idle            {idleCpu * 100:F1} % of one core (20 s, {eventsWhileIdle} events, {Interlocked.Read(ref keepAlives)} keep-alives so far)");
Console.WriteLine($"admissions seen by their stream   {admittedAt.Count} of {k} ({leavesPerSecond}/s leaves; service CPU meanwhile {busyCpu * 100:F0} % of one core)");
Console.WriteLine($"admission -> event p50 / p99      {Percentile(0.50):F0} ms / {Percentile(0.99):F0} ms (max {(latencies.Length == 0 ? double.NaN : latencies[^1]):F0} ms)");
Console.WriteLine($"events received in all            {Interlocked.Read(ref events)}");
return admittedAt.Count == k && refused == 0 ? 0 : 1;
