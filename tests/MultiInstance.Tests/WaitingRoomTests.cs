using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Concert.MultiInstance.Tests.Infrastructure;
using Npgsql;

namespace Concert.MultiInstance.Tests;

/// <summary>
/// The waiting room's settings and its opening's draw across two service processes on one database: the room's
/// row is the only place they meet, so a change made through one instance must hold on the other, and an opening
/// both instances reach at once must be drawn exactly once. Where a race matters, the test holds a row lock so
/// that it happens every time (as <see cref="AdmissionRaceTests"/> does), and it judges by the database itself.
/// Each test has its own pair (workers on, a 200 ms admission interval, an operator account, no idle expiry
/// during the test): its draws and settings would otherwise change the room under the other tests.
/// </summary>
public sealed class WaitingRoomTests(ITestOutputHelper output)
{
    private const string OperatorEmail = "ops@example.com";
    private const string OperatorPassword = "operator password";
    private const string Admin = "/api/admin/waiting-room";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static Task<ServicePair> StartAsync(int cap) => ServicePair.StartAsync(cap, new Dictionary<string, string>
    {
        ["Workers__Enabled"] = "true",
        ["Queue__AdmissionInterval"] = "00:00:00.200",
        ["Admin__Email"] = OperatorEmail,
        ["Admin__Password"] = OperatorPassword,
        // Nobody in line idles out mid-test, however slow the machine or sparse the polls.
        ["Queue__WaitingTokenIdleTimeout"] = "02:00:00",
    });

    [Fact]
    public async Task An_opening_both_instances_reach_at_once_is_drawn_once_in_the_published_checkable_order()
    {
        const int cap = 5;
        const int fans = 50;
        await using var pair = await StartAsync(cap: 100);
        var errorsAtStart = ErrorsLogged(pair);
        var client = new LoadClient(pair.Instances, new Ledger());
        var ops = await client.SignInAsync(pair.First, OperatorEmail, OperatorPassword);
        await using var connection = await pair.Database.OpenAsync();
        await using var monitor = await pair.Database.OpenAsync();

        Assert.Equal(cap, (await ChangeRoomAsync(client, pair.First, ops, new { maxActiveTokens = cap })).GetProperty("maxActiveTokens").GetInt32());

        // Scheduled far ahead, so every join lands in the pre-queue however slow the joins are; moved to a moment
        // away once all are in (a move keeps the seed and its commitment).
        var scheduled = await ChangeRoomAsync(client, pair.First, ops, new { opensAt = DateTime.UtcNow.AddHours(1) });
        Assert.Equal("scheduled", scheduled.GetProperty("state").GetString());
        var commitment = scheduled.GetProperty("draw").GetProperty("commitment").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", commitment);
        Assert.Equal(JsonValueKind.Null, scheduled.GetProperty("draw").GetProperty("seed").ValueKind);

        // The other instance publishes the same commitment (its copy of the room is up to a second old), and no seed.
        await WaitUntilAsync($"{pair.Second.Name} shows the commitment", async () =>
            (await client.RoomAsync(pair.Second)).GetProperty("draw") is { ValueKind: JsonValueKind.Object } d
            && d.GetProperty("commitment").GetString() == commitment);
        var undrawn = await DrawAsync(client, pair.Second);
        Assert.Equal(commitment, undrawn.GetProperty("commitment").GetString());
        Assert.Equal(JsonValueKind.Null, undrawn.GetProperty("seed").ValueKind);
        Assert.Equal(0, undrawn.GetProperty("total").GetInt32());
        Assert.Equal(0, undrawn.GetProperty("scores").GetArrayLength());

        // Fans sign up and join all at once, alternately through each instance: all in the pre-queue.
        var users = await Task.WhenAll(Enumerable.Range(0, fans).Select(i => CreateUserAsync(client, pair.Instances[i % 2], $"fan-{i}")));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var joining = users.Select((userId, i) => Task.Run(async () =>
        {
            await gate.Task;
            return await client.JoinAsync(pair.Instances[i % 2], userId);
        })).ToArray();
        gate.SetResult();
        var joins = await Task.WhenAll(joining);
        Assert.All(joins, j =>
        {
            Assert.True(j.Call.Status == 201, j.Call.ToString());
            Assert.Equal("prequeue", j.Call.Body!.Value.GetProperty("status").GetString());
        });
        var tokens = joins.Select(j => j.Token!).ToList();
        Assert.Equal(fans, tokens.Distinct(StringComparer.Ordinal).Count());
        var before = await ReadRoomAsync(connection);
        Assert.Equal(((long)fans, 0L, 0L), (before.Prequeue, before.Waiting, before.Active));
        Assert.NotNull(before.PendingDrawId);
        await AssertNoViolationAsync(pair, cap);

        // Hold the draw's row, then bring the opening a moment nearer. Whichever instance's pass draws first blocks
        // on that row as it records the draw, still holding the room's lock; the other instance's pass, due too,
        // queues on the room's lock behind it. Released, the second must find the draw made.
        QueueBackend second;
        await using (var hold = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, hold, """SELECT 1 FROM "QueueDraws" WHERE "Id" = @id FOR UPDATE""", ("id", before.PendingDrawId!.Value));
            var moved = await MoveOpeningSoonAsync(client, pair.Second, ops);
            Assert.Equal("scheduled", moved.GetProperty("state").GetString());
            Assert.Equal(commitment, moved.GetProperty("draw").GetProperty("commitment").GetString());

            var drawer = await WaitUntilBlockedAsync(monitor, "a pass recording the draw",
                b => b.BlockedBy.Contains(connection.ProcessID) && b.Query.Contains("\"QueueDraws\"", StringComparison.Ordinal));
            // The drawer holds the room's lock: whoever waits on the room's row waits (directly or in the row's
            // queue) behind it.
            second = await WaitUntilBlockedAsync(monitor, $"the other instance's pass (not {drawer.Instance}'s)",
                b => b.Instance != drawer.Instance && b.Instance.StartsWith("instance-", StringComparison.Ordinal)
                     && b.Query.Contains("\"QueueGates\"", StringComparison.Ordinal));
            output.WriteLine($"{drawer.Instance} drew; {second.Instance} reached the opening at once and waited on the room's lock");
            await hold.CommitAsync();
        }

