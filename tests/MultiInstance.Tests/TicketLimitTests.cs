using Concert.MultiInstance.Tests.Infrastructure;
using Npgsql;

namespace Concert.MultiInstance.Tests;

/// <summary>
/// One user's holds sent to both service processes at once, released together behind one gate: the ticket limit
/// (4 seats a schedule, held and paid together) and the hold limit (4 live holds) are decided in the database
/// after the user's row lock, so no split between instances gets past either. Its own pair of instances with the
/// production defaults: its charges and payments would otherwise be strangers to the load tests' ledgers.
/// </summary>
public sealed class TicketLimitTests
{
    private const int MaxActiveTokens = 3;
    private const long ScheduleSix = 6;
    private const long ScheduleSeven = 7;

    [Fact]
    public async Task One_users_holds_split_over_both_instances_never_pass_the_ticket_limit()
    {
        await using var pair = await ServicePair.StartAsync(MaxActiveTokens);
        var client = new LoadClient(pair.Instances, new Ledger());
        var created = await client.CreateUserAsync(pair.First, "fan");
        Assert.Equal(201, created.Status);
        var userId = created.Body!.Value.GetProperty("id").GetInt64();
        Assert.Equal(200, (await client.ChargeAsync(pair.Second, userId, 1_000_000)).Call.Status);
        var token = await ActiveTokenAsync(client, pair.First, userId);

        // One seat of schedule 6 paid: three more of it fit.
        var first = await client.HoldAsync(pair.First, userId, token, 251);
        Assert.Equal(201, first.Status);
        Assert.Equal(201, (await client.PayAsync(pair.Second, userId, token, [Id(first)], null)).Call.Status);
        token = await ActiveTokenAsync(client, pair.Second, userId);

        // Ten holds of schedule 6 at once, five to each instance: exactly three, whichever instances they went to.
        var round1 = await RaceAsync(client, pair, userId, token, Enumerable.Range(252, 10).Select(n => (long)n).ToArray());
        Assert.Equal(3, round1.Count(h => h.Call.Status == 201));
        Assert.Equal(7, round1.Count(h => h.Call.Code == "ticket_limit_reached"));
        Assert.Equal(4, await CountingSeatsAsync(pair, userId, ScheduleSix));
        await AssertNoViolationAsync(pair);

        // Paid, those fill schedule 6 with no live hold left. Five more holds of schedule 6 and five of schedule 7
        // at once: schedule 6 takes none, schedule 7 exactly four, and its fifth meets both limits (hold limit).
        var won = round1.Where(h => h.Call.Status == 201).Select(h => Id(h.Call)).ToArray();
        Assert.Equal(201, (await client.PayAsync(pair.First, userId, token, won, null)).Call.Status);
        token = await ActiveTokenAsync(client, pair.First, userId);
        var round2 = await RaceAsync(client, pair, userId, token,
            [.. Enumerable.Range(262, 5).Select(n => (long)n), .. Enumerable.Range(301, 5).Select(n => (long)n)]);
        Assert.All(round2.Where(h => h.SeatId < 300), h => Assert.Contains(h.Call.Code, new[] { "ticket_limit_reached", "hold_limit_reached" }));
        Assert.Equal(4, round2.Count(h => h.SeatId > 300 && h.Call.Status == 201));
        Assert.Equal("hold_limit_reached", Assert.Single(round2, h => h.SeatId > 300 && h.Call.Status != 201).Call.Code);
        Assert.Equal(4, await CountingSeatsAsync(pair, userId, ScheduleSix));
        Assert.Equal(4, await CountingSeatsAsync(pair, userId, ScheduleSeven));
        await AssertNoViolationAsync(pair);

        Assert.Equal(204, (await client.LeaveAsync(pair.Second, userId, token)).Status);
    }

    /// <summary>Sends every hold at once, alternately to each instance, all released by one gate.</summary>
    private static async Task<(long SeatId, Call Call)[]> RaceAsync(
        LoadClient client, ServicePair pair, long userId, string token, long[] seatIds)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holds = seatIds.Select((seatId, i) => Task.Run(async () =>
        {
            await gate.Task;
            return (seatId, await client.HoldAsync(pair.Instances[i % 2], userId, token, seatId));
        })).ToArray();
        gate.SetResult();
        var calls = await Task.WhenAll(holds);
        Assert.All(calls, h => Assert.True(h.Item2.Status is 201 or 409, h.Item2.ToString()));
        return calls;
    }

    /// <summary>A join while a slot is free is active at once.</summary>
    private static async Task<string> ActiveTokenAsync(LoadClient client, ServiceInstance at, long userId)
    {
        var join = await client.JoinAsync(at, userId);
        Assert.Equal(201, join.Call.Status);
        Assert.Equal("active", join.Call.Body!.Value.GetProperty("status").GetString());
        return join.Token!;
    }

    private static long Id(Call call) => call.Body!.Value.GetProperty("id").GetInt64();

    /// <summary>The user's seats of the schedule as the database holds them: paid, or held and not lapsed.</summary>
    private static async Task<long> CountingSeatsAsync(ServicePair pair, long userId, long scheduleId)
    {
        await using var connection = await pair.Database.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM "Reservations" r
            WHERE r."UserId" = @user AND r."ScheduleId" = @schedule
              AND (r."Status" = 2 OR (r."Status" = 1 AND r."HeldUntil" > now()))
            """, connection);
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("schedule", scheduleId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task AssertNoViolationAsync(ServicePair pair)
    {
        await using var connection = await pair.Database.OpenAsync();
        await using var snapshot = await Guarantees.SnapshotAsync(connection);
        var violations = await Guarantees.ViolationsAsync(connection, snapshot, MaxActiveTokens);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }
}
