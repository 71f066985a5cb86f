using Concert.MultiInstance.Tests.Infrastructure;
using Npgsql;

namespace Concert.MultiInstance.Tests;

/// <summary>
/// One race between the two processes, made to happen every time: a waiting user leaves through one instance
/// while the other instance's admission has already picked that token. The test holds the token's row lock so
/// that both writes queue on it in that order (the leave first), then lets them go.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class AdmissionRaceTests(TwoInstancesFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_token_that_leaves_while_the_other_instance_admits_it_stays_expired()
    {
        var pair = fixture.Pair;
        var (leaver, admitter) = (pair.First, pair.Second);
        var client = new LoadClient(pair.Instances, new Ledger());
        await WaitUntilBothShowTheRoomEmptyAsync(pair, client);

        // Fill every slot through the admitting instance; the next user to join waits (first in line).
        var active = new List<(long UserId, string Token)>();
        (long UserId, string Token)? waiting = null;
        for (var k = 0; k <= TwoInstancesFixture.MaxActiveTokens && waiting is null; k++)
        {
            var user = await client.CreateUserAsync(admitter, $"race-{k}");
            Assert.Equal(201, user.Status);
            var userId = user.Body!.Value.GetProperty("id").GetInt64();
            var join = await client.JoinAsync(k < TwoInstancesFixture.MaxActiveTokens ? admitter : leaver, userId);
            Assert.Equal(201, join.Call.Status);
            if (join.Call.Body!.Value.GetProperty("status").GetString() == "active")
            {
                active.Add((userId, join.Token!));
            }
            else
            {
                waiting = (userId, join.Token!);
            }
        }

        Assert.True(active.Count == TwoInstancesFixture.MaxActiveTokens && waiting is not null,
            $"{active.Count} of the first joins were let in, on an empty room with {TwoInstancesFixture.MaxActiveTokens} slots");
        await using var connection = await pair.Database.OpenAsync();
        var tokenId = await ScalarAsync<long>(connection, """SELECT "Id" FROM "QueueTokens" WHERE "Token" = @token""", ("token", waiting.Value.Token));
        Assert.Equal(1, await ScalarAsync<int>(connection, """SELECT count(*)::int FROM "QueueTokens" WHERE "Status" = 1"""));

        // Lock the waiting token's row; the leave queues on it, then an admission on the other instance picks the
        // token (its read does not wait) and queues behind the leave.
        await using var monitor = await pair.Database.OpenAsync();
        await using (var hold = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, hold, """SELECT 1 FROM "QueueTokens" WHERE "Id" = @id FOR UPDATE""", tokenId);
            var leave = client.LeaveAsync(leaver, waiting.Value.UserId, waiting.Value.Token);
            await WaitUntilBlockedAsync(monitor, "the leave", q => q.Contains("\"ExpiredAt\"", StringComparison.Ordinal) && !q.Contains("\"ActivatedAt\"", StringComparison.Ordinal));
            var freeSlot = client.LeaveAsync(admitter, active[0].UserId, active[0].Token);
            await WaitUntilBlockedAsync(monitor, "the admission", q => q.Contains("\"ActivatedAt\"", StringComparison.Ordinal));
            await hold.CommitAsync();

            Assert.Equal(204, (await leave).Status);
            Assert.Equal(204, (await freeSlot).Status);
        }

        // The leave won: the token is expired for good, and the admission did not bring it back.
        await using (var snapshot = await Guarantees.SnapshotAsync(connection))
        {
            await using var row = new NpgsqlCommand(
                """SELECT "Status", "LiveUserId", "ActivatedAt" FROM "QueueTokens" WHERE "Id" = @id""", connection, snapshot);
            row.Parameters.AddWithValue("id", tokenId);
            await using (var reader = await row.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal(3, reader.GetInt32(0)); // Expired
                Assert.True(reader.IsDBNull(1), "an expired token keeps no LiveUserId");
                Assert.True(reader.IsDBNull(2), "the token was activated after it had left");
            }

            var violations = await Guarantees.ViolationsAsync(connection, snapshot, TwoInstancesFixture.MaxActiveTokens);
            Assert.True(violations.Count == 0, string.Join('\n', violations));
        }

        var status = await client.PollAsync(admitter, waiting.Value.UserId, waiting.Value.Token);
        Assert.Equal(200, status.Status);
        Assert.Equal("expired", status.Body!.Value.GetProperty("status").GetString());

        foreach (var (userId, token) in active.Skip(1))
        {
            Assert.Equal(204, (await client.LeaveAsync(admitter, userId, token)).Status);
        }
    }

    /// <summary>
    /// The other tests of this pair leave no live token, but each instance's copy of the line may still be the one
    /// it read during their load: full, with people waiting. A join on such a copy is told to wait (a slot freed
    /// since goes to the first in line), so the first joins here would not be let in. The copy is read again once a
    /// second old, so the wait ends when both instances show what the database holds.
    /// </summary>
    private static async Task WaitUntilBothShowTheRoomEmptyAsync(ServicePair pair, LoadClient client)
    {
        await using (var connection = await pair.Database.OpenAsync())
        {
            Assert.True(
                await ScalarAsync<int>(connection, """SELECT count(*)::int FROM "QueueTokens" WHERE "Status" IN (1, 2, 4)""") == 0,
                "the queue was not empty when this test began (another test left live tokens)");
        }

        await Poll.UntilAsync("both instances show the empty room the database holds", async () =>
        {
            foreach (var instance in pair.Instances)
            {
                var room = await client.RoomAsync(instance);
                if (room.GetProperty("activeCount").GetInt64() != 0 || room.GetProperty("waitingCount").GetInt64() != 0)
                {
                    return false;
                }
            }

            return true;
        }, Bound);
    }

    /// <summary>Waits until a statement of this database that <paramref name="matches"/> waits on a lock.</summary>
    private static async Task WaitUntilBlockedAsync(NpgsqlConnection monitor, string what, Func<string, bool> matches)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var blocked = new List<string>();
            await using (var command = new NpgsqlCommand(
                             """
                             SELECT query FROM pg_stat_activity
                             WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0
                             """, monitor))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    blocked.Add(reader.GetString(0));
                }
            }

            if (blocked.Any(matches))
            {
                return;
            }

            Assert.True(clock.Elapsed < Bound, $"{what} never queued on the token's row lock; blocked: {string.Join(" | ", blocked)}");
            await Task.Delay(20);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long id)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