        await WaitUntilTransactionEndsAsync(monitor, second);
        await WaitUntilAsync("the room is open on both instances", async () =>
            (await client.RoomAsync(pair.First)).GetProperty("state").GetString() == "open"
            && (await client.RoomAsync(pair.Second)).GetProperty("state").GetString() == "open");

        // Exactly one draw, of exactly the pre-queue; nobody left behind in it.
        var draws = await DrawRowsAsync(connection);
        var row = Assert.Single(draws);
        Assert.Equal(before.PendingDrawId, row.Id);
        Assert.NotNull(row.DrawnAt);
        Assert.Equal(fans, row.Total);
        Assert.Equal(QueueDrawScoreBytes * fans, row.Scores.Length);
        var after = await ReadRoomAsync(connection);
        Assert.Null(after.PendingDrawId);
        Assert.Equal(row.Id, after.Round);
        Assert.Equal((0L, (long)fans - cap, (long)cap), (after.Prequeue, after.Waiting, after.Active));

        // Both instances publish the same draw, and its seed is the one committed to before the opening.
        var published = new List<JsonElement>();
        foreach (var instance in pair.Instances)
        {
            await WaitUntilAsync($"{instance.Name} publishes the seed", async () =>
                (await DrawAsync(client, instance)).GetProperty("seed").ValueKind == JsonValueKind.String);
            published.Add(await DrawAsync(client, instance));
        }

        Assert.Equal(published[0].GetRawText(), published[1].GetRawText());
        var draw = published[0];
        var seedHex = draw.GetProperty("seed").GetString()!;
        var seed = Convert.FromHexString(seedHex);
        Assert.Equal(commitment, Convert.ToHexStringLower(SHA256.HashData(seed)));
        Assert.Equal(commitment, draw.GetProperty("commitment").GetString());
        Assert.Equal(Convert.ToHexStringLower(row.Seed), seedHex);
        Assert.Equal(fans, draw.GetProperty("total").GetInt32());

        // The scores are exactly the joined tokens' HMAC-SHA256 under that seed, ascending, as stored.
        var expected = tokens
            .Select(t => (Token: t, Score: Convert.ToHexStringLower(HMACSHA256.HashData(seed, Encoding.UTF8.GetBytes(t)))))
            .OrderBy(s => s.Score, StringComparer.Ordinal)
            .ToList();
        var scores = draw.GetProperty("scores").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Equal(expected.Select(s => s.Score), scores);
        Assert.Equal(scores, row.Scores.Chunk(QueueDrawScoreBytes).Select(Convert.ToHexStringLower));

