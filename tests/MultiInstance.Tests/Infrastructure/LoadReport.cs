using System.Text;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>What the load did, in numbers, for the test output.</summary>
public static class LoadReport
{
    public static string Describe(Ledger ledger, DatabaseSampler sampler, LedgerChecks.Findings findings)
    {
        var text = new StringBuilder();
        var calls = ledger.Calls.ToList();
        text.AppendLine($"set-up (whales, chargers, one warm-up flow per instance) took {ledger.LoadStartedAt?.TotalSeconds:F1} s; the load ran after it");
        text.AppendLine($"requests: {calls.Count} in {(calls.Count == 0 ? 0 : calls.Max(c => c.EndedAt).TotalSeconds):F1} s; " +
                        $"acknowledged (2xx) {calls.Count(c => c.Acknowledged)}, refused (4xx) {calls.Count(c => c.Status is >= 400 and < 500)}, " +
                        $"5xx {calls.Count(c => c.Status >= 500)}, unanswered {calls.Count(c => c.Lost)}");
        foreach (var kind in calls.GroupBy(c => c.Kind).OrderBy(g => g.Key))
        {
            var refusals = kind.Where(c => c.Status >= 400).GroupBy(c => $"{c.Status} {c.Code}").Select(g => $"{g.Key}×{g.Count()}");
            var latencies = kind.Select(c => (c.EndedAt - c.StartedAt).TotalMilliseconds).Order().ToList();
            text.AppendLine($"  {kind.Key,-12} {kind.Count(),5} sent: {kind.Count(c => c.Acknowledged),5} acknowledged, " +
                            $"{kind.Count(c => c.Lost),3} unanswered; latency median {latencies[latencies.Count / 2]:F0} ms, " +
                            $"max {latencies[^1]:F0} ms; refusals: {string.Join(", ", refusals)}");
        }

        foreach (var instance in calls.GroupBy(c => c.Instance).OrderBy(g => g.Key))
        {
            var afterKill = ledger.KilledAt is { } at ? instance.Count(c => c.StartedAt > at && c.Acknowledged) : 0;
            text.AppendLine($"  {instance.Key}: {instance.Count()} requests, {instance.Count(c => c.Acknowledged)} acknowledged" +
                            (ledger.KilledAt is null ? "" : $", {afterKill} acknowledged after the kill"));
        }

        if (ledger.KilledAt is { } killedAt)
        {
            text.AppendLine($"killed {ledger.KilledInstance} (SIGKILL) at {killedAt.TotalMilliseconds:F0} ms with requests in flight to it: " +
                            string.Join(", ", ledger.InFlightAtKill.Select(k => $"{k.Key}×{k.Value}")) + "; " +
                            $"charges unanswered {findings.LostCharges} (of which committed {findings.LostChargesCommitted}), " +
                            $"payment requests unanswered {findings.LostPayments} (reservations paid anyway {findings.LostPaymentsCommitted})");
        }

        text.AppendLine($"users: {ledger.Outcomes.Count} flows ended, {ledger.Admitted.Count} admitted; outcomes: " +
                        string.Join(", ", ledger.Outcomes.Values.GroupBy(v => v).Select(g => $"{g.Key}×{g.Count()}")));
        text.AppendLine($"payments acknowledged: {ledger.Payments.Where(p => p.PaymentId is not null).Select(p => p.PaymentId).Distinct().Count()} distinct; " +
                        $"charges acknowledged: {ledger.Charges.Count(c => c.Call.Acknowledged)} of {ledger.Charges.Count}");
        text.AppendLine($"database samples: {sampler.Samples} (each {sampler.MeanSampleMilliseconds:F0} ms on average; all guarantees in {sampler.FullChecks}); max active {sampler.MaxActiveSeen}, at the cap in {sampler.SamplesAtCap}; " +
                        $"max waiting {sampler.MaxWaitingSeen}, queue non-empty in {sampler.SamplesWithWaiting}; " +
                        $"(waiting, active) pairs judged for join order {sampler.OrderedPairsJudged}; " +
                        $"samples with a waiting id below an active id (concurrent joins) {sampler.SamplesWithIdInversion}");
        return text.ToString();
    }
}
