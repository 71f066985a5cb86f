using System.Text.Json;

namespace Concert.MultiInstance.Tests.Infrastructure;

public sealed class BookingLoadOptions
{
    /// <summary>Users that each go through the whole flow: charge, join, wait, hold, pay (or give up).</summary>
    public int Users { get; init; } = 12;

    /// <summary>Seats 1..SeatPool of schedule 1 (165,000 or 121,000 won): fewer than the users want, so holds race.</summary>
    public int SeatPool { get; init; } = 30;

    /// <summary>Users join in waves: a wave's joins are sent only once every join of the wave before was
    /// answered, so that join order is observable between waves (within a wave joins race each other).</summary>
    public int Waves { get; init; } = 3;

    /// <summary>Users of one wave start this far apart.</summary>
    public TimeSpan Stagger { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Users near the 100,000,000 limit who are charged 1,000,000 won several times at once, from both
    /// instances: exactly as many charges as fit under the limit may succeed.</summary>
    public int Whales { get; init; } = 2;

    /// <summary>A whale's balance before the burst, written straight into the database (a hundred charges
    /// through the API would cost the load's whole time budget on a busy machine).</summary>
    public long WhaleStartBalance { get; init; } = 97_000_000;

    /// <summary>Charges of 1,000,000 in one whale's burst; (100,000,000 − start) / 1,000,000 of them fit.</summary>
    public int WhaleCharges { get; init; } = 8;

    /// <summary>Users charged small, distinct amounts all through the load, so that charges are in flight at any
    /// moment (and each one can be found in the history by its amount).</summary>
    public int SteadyChargers { get; init; } = 2;

    public int SteadyChargesEach { get; init; } = 40;

    /// <summary>The load's bound: no flow waits past it.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(15);

    public int Seed { get; init; } = 20261125;

    /// <summary>When set, this instance is SIGKILLed as soon as <see cref="KillWhen"/> holds.</summary>
    public ServiceInstance? Victim { get; init; }

    public Func<Ledger, bool>? KillWhen { get; init; }
}

/// <summary>
/// The concurrent load: every user's flow runs at once against both instances (each request to a randomly
/// chosen instance; the racy steps to both at the same moment), beside users whose balances are hammered. Every
/// answer is checked against what the contract allows on the spot; the database is checked afterwards.
/// </summary>
public sealed class BookingLoad(LoadClient client, PostgresDatabase database, BookingLoadOptions options)
{
    /// <summary>Per wave: set once every join of the wave is over; and how many are still to go.</summary>
    private TaskCompletionSource[]? _wavesJoined;
    private int[]? _waveJoinsLeft;

    private Ledger Ledger => client.Ledger;

    public List<long> WhaleIds { get; } = [];

    public List<long> SteadyIds { get; } = [];

    /// <summary>Users of the warm-up flows (one per instance), which are not part of the measured load.</summary>
    public List<long> WarmUpIds { get; } = [];

    public async Task RunAsync()
    {
        for (var w = 0; w < options.Whales; w++)
        {
            var whale = await CreateUserAsync($"whale-{w}", w);
            await SeedBalanceAsync(whale, options.WhaleStartBalance);
            WhaleIds.Add(whale);
        }

        for (var s = 0; s < options.SteadyChargers; s++)
        {
            SteadyIds.Add(await CreateUserAsync($"steady-{s}", s));
        }

        WarmUpIds.AddRange(await Task.WhenAll(client.Instances.Select((instance, k) => WarmUpAsync(instance, k))));

        _wavesJoined = Enumerable.Range(0, options.Waves).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        _waveJoinsLeft = Enumerable.Range(0, options.Waves).Select(w => Enumerable.Range(0, options.Users).Count(u => WaveOf(u) == w)).ToArray();
        Ledger.MarkLoadStarted();
        using var deadline = new CancellationTokenSource(options.Deadline);
        using var flowsDone = new CancellationTokenSource();
        using var stopCharging = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, flowsDone.Token);
        var flows = Task.WhenAll(Enumerable.Range(0, options.Users).Select(i => Guard($"user flow {i}", () => UserFlowAsync(i, deadline.Token))));
        var chargers = WhaleIds.Select(id => Guard($"whale {id}", () => WhaleAsync(id)))
            .Concat(SteadyIds.Select(id => Guard($"steady charger {id}", () => SteadyAsync(id, stopCharging.Token))))
            .ToList();
        var killer = options.Victim is null ? Task.CompletedTask : KillerAsync(flows);

