// The client side of bench/queue/run.sh, for what wrk does badly: lists that run once, answers that must be kept.
//   join      <baseUrl> <bearers> <out> <parallel> <expectedStatus>
//             POST /api/queue/tokens once per bearer (line i = user i), no body, as a client joins. Writes line i of
//             <out>: "token<TAB>status<TAB>position". Every answer must be 201 with <expectedStatus>.
//   poll      <baseUrl> <bearers> <tokens> <parallel> <out> <firstPosition>
//             GET /api/queue/tokens/current once per caller (line i of both files). Writes line i of <out>:
//             "status<TAB>position". Every answer must be 200 "waiting", and the positions read must be exactly
//             firstPosition .. firstPosition + n - 1, each once (the callers are the whole stretch of the line).
//   leave     <baseUrl> <bearers> <tokens> <parallel>
//             DELETE /api/queue/tokens/current once per caller: every answer must be 204.
//   get       <baseUrl> <path> <count> <parallel>
//             <count> GETs of <path>: the same client's baseline (/health/live).
//   drawcheck <baseUrl> <tokens> <positions> <commitment saved before the draw> <firstPosition>
//             The published draw: sha256(seed) = commitment = the one saved; total = the tokens given; the scores
//             are exactly HMAC-SHA256(seed, token) of those tokens, ascending; the k-th of them by score read
//             position firstPosition + k - 1 (from <positions>, the poll's output for those tokens).
// Each measuring mode prints one line on stdout:
//   RESULT <req/s> <p50 ms> <p99 ms> <requests> <failed (non-2xx or refused)> <wrong answers> <wall seconds>
// and exits 1 when anything was wrong (the line is printed first). Progress goes to stderr.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

var mode = args[0];
var baseUrl = new Uri(args[1]);
using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = 256,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
})
{ BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };

var inv = CultureInfo.InvariantCulture;
void Log(string s) => Console.Error.WriteLine($"[queue-bench {DateTime.Now:HH:mm:ss}] {s}");
var problems = 0;
void Problem(string s)
{
    if (Interlocked.Increment(ref problems) <= 5)
    {
        Log(s);
    }
}

return mode switch
{
    "join" => await JoinAsync(args[2], args[3], int.Parse(args[4], inv), args[5]),
    "poll" => await PollAsync(args[2], args[3], int.Parse(args[4], inv), args[5], long.Parse(args[6], inv)),
    "leave" => await LeaveAsync(args[2], args[3], int.Parse(args[4], inv)),
    "get" => await GetAsync(args[2], int.Parse(args[3], inv), int.Parse(args[4], inv)),
    "drawcheck" => await DrawCheckAsync(args[2], args[3], args[4], long.Parse(args[5], inv)),
    _ => throw new ArgumentException($"unknown mode {mode}"),
};

// Runs body(i) for i in 0..count-1, `parallel` at a time; returns each request's seconds and the wall time.
async Task<(double[] Seconds, double Wall)> RunAsync(int count, int parallel, Func<int, Task<bool>> body)
{
    var seconds = new double[count];
    var next = -1;
    var done = 0;
    var wall = Stopwatch.StartNew();
    using var progress = new Timer(_ => Log($"{Volatile.Read(ref done)} of {count} in {wall.Elapsed.TotalSeconds:F0} s"),
        null, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (!await body(i))
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                Interlocked.Increment(ref failed);
                Problem($"request {i}: {e.GetType().Name}: {e.Message}");
            }

            seconds[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Interlocked.Increment(ref done);
        }
    }));
    return (seconds, wall.Elapsed.TotalSeconds);
}

int Result(double[] seconds, double wall, int wrong)
{
    var sorted = seconds.Order().ToArray();
    double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)] * 1000;
    Console.WriteLine(string.Create(inv,
        $"RESULT\t{sorted.Length / wall:F1}\t{Percentile(0.50):F3}\t{Percentile(0.99):F3}\t{sorted.Length}\t{failed}\t{wrong}\t{wall:F2}"));
    return failed == 0 && wrong == 0 ? 0 : 1;
}

HttpRequestMessage Request(HttpMethod method, string path, string bearer, string? queueToken = null)
{
    var request = new HttpRequestMessage(method, path);
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    if (queueToken is not null)
    {
        request.Headers.Add("Queue-Token", queueToken);
    }

    return request;
}

async Task<int> JoinAsync(string bearersPath, string outPath, int parallel, string expected)
{
    var bearers = File.ReadAllLines(bearersPath);
    var rows = new string[bearers.Length];
    var wrong = 0;
    Log($"{bearers.Length} joins, {parallel} at a time, each expected 201 {expected}");
    var (seconds, wall) = await RunAsync(bearers.Length, parallel, async i =>
    {
        using var request = Request(HttpMethod.Post, "/api/queue/tokens", bearers[i]);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201)
        {
            Problem($"join {i}: {(int)response.StatusCode} {body}");
            return false;
        }

        var status = JsonDocument.Parse(body).RootElement;
        var state = status.GetProperty("status").GetString();
        var position = status.GetProperty("position");
        rows[i] = $"{status.GetProperty("token").GetString()}\t{state}\t{(position.ValueKind == JsonValueKind.Number ? position.GetInt64() : 0)}";
        if (state != expected)
        {
            Interlocked.Increment(ref wrong);
            Problem($"join {i}: {state}, expected {expected}");
        }

        return true;
    });
    await File.WriteAllLinesAsync(outPath, rows.Select(r => r ?? "-\tfailed\t0"));
    return Result(seconds, wall, wrong);
}