        // The first `cap` by score are the active ones; everyone else waits.
        var statuses = await TokenStatusesAsync(connection);
        Assert.Equal(tokens.Order(StringComparer.Ordinal), statuses.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(
            expected.Take(cap).Select(s => s.Token).Order(StringComparer.Ordinal),
            statuses.Where(s => s.Value == 2).Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.All(expected.Skip(cap), s => Assert.Equal(1, statuses[s.Token]));

        await AssertNoViolationAsync(pair, cap);
        AssertNothingUnexpected(pair, client, errorsAtStart);
    }

    [Fact]
    public async Task A_pause_made_through_one_instance_holds_on_the_other_and_so_does_the_resume()
    {
        const int cap = 3;
        const int waiting = 3;
        await using var pair = await StartAsync(cap);
        var (a, b) = (pair.First, pair.Second);
        var errorsAtStart = ErrorsLogged(pair);
        var client = new LoadClient(pair.Instances, new Ledger());
        var ops = await client.SignInAsync(a, OperatorEmail, OperatorPassword);
        await using var connection = await pair.Database.OpenAsync();
        await using var monitor = await pair.Database.OpenAsync();

        // One at a time, alternately through each instance: the first `cap` are let in at once, the rest wait.
        var active = new List<(long UserId, string Token)>();
        var inLine = new List<(long UserId, string Token)>();
        for (var i = 0; i < cap + waiting; i++)
        {
            var userId = await CreateUserAsync(client, pair.Instances[i % 2], $"fan-{i}");
            var join = await client.JoinAsync(pair.Instances[i % 2], userId);
            Assert.True(join.Call.Status == 201, join.Call.ToString());
            Assert.Equal(i < cap ? "active" : "waiting", join.Call.Body!.Value.GetProperty("status").GetString());
            (i < cap ? active : inLine).Add((userId, join.Token!));
        }

        Assert.Equal(new RoomCounts(cap, waiting, cap), (await ReadRoomAsync(connection)).Counts);

        var paused = await ChangeRoomAsync(client, a, ops, new { paused = true });
        Assert.Equal("paused", paused.GetProperty("state").GetString());

        // A leave through B frees a slot and runs B's admission pass before it answers: that pass must read the
        // pause from the room's row, so the slot stays free.
        Assert.Equal(204, (await client.LeaveAsync(b, active[0].UserId, active[0].Token)).Status);
        Assert.Equal(new RoomCounts(cap - 1, waiting, cap), (await ReadRoomAsync(connection)).Counts);

        // B's admission worker: hold the room's lock until a pass of B's (nothing else of B's is running now)
        // queues on it (directly, or behind A's pass in the row's queue), release it, and wait for that pass's
        // transaction to end. It admitted nobody either.
        await using (var hold = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, hold, """SELECT 1 FROM "QueueGates" WHERE "Id" = 1 FOR UPDATE""");
            var pass = await WaitUntilBlockedAsync(monitor, $"a pass of {b.Name}'s admission worker",
                x => x.Instance == b.Name && x.Query.Contains("\"QueueGates\"", StringComparison.Ordinal));
            await hold.CommitAsync();
            await WaitUntilTransactionEndsAsync(monitor, pass);
        }

        Assert.Equal(new RoomCounts(cap - 1, waiting, cap), (await ReadRoomAsync(connection)).Counts);
        await WaitUntilAsync($"{b.Name} shows the room paused", async () => (await client.RoomAsync(b)).GetProperty("state").GetString() == "paused");

        // Resumed through A: the free slot goes to the first in line.
        var resumed = await ChangeRoomAsync(client, a, ops, new { paused = false });
        Assert.Equal("open", resumed.GetProperty("state").GetString());
        await WaitUntilAsync("the freed slot is refilled", async () => (await ReadRoomAsync(connection)).Active == cap);
        Assert.Equal(new RoomCounts(cap, waiting - 1, cap + 1), (await ReadRoomAsync(connection)).Counts);
        Assert.Equal(2, (await TokenStatusesAsync(connection))[inLine[0].Token]);

        // And B follows the resume: the next leave through B is refilled by B's own pass before it answers.
        Assert.Equal(204, (await client.LeaveAsync(b, active[1].UserId, active[1].Token)).Status);
        Assert.Equal(new RoomCounts(cap, waiting - 2, cap + 2), (await ReadRoomAsync(connection)).Counts);
        Assert.Equal(2, (await TokenStatusesAsync(connection))[inLine[1].Token]);

        await AssertNoViolationAsync(pair, cap);
        AssertNothingUnexpected(pair, client, errorsAtStart);
    }

