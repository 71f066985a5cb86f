using Concert.MultiInstance.Tests.Infrastructure;

namespace Concert.MultiInstance.Tests;

/// <summary>
/// Two real service processes on one PostgreSQL database, under a concurrent load of whole booking flows: every
/// guarantee of the contract holds at every sampled moment and at the end, and the database holds exactly what
/// the clients were told.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class TwoInstancesTests(TwoInstancesFixture fixture, ITestOutputHelper output)
{
    private const int MaxActiveTokens = TwoInstancesFixture.MaxActiveTokens;

    [Fact]
    public async Task Two_instances_on_one_database_keep_every_guarantee_under_concurrent_load()
    {
        var pair = fixture.Pair;
        var options = new BookingLoadOptions();

        var run = await LoadRun.ExecuteAsync(pair, options, exact: true);

        output.WriteLine($"both instances ready in {pair.StartedIn.TotalSeconds:F1} s (one fresh database, migrated and seeded by whichever came first)");
        output.WriteLine(run.Report);
        output.WriteLine(pair.ErrorSummary());
        if (run.AllViolations.Any())
        {
            output.WriteLine(pair.Output());
        }

        run.AssertEveryGuaranteeHeld();

        // The load really went through the queue: the cap was reached, people waited and were let in from the
        // line as slots were freed, and admission order was judged on joins that did not overlap.
        Assert.Equal(MaxActiveTokens, run.Sampler.MaxActiveSeen);
        Assert.True(run.Sampler.SamplesWithWaiting > 0, "nobody was ever seen waiting: the queue was not exercised");
        Assert.True(run.Sampler.OrderedPairsJudged > 0, "no (waiting, active) pair had ordered joins: admission order was not judged");
        Assert.True(run.Ledger.Admitted.Count > MaxActiveTokens, $"only {run.Ledger.Admitted.Count} users were admitted: no freed slot was refilled");
        Assert.Equal(options.Users, run.Ledger.Outcomes.Count);
        Assert.Equal(0, run.LiveTokensAtEnd); // every user paid (which expires the token) or left: no slot leaked

        // Each paid user (and each instance's warm-up user) made exactly one payment, of one seat or several (one
        // checkout); the seats sold are exactly those the acknowledged payments listed.
        var paid = run.Ledger.Outcomes.Values.Count(o => o == "paid") + run.Load.WarmUpIds.Count;
        Assert.True(paid > run.Load.WarmUpIds.Count, "no payment of the load succeeded");
        var payments = run.Ledger.Payments.Where(p => p.PaymentId is not null).DistinctBy(p => p.PaymentId).ToList();
        Assert.Equal(paid, payments.Count);
        Assert.Equal(payments.Sum(p => p.ReservationIds.Length), run.SoldSeats);

        // Whales: 97,000,000 and then 8 charges of 1,000,000 at once from both instances: exactly 3 fit.
        foreach (var whale in run.Load.WhaleIds)
        {
            var burst = run.Ledger.Charges.Where(c => c.UserId == whale && c.Call.Kind == "charge").ToList();
            Assert.Equal(options.WhaleCharges, burst.Count);
            Assert.Equal(3, burst.Count(c => c.Call.Status == 200));
            Assert.Equal(options.WhaleCharges - 3, burst.Count(c => c.Call.Code == "balance_limit_exceeded"));
            Assert.Equal(100_000_000, run.WhaleBalances[whale]);
        }
    }
}