async Task<int> PollAsync(string bearersPath, string tokensPath, int parallel, string outPath, long firstPosition)
{
    var bearers = File.ReadAllLines(bearersPath);
    var tokens = File.ReadAllLines(tokensPath);
    if (bearers.Length != tokens.Length)
    {
        throw new InvalidOperationException("bearers and tokens differ in length");
    }

    var positions = new long[tokens.Length];
    var rows = new string[tokens.Length];
    var wrong = 0;
    Log($"{tokens.Length} first polls, {parallel} at a time; positions expected {firstPosition}..{firstPosition + tokens.Length - 1}");
    var (seconds, wall) = await RunAsync(tokens.Length, parallel, async i =>
    {
        using var request = Request(HttpMethod.Get, "/api/queue/tokens/current", bearers[i], tokens[i]);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 200)
        {
            Problem($"poll {i}: {(int)response.StatusCode} {body}");
            return false;
        }

        var status = JsonDocument.Parse(body).RootElement;
        var state = status.GetProperty("status").GetString();
        var position = status.GetProperty("position");
        positions[i] = position.ValueKind == JsonValueKind.Number ? position.GetInt64() : 0;
        rows[i] = $"{state}\t{positions[i]}";
        if (state != "waiting")
        {
            Interlocked.Increment(ref wrong);
            Problem($"poll {i}: {state}, expected waiting");
        }

        return true;
    });
    await File.WriteAllLinesAsync(outPath, rows.Select(r => r ?? "failed\t0"));
    var sorted = positions.Order().ToArray();
    var mismatches = sorted.Where((p, k) => p != firstPosition + k).Count();
    if (mismatches > 0)
    {
        wrong += mismatches;
        Log($"positions read are not exactly {firstPosition}..{firstPosition + tokens.Length - 1}: {mismatches} differ " +
            $"(lowest {sorted[0]}, highest {sorted[^1]}, distinct {sorted.Distinct().Count()})");
    }
    else
    {
        Log($"positions read: exactly {firstPosition}..{firstPosition + tokens.Length - 1}, each once");
    }

    return Result(seconds, wall, wrong);
}

async Task<int> LeaveAsync(string bearersPath, string tokensPath, int parallel)
{
    var bearers = File.ReadAllLines(bearersPath);
    var tokens = File.ReadAllLines(tokensPath);
    var (seconds, wall) = await RunAsync(tokens.Length, parallel, async i =>
    {
        using var request = Request(HttpMethod.Delete, "/api/queue/tokens/current", bearers[i], tokens[i]);
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode != 204)
        {
            Problem($"leave {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return false;
        }

        return true;
    });
    return Result(seconds, wall, 0);
}

async Task<int> GetAsync(string path, int count, int parallel)
{
    var (seconds, wall) = await RunAsync(count, parallel, async _ =>
    {
        using var response = await http.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    });
    return Result(seconds, wall, 0);
}

async Task<int> DrawCheckAsync(string tokensPath, string positionsPath, string savedCommitment, long firstPosition)
{
    var tokens = File.ReadAllLines(tokensPath);
    var positions = File.ReadAllLines(positionsPath).Select(l => long.Parse(l.Split('\t')[1], inv)).ToArray();
    var published = new List<string>(tokens.Length);
    string? commitment = null, seedHex = null;
    var total = -1;
    for (var offset = 0; ; offset += 1000)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/waiting-room/draw?offset={offset}&limit=1000"));
        var draw = doc.RootElement;
        commitment = draw.GetProperty("commitment").GetString();
        seedHex = draw.GetProperty("seed").GetString();
        total = draw.GetProperty("total").GetInt32();
        var page = draw.GetProperty("scores").EnumerateArray().Select(s => s.GetString()!).ToList();
        published.AddRange(page);
        if (page.Count < 1000 || published.Count >= total)
        {
            break;
        }
    }

    var ok = true;
    void Check(bool condition, string what)
    {
        Console.WriteLine($"CHECK\t{(condition ? "ok" : "FAILED")}\t{what}");
        ok &= condition;
    }

    var seed = Convert.FromHexString(seedHex ?? "");
    var hashed = Convert.ToHexStringLower(SHA256.HashData(seed));
    Check(seed.Length == 32 && hashed == commitment, $"sha256(seed) = commitment ({commitment})");
    Check(commitment == savedCommitment, "the commitment is the one published when the opening was scheduled");
    Check(total == tokens.Length, $"the draw's total {total} = the {tokens.Length} tokens that joined the pre-queue");
    var scored = tokens
        .Select((t, i) => (Score: Convert.ToHexStringLower(HMACSHA256.HashData(seed, Encoding.UTF8.GetBytes(t))), Index: i))
        .OrderBy(s => s.Score, StringComparer.Ordinal)
        .ToArray();
    Check(published.Count == scored.Length && published.SequenceEqual(scored.Select(s => s.Score)),
        $"the {published.Count} published scores are exactly HMAC-SHA256(seed, token) of the joined tokens, ascending");
    var misplaced = scored.Where((s, k) => positions[s.Index] != firstPosition + k).Count();
    Check(misplaced == 0, $"the k-th token by score read position {firstPosition - 1} + k in its first poll ({misplaced} did not)");
    return ok ? 0 : 1;
}

public partial class Program
{
    private static int failed;
}
