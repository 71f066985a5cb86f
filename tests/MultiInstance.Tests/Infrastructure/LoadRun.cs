using Npgsql;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>The outcome of one load against a <see cref="ServicePair"/>, with the database read afterwards in one
/// snapshot.</summary>
public sealed record LoadRunResult(
    Ledger Ledger,
    DatabaseSampler Sampler,
    BookingLoad Load,
    IReadOnlyList<string> FinalViolations,
    LedgerChecks.Findings Findings,
    IReadOnlyDictionary<long, long> WhaleBalances,
    int LiveTokensAtEnd,
    int SoldSeats)
{
    public string Report => LoadReport.Describe(Ledger, Sampler, Findings);

    public IEnumerable<string> AllViolations =>
        Ledger.Unexpected.Concat(Sampler.Violations).Concat(FinalViolations).Concat(Findings.Violations);

    /// <summary>Fails with every violation spelled out (answers the contract forbids, broken guarantees during
    /// the load and at the end, writes lost or left behind).</summary>
    public void AssertEveryGuaranteeHeld()
    {
        AssertNone(Ledger.Unexpected, "answers the contract does not allow");
        AssertNone(Sampler.Violations, "guarantees broken while the load ran");
        AssertNone(FinalViolations, "guarantees broken after the load");
        AssertNone(Findings.Violations, "what clients were told against what the database holds");
    }

    private static void AssertNone(IEnumerable<string> violations, string what)
    {
        var list = violations.ToList();
        Assert.True(list.Count == 0, $"{what} ({list.Count}):\n{string.Join('\n', list.Take(30))}");
    }
}

public static class LoadRun
{
    public static async Task<LoadRunResult> ExecuteAsync(ServicePair pair, BookingLoadOptions options, bool exact)
    {
        var ledger = new Ledger();
        var load = new BookingLoad(new LoadClient(pair.Instances, ledger), pair.Database, options);
        var sampler = new DatabaseSampler(pair.Database, ledger, pair.MaxActiveTokens);
        using var stopSampling = new CancellationTokenSource();
        var sampling = sampler.RunAsync(TimeSpan.FromMilliseconds(20), stopSampling.Token);
        try
        {
            await load.RunAsync();
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampling;
        }

        await using var connection = await pair.Database.OpenAsync();
        await using var snapshot = await Guarantees.SnapshotAsync(connection);
        var final = await Guarantees.ViolationsAsync(connection, snapshot, pair.MaxActiveTokens);
        var findings = await LedgerChecks.CheckAsync(connection, snapshot, ledger, exact);
        var whales = new Dictionary<long, long>();
        foreach (var whale in load.WhaleIds)
        {
            whales[whale] = await LedgerChecks.BalanceAsync(connection, snapshot, whale);
        }

        var live = await CountAsync(connection, snapshot, """SELECT count(*) FROM "QueueTokens" WHERE "Status" IN (1, 2)""");
        var sold = await CountAsync(connection, snapshot, """SELECT count(*) FROM "Seats" WHERE "Status" = 3""");
        await snapshot.CommitAsync();
        return new LoadRunResult(ledger, sampler, load, final, findings, whales, live, sold);
    }

    private static async Task<int> CountAsync(NpgsqlConnection connection, NpgsqlTransaction snapshot, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, snapshot);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