        await flows;
        await flowsDone.CancelAsync();
        await Task.WhenAll(chargers);
        await killer;
    }

    /// <summary>
    /// One whole flow on each instance (both at once) before the load: a fresh process compiles every
    /// endpoint and every EF query on first use (seconds on a busy machine), which would otherwise eat the load's
    /// time. It uses schedule 3's seats, which the load leaves alone.
    /// </summary>
    private async Task<long> WarmUpAsync(ServiceInstance at, int k)
    {
        var created = await client.CreateUserAsync(at, $"warm-up-{k}");
        Ledger.Expect(created, (201, null));
        var userId = created.Body!.Value.GetProperty("id").GetInt64();
        Ledger.Expect((await client.ChargeAsync(at, userId, 500_000)).Call, (200, null));
        var join = await client.JoinAsync(at, userId);
        Ledger.Expect(join.Call, (201, null));
        var token = join.Token!;
        // Let in at once, or by the admission worker (every 200 ms) when this instance's copy of the line still shows
        // the room full with a line (another test of the pair left it so a moment ago). A bound only a hang reaches.
        var admitting = System.Diagnostics.Stopwatch.StartNew();
        while (Status(await client.PollAsync(at, userId, token)) != "active" && admitting.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        var first = await client.HoldAsync(at, userId, token, 101 + (2 * k));
        Ledger.Expect(first, (201, null));
        Ledger.Expect(await client.CancelAsync(at, userId, token, first.Body!.Value.GetProperty("id").GetInt64()), (204, null));
        var second = await client.HoldAsync(at, userId, token, 102 + (2 * k));
        Ledger.Expect(second, (201, null));
        var paid = await client.PayAsync(at, userId, token, [second.Body!.Value.GetProperty("id").GetInt64()], $"warm-up-{k}");
        Ledger.Expect(paid.Call, (201, null));
        Ledger.Expect(await client.LeaveAsync(at, userId, token), (204, null));
        return userId;
    }

    private async Task Guard(string name, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (OperationCanceledException)
        {
            // The load's deadline passed while this one was between requests.
        }
        catch (Exception e)
        {
            Ledger.Flag($"{name} crashed: {e}");
        }
    }

    private async Task KillerAsync(Task flows)
    {
        while (!flows.IsCompleted)
        {
            if (options.KillWhen!(Ledger))
            {
                Ledger.MarkKilled(options.Victim!.Name);
                options.Victim.Kill();
                return;
            }

            await Task.Delay(5);
        }
    }

    private async Task<long> CreateUserAsync(string name, int index)
    {
        var call = await WithFailover(at => client.CreateUserAsync(at, name), client.At(index));
        return Ledger.Expect(call, (201, null))
            ? call.Body!.Value.GetProperty("id").GetInt64()
            : throw new InvalidOperationException($"Could not create {name}: {call}");
    }

    /// <summary>Sends; if the instance was killed under the request, sends once more to a survivor.</summary>
    private async Task<Call> WithFailover(Func<ServiceInstance, Task<Call>> send, ServiceInstance first)
    {
        var call = await send(first);
        return call.Lost && Ledger.IsKilled(first.Name) ? await send(client.Alive[0]) : call;
    }

    private int WaveOf(int user) => user * options.Waves / options.Users;

    /// <summary>Marks user <paramref name="i"/>'s join step as over (answered, or given up); the last one of a
    /// wave lets the next wave join.</summary>
    private void JoinStepOver(int i)
    {
        var wave = WaveOf(i);
        if (Interlocked.Decrement(ref _waveJoinsLeft![wave]) == 0)
        {
            _wavesJoined![wave].TrySetResult();
        }
    }

    private async Task UserFlowAsync(int i, CancellationToken deadline)
    {
        var joinStepOver = false;
        try
        {
            await UserFlowAsync(i, deadline, () =>
            {
                joinStepOver = true;
                JoinStepOver(i);
            });
        }
        finally
        {
            if (!joinStepOver)
            {
                JoinStepOver(i);
            }
        }
    }

    private async Task UserFlowAsync(int i, CancellationToken deadline, Action joined)
    {
        var random = new Random(options.Seed + i);
        var wave = WaveOf(i);
        await Task.Delay(options.Stagger * (i - Enumerable.Range(0, options.Users).First(u => WaveOf(u) == wave)), deadline);
        var poor = i % 6 == 5; // can afford no seat: the payment must be refused and change nothing
        var several = i % 3 == 1; // holds two or three seats and pays them in one checkout
        var userId = await CreateUserAsync($"user-{i}", i);

        // Two charges at once, one on each instance: they queue on the account row. Enough for every seat held.
        var topUp = several ? 300_000 : 100_000;
        long[] amounts = poor ? [40_000 + i] : [topUp + i, topUp + 500 + i];
        var charges = await Task.WhenAll(amounts.Select((amount, k) => client.ChargeAsync(client.At(i + k), userId, amount)));
        foreach (var charge in charges)
        {
            Ledger.Expect(charge.Call, (200, null));
        }

        if (!poor && charges.Any(c => c.Call.Lost))
        {
            Ledger.Expect((await client.ChargeAsync(client.Alive[0], userId, topUp + 1_000 + i)).Call, (200, null));
        }

        if (wave > 0)
        {
            await _wavesJoined![wave - 1].Task.WaitAsync(deadline);
        }

        var (token, joinedActive) = await JoinAsync(userId);
        joined();
        if (token is null)
        {
            Ledger.Outcomes[userId] = "could not join";
            return;
        }

        if (i % 4 == 3 && !joinedActive)
        {
            // Impatient: waits until next in line (when admission is about to pick it), then leaves, racing the
            // admission that would activate it. The token must end expired, whichever wins.
            await LeaveWhenNextAsync(userId, token, random, deadline);
            return;
        }

        if (!joinedActive && !await WaitUntilActiveAsync(userId, token, random, deadline))
        {
            Ledger.Outcomes[userId] = "not admitted before the deadline";
            await LeaveAsync(userId, token, random);
            return;
        }

        Ledger.Admitted[userId] = true;
        var reservationId = await HoldAnySeatAsync(userId, token, random);
        if (reservationId is null)
        {
            Ledger.Outcomes[userId] = "no seat left";
            await LeaveAsync(userId, token, random);
            return;
        }

        var reservationIds = new List<long> { reservationId.Value };
        for (var extra = several ? random.Next(1, 3) : 0; extra > 0; extra--)
        {
            if (await HoldAnySeatAsync(userId, token, random) is { } more)
            {
                reservationIds.Add(more);
            }
        }

        if (i % 4 == 0)
        {
            await HoldAndCancelAsync(userId, token, random);
        }

        var paid = i % 2 == 0
            ? await PayWithKeyAsync(userId, token, [.. reservationIds], random)
            : await PayWithoutKeyAsync(userId, token, [.. reservationIds], random);
        if (paid)
        {
            Ledger.Outcomes[userId] = "paid";
            var after = await SettledPollAsync(userId, token, random);
            if (Ledger.Expect(after, (200, null)) && Status(after) != "expired")
            {
                Ledger.Flag(after, "a successful payment must expire the payer's token");
            }

            return;
        }

        Ledger.Outcomes[userId] = poor ? "refused: insufficient balance" : "payment refused";
        if (!poor)
        {
            Ledger.Flag($"user {userId} could afford the seat but was not let pay");
        }

        foreach (var id in reservationIds)
        {
            Ledger.Expect(await WithFailover(at => client.CancelAsync(at, userId, token, id), client.Pick(random)), (204, null));
        }

        await LeaveAsync(userId, token, random);
    }

    /// <summary>Joins on both instances at the same moment: one token, created once (201) and returned again (200).</summary>
    private async Task<(string? Token, bool Active)> JoinAsync(long userId)
    {
        var joins = await Task.WhenAll(client.Alive.Select(at => client.JoinAsync(at, userId)));
        foreach (var join in joins)
        {
            Ledger.Expect(join.Call, (201, null), (200, null));
        }

        var tokens = joins.Select(j => j.Token).OfType<string>().Distinct().ToList();
        if (tokens.Count > 1)
        {
            Ledger.Flag($"user {userId} got two different live tokens from concurrent joins: {string.Join(", ", joins.Select(j => j.Call))}");
        }

        var created = joins.Count(j => j.Call.Status == 201);
        if (created > 1 || (created == 0 && joins.All(j => !j.Call.Lost)))
        {
            Ledger.Flag($"concurrent joins of user {userId} must create exactly one token: {string.Join(", ", joins.Select(j => j.Call))}");
        }

        if (tokens.Count == 0 && joins.Any(j => j.Call.Lost))
        {
            var again = await client.JoinAsync(client.Alive[0], userId);
            Ledger.Expect(again.Call, (201, null), (200, null));
            return (again.Token, again.Token is not null && Status(again.Call) == "active");
        }

        // Admitted in the very response when a slot was free and nobody waited.
        return (tokens.FirstOrDefault(), joins.Any(j => j.Token is not null && Status(j.Call) == "active"));
    }

    private async Task LeaveWhenNextAsync(long userId, string token, Random random, CancellationToken deadline)
    {
        for (var poll = 0; poll < 40 && !deadline.IsCancellationRequested; poll++)
        {
            var status = await WithFailover(at => client.PollAsync(at, userId, token), client.Pick(random));
            if (!Ledger.Expect(status, (200, null))
                || (Status(status) == "waiting" && status.Body!.Value.GetProperty("position").GetInt64() > 1))
            {
                await Task.Delay(random.Next(10, 30));
                continue;
            }

            break;
        }

        var left = await WithFailover(at => client.LeaveAsync(at, userId, token), client.Pick(random));
        Ledger.Expect(left, (204, null));
        var after = await SettledPollAsync(userId, token, random, tookTheChange: left.Instance);

        if (Ledger.Expect(after, (200, null)) && Status(after) != "expired")
        {
            Ledger.Flag(after, "a token that left the queue must answer expired (on another instance, within a few seconds)");
        }

        Ledger.Outcomes[userId] = "left the queue while waiting";
    }

    /// <summary>
    /// A poll after the token left the line (left, or paid after its admission). The instance that took the change
    /// answers at once (<paramref name="tookTheChange"/>, when known). Another may answer a token in line from its
    /// copy of the line, read about once a second (docs/contract-notes.md #12, #34): there the change must show
    /// within a few seconds, polled again on that same instance.
    /// </summary>
    private async Task<Call> SettledPollAsync(long userId, string token, Random random, string? tookTheChange = null)
    {
        var after = await WithFailover(at => client.PollAsync(at, userId, token), client.Pick(random));
        // A bound only a hang reaches: on a loaded machine a copy can take a few seconds to be read again.
        var settling = System.Diagnostics.Stopwatch.StartNew();
        while (after.Instance != tookTheChange && Ledger.Expect(after, (200, null)) && Status(after) == "waiting"
               && settling.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
            var same = client.Alive.FirstOrDefault(i => i.Name == after.Instance);
            // The instance that answered from its copy was killed before the change could show there: its last answer
            // proves nothing either way, so a live one is asked (and polled until it shows the change).
            after = same is null
                ? await WithFailover(at => client.PollAsync(at, userId, token), client.Pick(random))
                : await client.PollAsync(same, userId, token);
        }

        return after;
    }

    private async Task<bool> WaitUntilActiveAsync(long userId, string token, Random random, CancellationToken deadline)
    {
        while (!deadline.IsCancellationRequested)
        {
            var poll = await WithFailover(at => client.PollAsync(at, userId, token), client.Pick(random));
            if (Ledger.Expect(poll, (200, null)))
            {
                switch (Status(poll))
                {
                    case "active":
                        return true;
                    case "waiting":
                        break;
                    default:
                        Ledger.Flag(poll, "a waiting token that is polled must not expire");
                        return false;
                }
            }

            try
            {
                await Task.Delay(random.Next(20, 60), deadline);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return false;
    }

    private async Task LeaveAsync(long userId, string token, Random random) =>
        Ledger.Expect(await WithFailover(at => client.LeaveAsync(at, userId, token), client.Pick(random)), (204, null));

    /// <summary>Tries random seats of the pool; the first try goes to both instances at once (the same user
    /// holding the same seat twice: at most one may win).</summary>
    private async Task<long?> HoldAnySeatAsync(long userId, string token, Random random)
    {
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var seatId = random.Next(1, options.SeatPool + 1);
            var holds = attempt == 0
                ? await Task.WhenAll(client.Alive.Select(at => client.HoldAsync(at, userId, token, seatId)))
                : [await WithFailover(at => client.HoldAsync(at, userId, token, seatId), client.Pick(random))];
            foreach (var hold in holds)
            {
                Ledger.Expect(hold, (201, null), (409, "seat_unavailable"));
            }

            var won = holds.Where(h => h.Status == 201).ToList();
            if (won.Count > 1)
            {
                Ledger.Flag($"seat {seatId} held twice by user {userId}: {string.Join(", ", won)}");
            }

            if (won.Count > 0)
            {
                return won[0].Body!.Value.GetProperty("id").GetInt64();
            }
        }

        return null;
    }

    private async Task HoldAndCancelAsync(long userId, string token, Random random)
    {
        var seatId = random.Next(1, options.SeatPool + 1);
        var hold = await WithFailover(at => client.HoldAsync(at, userId, token, seatId), client.Pick(random));
        if (Ledger.Expect(hold, (201, null), (409, "seat_unavailable")) && hold.Status == 201)
        {
            var reservationId = hold.Body!.Value.GetProperty("id").GetInt64();
            Ledger.Expect(await WithFailover(at => client.CancelAsync(at, userId, token, reservationId), client.Pick(random)), (204, null));
        }
    }

    /// <summary>The same Idempotency-Key sent to both instances at once, then replayed until settled: one payment
    /// at most, and every success answers the same payment.</summary>
    private async Task<bool> PayWithKeyAsync(long userId, string token, long[] reservationIds, Random random)
    {
        var key = $"pay-{userId}-{string.Join('-', reservationIds)}";
        var first = await Task.WhenAll(client.Alive.Select(at => client.PayAsync(at, userId, token, reservationIds, key)));
        foreach (var attempt in first)
        {
            Ledger.Expect(attempt.Call, (201, null), (409, "idempotency_key_in_progress"), (409, "insufficient_balance"));
        }

        var bodies = first.Where(a => a.PaymentId is not null).Select(a => a.Call.Body!.Value).ToList();
        for (var retry = 0; retry < 20; retry++)
        {
            var replay = await client.PayAsync(client.Pick(random), userId, token, reservationIds, key);
            if (replay.Call.Lost || replay.Call.Code == "idempotency_key_in_progress")
            {
                await Task.Delay(50);
                continue;
            }

            Ledger.Expect(replay.Call, (201, null), (409, "insufficient_balance"));
            if (replay.PaymentId is not null)
            {
                bodies.Add(replay.Call.Body!.Value);
            }
            else if (bodies.Count > 0)
            {
                Ledger.Flag(replay.Call, "a key whose payment succeeded must replay that success");
            }

            break;
        }

        if (bodies.Select(b => b.GetRawText()).Distinct().Count() > 1)
        {
            Ledger.Flag($"one idempotency key answered different payments: {string.Join(" | ", bodies.Select(b => b.GetRawText()))}");
        }

        return bodies.Count > 0;
    }

    /// <summary>Two checkouts of the same reservations without a key, one on each instance, at once: at most one
    /// wins; the other is told it is paid (409) or that the token expired with the payment (403).</summary>
    private async Task<bool> PayWithoutKeyAsync(long userId, string token, long[] reservationIds, Random random)
    {
        var listed = string.Join(", ", reservationIds);
        var attempts = (await Task.WhenAll(client.Alive.Select(at => client.PayAsync(at, userId, token, reservationIds, null)))).ToList();
        if (attempts.All(a => a.Call.Lost))
        {
            attempts.Add(await client.PayAsync(client.Pick(random), userId, token, reservationIds, null));
        }

        foreach (var attempt in attempts)
        {
            Ledger.Expect(attempt.Call, (201, null), (409, "reservation_already_paid"), (403, "queue_token_expired"), (409, "insufficient_balance"));
        }

        var won = attempts.Count(a => a.Call.Status == 201);
        if (won > 1)
        {
            Ledger.Flag($"reservations [{listed}] paid twice: {string.Join(", ", attempts.Select(a => a.Call))}");
        }

        var toldPaid = attempts.Any(a => a.Call.Code is "reservation_already_paid" or "queue_token_expired");
        if (toldPaid && won == 0 && attempts.All(a => !a.Call.Lost))
        {
            Ledger.Flag($"reservations [{listed}] refused as paid, yet no request paid it: {string.Join(", ", attempts.Select(a => a.Call))}");
        }

        return won > 0 || toldPaid;
    }

    /// <summary>All of a whale's charges at once, half to each instance, released together.</summary>
    private async Task WhaleAsync(long userId)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, options.WhaleCharges).Select(async k =>
        {
            await go.Task;
            return await client.ChargeAsync(client.At(k), userId, 1_000_000);
        }).ToList();
        go.SetResult();
        foreach (var charge in await Task.WhenAll(burst))
        {
            Ledger.Expect(charge.Call, (200, null), (409, "balance_limit_exceeded"));
        }
    }