    [Fact]
    public async Task A_cap_lowered_through_one_instance_under_load_holds_on_both_and_is_never_exceeded()
    {
        const int highCap = 20;
        const int lowCap = 5;
        const int stickies = 8;   // active throughout the change: more than the lowered cap
        const int loadUsers = 20;
        await using var pair = await StartAsync(highCap);
        var (a, b) = (pair.First, pair.Second);
        var errorsAtStart = ErrorsLogged(pair);
        var client = new LoadClient(pair.Instances, new Ledger());
        var ops = await client.SignInAsync(a, OperatorEmail, OperatorPassword);
        await using var connection = await pair.Database.OpenAsync();

        var sticky = new List<(long UserId, string Token)>();
        for (var i = 0; i < stickies; i++)
        {
            var userId = await CreateUserAsync(client, pair.Instances[i % 2], $"sticky-{i}");
            var join = await client.JoinAsync(pair.Instances[i % 2], userId);
            Assert.True(join.Call.Status == 201, join.Call.ToString());
            Assert.Equal("active", join.Call.Body!.Value.GetProperty("status").GetString());
            sticky.Add((userId, join.Token!));
        }

        var users = await Task.WhenAll(Enumerable.Range(0, loadUsers).Select(i => CreateUserAsync(client, pair.Instances[i % 2], $"load-{i}")));

        var sampler = new CapSampler(pair.Database, highCap);
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(() => sampler.RunAsync(stopSampling.Token));
        using var stopLoad = new CancellationTokenSource();
        var load = Task.WhenAll(users.Select((userId, i) => Task.Run(() => CycleAsync(client, pair, i, userId, stopLoad.Token))));
        RoomRow atChange, window;
        try
        {
            // Under the first cap the room fills: 20 active, and a line behind them.
            await WaitUntilAsync("the room full under the first cap, with a line",
                () => Task.FromResult(sampler.Any(s => s.Cap == highCap && s.Active == highCap && s.Waiting > 0)));

            var lowered = await ChangeRoomAsync(client, a, ops, new { maxActiveTokens = lowCap });
            Assert.Equal(lowCap, lowered.GetProperty("maxActiveTokens").GetInt32());
            var changedAt = client.Ledger.Now;
            atChange = await ReadRoomAsync(connection);
            Assert.Equal(lowCap, atChange.Cap);

            // Lowering expires nobody: every sticky token is still active.
            Assert.Equal(stickies, await CountActiveAsync(connection, sticky.Select(s => s.Token)));

            // While the stickies alone keep more than the cap active, nobody may be admitted by either instance:
            // two of them leave through B (each leave runs B's admission pass before it answers), and the load
            // goes on joining (a join on B looks for a free slot in its copy of the room, up to a second old,
            // then runs a pass) and leaving through both instances.
            foreach (var (userId, token) in sticky.Take(2))
            {
                Assert.Equal(204, (await client.LeaveAsync(b, userId, token)).Status);
            }

            await WaitUntilAsync($"ten joins and ten leaves through {b.Name} since the change", () => Task.FromResult(
                client.Ledger.Calls.Count(c => c.Kind == "join" && c.Instance == b.Name && c.StartedAt > changedAt && c.Acknowledged) >= 10
                && client.Ledger.Calls.Count(c => c.Kind == "leave" && c.Instance == b.Name && c.StartedAt > changedAt && c.Acknowledged) >= 10));
            window = await ReadRoomAsync(connection);
            Assert.True(window.ActivatedEver == atChange.ActivatedEver,
                $"{window.ActivatedEver - atChange.ActivatedEver} tokens were admitted while at least {stickies - 2} were active under a cap of {lowCap}");
            Assert.Equal(stickies - 2, await CountActiveAsync(connection, sticky.Select(s => s.Token)));

            // The other stickies leave: the count falls under the cap, and admission goes on, up to the cap.
            foreach (var ((userId, token), i) in sticky.Skip(2).Select((s, i) => (s, i)))
            {
                Assert.Equal(204, (await client.LeaveAsync(pair.Instances[i % 2], userId, token)).Status);
            }

            await WaitUntilAsync("ten admissions under the lowered cap",
                async () => (await ReadRoomAsync(connection)).ActivatedEver >= window.ActivatedEver + 10);
        }
        finally
        {
            await stopLoad.CancelAsync();
            await load;
        }

        try
        {
            // The load is over: its active users left, its waiting ones stay in line. The line fills the room to
            // the cap and no further.
            await WaitUntilAsync("the room settled at the lowered cap", async () =>
                (await ReadRoomAsync(connection)) is var r && (r.Active == lowCap || (r.Waiting == 0 && r.Active < lowCap)));
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampling;
        }

        var samples = sampler.Samples;
        var beforeChange = samples.TakeWhile(s => s.Cap == highCap).ToList();
        var afterChange = samples.Skip(beforeChange.Count).ToList();
        output.WriteLine(
            $"{samples.Count} samples: {beforeChange.Count} under cap {highCap} (most active {beforeChange.Max(s => s.Active)}), " +
            $"{afterChange.Count} under cap {lowCap} (first {afterChange.FirstOrDefault()?.Active} active, " +
            $"most waiting {afterChange.Select(s => s.Waiting).DefaultIfEmpty().Max()}); " +
            $"{window.ActivatedEver - atChange.ActivatedEver} admitted in the window, " +
            $"{afterChange.LastOrDefault()?.ActivatedEver - window.ActivatedEver} after it; {sampler.FullChecks} full checks");
        Assert.All(afterChange, s => Assert.Equal(lowCap, s.Cap));
        Assert.True(afterChange.Count > 0, "no sample was taken after the change");
        Assert.True(beforeChange.All(s => s.Active <= highCap), $"more than {highCap} active before the change");

        // After the change the active count never rose while it was at or above the new cap: each sample is at
        // most the larger of the cap and the lowest count seen since the change (admission only fills up to it).
        var lowest = long.MaxValue;
        foreach (var s in afterChange)
        {
            Assert.True(s.Active <= Math.Max(lowCap, lowest),
                $"sample {s.Number}: {s.Active} active under a cap of {lowCap}, after {lowest} had been seen since the change");
            lowest = Math.Min(lowest, s.Active);
        }

        Assert.True(afterChange[^1].Active <= lowCap, $"{afterChange[^1].Active} active at the end under a cap of {lowCap}");
        Assert.True(sampler.Violations.Count == 0, string.Join('\n', sampler.Violations));
        await AssertNoViolationAsync(pair, lowCap);
        AssertNothingUnexpected(pair, client, errorsAtStart);
    }

