using System.Net;
using Concert.MultiInstance.Tests.Infrastructure;

namespace Concert.MultiInstance.Tests;

/// <summary>
/// The same load over two instances, and one of them is SIGKILLed in the middle of it: every acknowledged write
/// survives, whatever the dead instance had in flight is all there or not at all (no half payment), every
/// guarantee still holds, and the other instance goes on serving.
/// </summary>
public sealed class InstanceCrashTests(ITestOutputHelper output)
{
    private const int MaxActiveTokens = 3;

    [Fact]
    public async Task Killing_one_instance_mid_load_loses_no_acknowledged_write_and_leaves_nothing_half_done()
    {
        await using var pair = await ServicePair.StartAsync(MaxActiveTokens);
        const int users = 12;
        var options = new BookingLoadOptions
        {
            Users = users,
            Seed = 1_700,
            Victim = pair.First,
            // Mid-load, while a payment to the victim is in flight (every payment is sent to both instances at
            // once), with joins, holds and charges running too. Else, on a machine so fast that no payment stays in
            // flight that long, once half the flows have ended (the other half still run through the survivor);
            // on a machine so slow that no payment has started by then, most of the way into the load's time budget.
            KillWhen = ledger => ledger.LoadStartedAt is { } started
                                 && (ledger.InFlight.Values.Any(r => r.Kind == "pay" && r.Instance == pair.First.Name
                                                                     && ledger.Now - r.StartedAt > TimeSpan.FromMilliseconds(10))
                                     || ledger.Outcomes.Count >= users / 2
                                     || ledger.Now - started > TimeSpan.FromSeconds(11)),
        };

        var run = await LoadRun.ExecuteAsync(pair, options, exact: false);

        output.WriteLine($"both instances ready in {pair.StartedIn.TotalSeconds:F1} s (one fresh database, migrated and seeded by whichever came first)");
        output.WriteLine(run.Report);
        output.WriteLine(pair.ErrorSummary());
        if (run.AllViolations.Any())
        {
            output.WriteLine(pair.Output());
        }

        Assert.NotNull(run.Ledger.KilledAt);
        Assert.True(pair.First.HasExited, "the killed instance is still running");
        run.AssertEveryGuaranteeHeld();

        // Every flow still ended, through the survivor, and nobody's slot leaked with the dead instance.
        Assert.Equal(options.Users, run.Ledger.Outcomes.Count);
        Assert.Equal(0, run.LiveTokensAtEnd);

        // Whales: never above the limit; a refusal means the limit was reached, so the balance is exactly at it.
        foreach (var whale in run.Load.WhaleIds)
        {
            var burst = run.Ledger.Charges.Where(c => c.UserId == whale && c.Call.Kind == "charge").ToList();
            Assert.True(burst.Count(c => c.Call.Status == 200) <= 3);
            Assert.Equal(0, run.WhaleBalances[whale] % 1_000_000);
            if (burst.Any(c => c.Call.Code == "balance_limit_exceeded"))
            {
                Assert.Equal(100_000_000, run.WhaleBalances[whale]);
            }
        }

        // The survivor kept serving after the kill, and still does.
        var survivor = pair.Second;
        Assert.False(survivor.HasExited);
        Assert.Contains(run.Ledger.Calls, c => c.Instance == survivor.Name && c.StartedAt > run.Ledger.KilledAt && c.Acknowledged);
        await AssertServesAsync(survivor, pair.Database);
    }

    private static async Task AssertServesAsync(ServiceInstance survivor, PostgresDatabase database)
    {
        var client = new LoadClient([survivor], new Ledger());
        using var ready = await survivor.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var user = await client.CreateUserAsync(survivor, "after-the-kill");
        Assert.Equal(201, user.Status);
        var userId = user.Body!.Value.GetProperty("id").GetInt64();
        var charge = await client.ChargeAsync(survivor, userId, 123_456);
        Assert.Equal(200, charge.Call.Status);
        Assert.Equal(123_456, charge.BalanceAfter);
        var join = await client.JoinAsync(survivor, userId);
        Assert.Equal(201, join.Call.Status);
        // Every slot is free again, so the newcomer gets one: at once, or — when the survivor's copy of the line (up to
        // a second or two old) still shows the room full with people waiting, and the join answers "waiting" without
        // counting (contract-notes #37) — at the worker's next pass. Wait for that condition, not for a time.
        var status = join.Call.Body!.Value.GetProperty("status").GetString();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (status == "waiting" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            var poll = await client.PollAsync(survivor, userId, join.Token!);
            Assert.Equal(200, poll.Status);
            status = poll.Body!.Value.GetProperty("status").GetString();
        }

        Assert.Equal("active", status);

        await using var connection = await database.OpenAsync();
        await using var snapshot = await Guarantees.SnapshotAsync(connection);
        Assert.Equal(123_456, await LedgerChecks.BalanceAsync(connection, snapshot, userId));
    }
}
