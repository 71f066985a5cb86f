using Npgsql;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// Reads the database over and over while the load runs, each time inside one snapshot: every guarantee query,
/// the number of active tokens (the cap), and admission order. Admission order is judged only where it is
/// observable: a token whose join was acknowledged before another user's join was even sent must not still be
/// waiting while that later token is active. (Joins that overlap in time have no order a client could see; the
/// service orders them by id, and ids are taken before commit, so such pairs are counted but not judged.)
/// </summary>
public sealed class DatabaseSampler(PostgresDatabase database, Ledger ledger, int maxActiveTokens)
{
    private readonly List<string> _violations = [];

    public int Samples { get; private set; }

    public int MaxActiveSeen { get; private set; }

    public int MaxWaitingSeen { get; private set; }

    public int SamplesAtCap { get; private set; }

    public int SamplesWithWaiting { get; private set; }

    /// <summary>Samples where a waiting token had a smaller id than an active one (concurrent joins included).</summary>
    public int SamplesWithIdInversion { get; private set; }

    /// <summary>(waiting, active) pairs whose joins did not overlap, so whose order was judged.</summary>
    public long OrderedPairsJudged { get; private set; }

    public IReadOnlyList<string> Violations => _violations;

    public const int FullCheckEvery = 3;

    /// <summary>Samples in which every guarantee query ran.</summary>
    public int FullChecks { get; private set; }

    public double MeanSampleMilliseconds => Samples == 0 ? 0 : _sampling.TotalMilliseconds / Samples;

    private TimeSpan _sampling;

    public async Task RunAsync(TimeSpan interval, CancellationToken stop)
    {
        await using var connection = await database.OpenAsync();
        while (!stop.IsCancellationRequested)
        {
            await SampleAsync(connection);
            try
            {
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await SampleAsync(connection);
    }

    private async Task SampleAsync(NpgsqlConnection connection)
    {
        var started = ledger.Now;
        await using var snapshot = await Guarantees.SnapshotAsync(connection);
        var live = new List<(long Id, string Token, long UserId, int Status)>();
        await using (var command = new NpgsqlCommand(
                         """SELECT "Id", "Token", "UserId", "Status" FROM "QueueTokens" WHERE "Status" IN (1, 2)""",
                         connection, snapshot))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                live.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3)));
            }
        }

        // The whole set of guarantees every few samples; the queue's (cap, order, one live token) every time.
        var violations = Samples % FullCheckEvery == 0
            ? await Guarantees.ViolationsAsync(connection, snapshot, maxActiveTokens)
            : [];
        FullChecks += Samples % FullCheckEvery == 0 ? 1 : 0;
        await snapshot.CommitAsync();

        Samples++;
        _sampling += ledger.Now - started;
        var active = live.Where(t => t.Status == 2).ToList();
        var waiting = live.Where(t => t.Status == 1).ToList();
        if (active.Count > maxActiveTokens)
        {
            violations.Add($"active tokens never exceed MaxActiveTokens: {active.Count} active");
        }

        if (live.GroupBy(t => t.UserId).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            violations.Add($"one live token per user: user {twice.Key} has {twice.Count()}");
        }

        MaxActiveSeen = Math.Max(MaxActiveSeen, active.Count);
        MaxWaitingSeen = Math.Max(MaxWaitingSeen, waiting.Count);
        SamplesAtCap += active.Count == maxActiveTokens ? 1 : 0;
        SamplesWithWaiting += waiting.Count > 0 ? 1 : 0;
        if (waiting.Count > 0 && active.Count > 0 && waiting.Min(w => w.Id) < active.Max(a => a.Id))
        {
            SamplesWithIdInversion++;
        }

        violations.AddRange(JoinOrderViolations(waiting, active));
        foreach (var violation in violations)
        {
            var line = $"sample {Samples} at {ledger.Now.TotalMilliseconds:F0} ms: {violation}";
            if (_violations.Count < 30)
            {
                _violations.Add(line);
            }
        }
    }

    private IEnumerable<string> JoinOrderViolations(
        List<(long Id, string Token, long UserId, int Status)> waiting, List<(long Id, string Token, long UserId, int Status)> active)
    {
        if (waiting.Count == 0 || active.Count == 0)
        {
            yield break;
        }

        var joins = ledger.Joins.ToList();
        var acknowledgedAt = joins.Where(j => j.Token is not null)
            .GroupBy(j => j.Token!).ToDictionary(g => g.Key, g => g.Min(j => j.Call.EndedAt));
        var firstSentAt = joins.GroupBy(j => j.UserId).ToDictionary(g => g.Key, g => g.Min(j => j.Call.StartedAt));
        foreach (var w in waiting)
        {
            if (!acknowledgedAt.TryGetValue(w.Token, out var wAcknowledged) || !firstSentAt.TryGetValue(w.UserId, out var wSent))
            {
                continue;
            }

            foreach (var a in active)
            {
                if (!acknowledgedAt.TryGetValue(a.Token, out var aAcknowledged) || !firstSentAt.TryGetValue(a.UserId, out var aSent))
                {
                    continue;
                }

                if (aAcknowledged < wSent)
                {
                    OrderedPairsJudged++; // joined strictly before the waiting one: fine to be in first.
                }
                else if (wAcknowledged < aSent)
                {
                    OrderedPairsJudged++;
                    yield return $"admission out of join order: token {w.Id} (user {w.UserId}, join acknowledged at " +
                                 $"{wAcknowledged.TotalMilliseconds:F0} ms) is still waiting while token {a.Id} (user " +
                                 $"{a.UserId}, join first sent at {aSent.TotalMilliseconds:F0} ms) is active";
                }
            }
        }
    }
}