    /// <summary>One load user, until <paramref name="stop"/>: joins through its home instance; when let in, holds
    /// the slot a moment and leaves through the other instance; after eight polls in line, leaves and joins again
    /// at the end. At the stop, an active user leaves and a waiting one stays in line.</summary>
    private static async Task CycleAsync(LoadClient client, ServicePair pair, int i, long userId, CancellationToken stop)
    {
        var random = new Random(i);
        var (home, other) = (pair.Instances[i % 2], pair.Instances[(i + 1) % 2]);
        while (!stop.IsCancellationRequested)
        {
            var join = await client.JoinAsync(home, userId);
            if (!client.Ledger.Expect(join.Call, (201, null)))
            {
                return;
            }

            var token = join.Token!;
            var status = join.Call.Body!.Value.GetProperty("status").GetString();
            for (var polls = 0; status == "waiting" && polls < 8 && !stop.IsCancellationRequested; polls++)
            {
                await Task.Delay(random.Next(100, 250), CancellationToken.None);
                var poll = await client.PollAsync(home, userId, token);
                if (!client.Ledger.Expect(poll, (200, null)))
                {
                    return;
                }

                status = poll.Body!.Value.GetProperty("status").GetString();
            }

            if (status is not ("waiting" or "active"))
            {
                client.Ledger.Flag(join.Call, $"a token in line became {status}");
                return;
            }

            if (status == "waiting" && stop.IsCancellationRequested)
            {
                return;
            }

            if (status == "active" && !stop.IsCancellationRequested)
            {
                await Task.Delay(random.Next(200, 500), CancellationToken.None);
            }

            if (!client.Ledger.Expect(await client.LeaveAsync(other, userId, token), (204, null)))
            {
                return;
            }
        }
    }