    /// <summary>Puts a balance in place as one charge entry, in one transaction, as the service would record it;
    /// the ledger counts it as an acknowledged charge.</summary>
    private async Task SeedBalanceAsync(long userId, long amount)
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var update = new Npgsql.NpgsqlCommand(
            """UPDATE "Accounts" SET "Balance" = "Balance" + @amount, "Version" = "Version" + 1 WHERE "UserId" = @user RETURNING "Balance" """,
            connection, transaction);
        update.Parameters.AddWithValue("amount", amount);
        update.Parameters.AddWithValue("user", userId);
        var balance = (long)(await update.ExecuteScalarAsync())!;
        await using var insert = new Npgsql.NpgsqlCommand(
            """
            INSERT INTO "BalanceEntries" ("UserId", "Kind", "Amount", "BalanceAfter", "CreatedAt", "PaymentId")
            VALUES (@user, 1, @amount, @balance, now(), NULL)
            """, connection, transaction);
        insert.Parameters.AddWithValue("user", userId);
        insert.Parameters.AddWithValue("amount", amount);
        insert.Parameters.AddWithValue("balance", balance);
        await insert.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
        var body = JsonDocument.Parse($$"""{"userId":{{userId}},"balance":{{balance}}}""").RootElement.Clone();
        Ledger.Charges.Enqueue(new ChargeAttempt(userId, amount, new Call("seed", "database", userId, Ledger.Now, Ledger.Now, 200, null, body, null)));
    }

    private async Task SteadyAsync(long userId, CancellationToken stop)
    {
        for (var attempt = 0; attempt < options.SteadyChargesEach && !stop.IsCancellationRequested; attempt++)
        {
            var charge = await client.ChargeAsync(client.At(attempt), userId, 1_000 + attempt);
            Ledger.Expect(charge.Call, (200, null));
            try
            {
                await Task.Delay(15, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string? Status(Call call) =>
        call.Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("status", out var s) ? s.GetString() : null;
}