    /// <summary>Reads the room's row and the token counts from the database, every ~20 ms, each time in one
    /// snapshot, so that every sample is a committed state and the samples are in commit order; the whole set of
    /// guarantees every 25th sample.</summary>
    private sealed class CapSampler(PostgresDatabase database, int highestCap)
    {
        private readonly ConcurrentQueue<RoomSample> _samples = new();
        private readonly ConcurrentQueue<string> _violations = new();

        public IReadOnlyList<RoomSample> Samples => _samples.ToList();

        public IReadOnlyList<string> Violations => _violations.ToList();

        public int FullChecks { get; private set; }

        public bool Any(Func<RoomSample, bool> match) => _samples.Any(match);

        public async Task RunAsync(CancellationToken stop)
        {
            await using var connection = await database.OpenAsync();
            var number = 0;
            while (true)
            {
                var last = stop.IsCancellationRequested;
                await using (var snapshot = await Guarantees.SnapshotAsync(connection))
                {
                    var room = await ReadRoomAsync(connection, snapshot);
                    _samples.Enqueue(new RoomSample(++number, room.Cap, room.Active, room.Waiting, room.ActivatedEver));
                    if (number % 25 == 0 || last)
                    {
                        FullChecks++;
                        foreach (var violation in await Guarantees.ViolationsAsync(connection, snapshot, highestCap))
                        {
                            _violations.Enqueue($"sample {number}: {violation}");
                        }
                    }

                    await snapshot.CommitAsync();
                }

                if (last)
                {
                    return;
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    private sealed record RoomSample(int Number, int Cap, long Active, long Waiting, long ActivatedEver);

    private sealed record RoomCounts(long Active, long Waiting, long ActivatedEver);

    /// <summary>The room's row and the token counts, in one statement (one snapshot).</summary>
    private sealed record RoomRow(int Cap, bool Paused, long? PendingDrawId, long Round, long Active, long Waiting, long Prequeue, long ActivatedEver)
    {
        public RoomCounts Counts => new(Active, Waiting, ActivatedEver);
    }

    private sealed record DrawRow(long Id, byte[] Seed, DateTime? DrawnAt, int Total, byte[] Scores);

    /// <summary>A session of this database that waits on a lock: whose it is (the instance's name, or the test's),
    /// what it runs, when its transaction began (which tells one pass from the next), and who blocks it.</summary>
    private sealed record QueueBackend(int Pid, string Instance, string Query, DateTime? TransactionStarted, int[] BlockedBy);

    private const int QueueDrawScoreBytes = 32;

    private static async Task<RoomRow> ReadRoomAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT g."MaxActiveTokens", g."Paused", g."PendingDrawId", g."Round",
                   (SELECT count(*) FROM "QueueTokens" WHERE "Status" = 2),
                   (SELECT count(*) FROM "QueueTokens" WHERE "Status" = 1),
                   (SELECT count(*) FROM "QueueTokens" WHERE "Status" = 4),
                   (SELECT count(*) FROM "QueueTokens" WHERE "ActivatedAt" IS NOT NULL)
            FROM "QueueGates" g WHERE g."Id" = 1
            """, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the room's row is missing");
        return new RoomRow(
            reader.GetInt32(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt64(3),
            reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7));
    }

    private static async Task<List<DrawRow>> DrawRowsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            """SELECT "Id", "Seed", "DrawnAt", "Total", "Scores" FROM "QueueDraws" ORDER BY "Id" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<DrawRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new DrawRow(
                reader.GetInt64(0), (byte[])reader[1], reader.IsDBNull(2) ? null : reader.GetDateTime(2), reader.GetInt32(3), (byte[])reader[4]));
        }

        return rows;
    }

    private static async Task<Dictionary<string, int>> TokenStatusesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""SELECT "Token", "Status" FROM "QueueTokens" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            statuses.Add(reader.GetString(0), reader.GetInt32(1));
        }

        return statuses;
    }

    private static async Task<int> CountActiveAsync(NpgsqlConnection connection, IEnumerable<string> tokens)
    {
        var statuses = await TokenStatusesAsync(connection);
        return tokens.Count(t => statuses[t] == 2);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until a session that <paramref name="matches"/> waits on a lock; returns it.</summary>
    private static async Task<QueueBackend> WaitUntilBlockedAsync(NpgsqlConnection monitor, string what, Func<QueueBackend, bool> matches)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var blocked = new List<QueueBackend>();
            await using (var command = new NpgsqlCommand(
                             """
                             SELECT pid, coalesce(application_name, ''), coalesce(query, ''), xact_start, pg_blocking_pids(pid)
                             FROM pg_stat_activity
                             WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0
                             """, monitor))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    blocked.Add(new QueueBackend(
                        reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetDateTime(3), reader.GetFieldValue<int[]>(4)));
                }
            }

            if (blocked.FirstOrDefault(matches) is { } found)
            {
                return found;
            }

            Assert.True(clock.Elapsed < Bound,
                $"{what} never waited on the lock; waiting: {string.Join(" | ", blocked.Select(x => $"{x.Instance} {x.Pid} by [{string.Join(',', x.BlockedBy)}]: {x.Query}"))}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the transaction <paramref name="backend"/> was in has ended (committed or not).</summary>
    private static async Task WaitUntilTransactionEndsAsync(NpgsqlConnection monitor, QueueBackend backend)
    {
        await WaitUntilAsync($"{backend.Instance}'s transaction (pid {backend.Pid}) ends", async () =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = @pid AND xact_start IS NOT DISTINCT FROM @started", monitor);
            command.Parameters.AddWithValue("pid", backend.Pid);
            command.Parameters.AddWithValue("started", (object?)backend.TransactionStarted ?? DBNull.Value);
            return (long)(await command.ExecuteScalarAsync())! == 0;
        });
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <see cref="Bound"/>.</summary>
    private static Task WaitUntilAsync(string what, Func<Task<bool>> condition) => Poll.UntilAsync(what, condition, Bound);

    private static async Task<long> CreateUserAsync(LoadClient client, ServiceInstance at, string name)
    {
        var created = await client.CreateUserAsync(at, name);
        Assert.True(created.Status == 201, created.ToString());
        return created.Body!.Value.GetProperty("id").GetInt64();
    }

    private static async Task<JsonElement> ChangeRoomAsync(LoadClient client, ServiceInstance at, long operatorId, object change)
    {
        var call = await client.SendAsync("change-room", at, operatorId, HttpMethod.Patch, Admin, change);
        Assert.True(call.Status == 200, call.ToString());
        return call.Body!.Value;
    }

    /// <summary>Moves the opening to a moment away; a request slow enough to arrive after that moment is refused
    /// (409 opening_in_past), and is sent again with a longer way to go.</summary>
    private static async Task<JsonElement> MoveOpeningSoonAsync(LoadClient client, ServiceInstance at, long operatorId)
    {
        for (var seconds = 2; ; seconds *= 2)
        {
            var call = await client.SendAsync("change-room", at, operatorId, HttpMethod.Patch, Admin, new { opensAt = DateTime.UtcNow.AddSeconds(seconds) });
            if (call.Status == 200)
            {
                return call.Body!.Value;
            }

            Assert.True(call.Code == "opening_in_past" && seconds < 60, call.ToString());
        }
    }

    private static async Task<JsonElement> DrawAsync(LoadClient client, ServiceInstance at)
    {
        var call = await client.SendAsync("draw", at, null, HttpMethod.Get, "/api/waiting-room/draw?offset=0&limit=1000", null);
        Assert.True(call.Status == 200, call.ToString());
        return call.Body!.Value;
    }

    private static async Task AssertNoViolationAsync(ServicePair pair, int maxActiveTokens)
    {
        await using var connection = await pair.Database.OpenAsync();
        await using var snapshot = await Guarantees.SnapshotAsync(connection);
        var violations = await Guarantees.ViolationsAsync(connection, snapshot, maxActiveTokens);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    /// <summary>Error lines logged so far, by both instances (starting together, they may log a failed read of a
    /// migration history the other is still creating).</summary>
    private static int ErrorsLogged(ServicePair pair) => pair.Instances.Sum(i => i.ErrorLines.Values.Sum());

    /// <summary>No answer outside the contract, and neither instance logged an error since
    /// <paramref name="errorsAtStart"/> (a failed admission pass, a draw attempted twice, would).</summary>
    private void AssertNothingUnexpected(ServicePair pair, LoadClient client, int errorsAtStart)
    {
        output.WriteLine(pair.ErrorSummary());
        Assert.True(client.Ledger.Unexpected.IsEmpty, string.Join('\n', client.Ledger.Unexpected.Take(20)));
        Assert.True(ErrorsLogged(pair) == errorsAtStart, $"{ErrorsLogged(pair) - errorsAtStart} error lines logged during the test\n" + pair.ErrorSummary() + "\n" + pair.Output());
    }
}
