using System.Diagnostics.Metrics;
using Concert.Application.Accounts.Commands.ChargeBalance;
using Concert.Application.Payments.Commands.Checkout;
using Concert.Application.Queue;
using Concert.Application.Reservations.Commands.HoldSeat;

namespace Concert.Application.Common.Telemetry;

/// <summary>
/// The service's own meters. Created through <see cref="IMeterFactory"/>, so each host (service provider) has its
/// own meter and one host's counts never reach another's exporter. Recording with nobody listening
/// (<c>Telemetry:Enabled=false</c>) costs a flag check. The queue gauges read what this instance already knows
/// (<see cref="WaitingLine"/>), never a count made for a scrape.
/// </summary>
public sealed class ConcertMetrics
{
    public const string MeterName = "Concert";

    private readonly Counter<long> _joins;
    private readonly Counter<long> _admissions;
    private readonly Counter<long> _expiries;
    private readonly Histogram<double> _wait;
    private readonly Counter<long> _holds;
    private readonly Counter<long> _payments;
    private readonly Counter<long> _charges;
    private readonly ObservableGauge<long> _waiting;

    public ConcertMetrics(IMeterFactory meterFactory, WaitingLine queue)
    {
        var meter = meterFactory.Create(MeterName);
        _joins = meter.CreateCounter<long>("concert.queue.joins", "{token}", "Queue tokens issued (a user's live token returned again is not a join).");
        _admissions = meter.CreateCounter<long>("concert.queue.admissions", "{token}", "Waiting tokens made active.");
        _expiries = meter.CreateCounter<long>("concert.queue.expiries", "{token}", "Tokens expired, by reason: idle, lifetime, left, paid.");
        _wait = meter.CreateHistogram<double>("concert.queue.wait", "s", "Time from joining the queue to admission.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] });
        _holds = meter.CreateCounter<long>("concert.reservations.holds", "{hold}", "Seat hold attempts, by outcome: won, lost, limit, …");
        _payments = meter.CreateCounter<long>("concert.payments", "{payment}", "Payment attempts, by outcome: paid, expired, insufficient_balance, already_paid, …");
        _charges = meter.CreateCounter<long>("concert.balance.charges", "{charge}", "Balance charges, by outcome: charged, limit, …");
        _waiting = meter.CreateObservableGauge("concert.queue.waiting", () => queue.Latest?.Waiting ?? 0, "{token}",
            "Waiting tokens, as of this instance's last read of the line (about a second old).");
        meter.CreateObservableGauge("concert.queue.prequeue", () => queue.Latest?.Prequeue ?? 0, "{token}",
            "Tokens in the pre-queue before a scheduled opening, as of this instance's last read of the line.");
        meter.CreateObservableGauge("concert.queue.active", () => queue.Latest?.Active ?? 0, "{token}",
            "Active tokens, as of this instance's last read of the line (about a second old).");
    }

    /// <summary>Whether anyone reads the queue gauges: the admission worker then keeps the copy of the line they read fresh.</summary>
    public bool QueueGaugesObserved => _waiting.Enabled;

    public void Joined() => _joins.Add(1);

    /// <summary>Admissions as the rows the activating UPDATE changed, with each one's wait since joining.</summary>
    public void Admitted(int count, IEnumerable<DateTime> issuedAt, DateTime now)
    {
        if (count <= 0)
        {
            return;
        }

        _admissions.Add(count);
        if (_wait.Enabled)
        {
            foreach (var joined in issuedAt.Take(count))
            {
                _wait.Record(Math.Max(0, (now - joined).TotalSeconds));
            }
        }
    }

    /// <summary>Expiries as the rows a bulk UPDATE changed (0 records nothing).</summary>
    public int Expired(string reason, int count)
    {
        if (count > 0)
        {
            _expiries.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }

        return count;
    }

    /// <summary>A measured use case ended: <paramref name="errorCode"/> is null on success, else the domain error's
    /// code, or <c>error</c> for an unexpected failure.</summary>
    public void Outcome(IMeasuredOutcome message, string? errorCode)
    {
        var (counter, outcome) = message switch
        {
            HoldSeatCommand => (_holds, errorCode switch
            {
                null => "won",
                "seat_unavailable" => "lost",
                "hold_limit_reached" or "ticket_limit_reached" => "limit",
                _ => errorCode,
            }),
            CheckoutCommand => (_payments, errorCode switch
            {
                null => "paid",
                "reservation_expired" => "expired",
                "reservation_already_paid" => "already_paid",
                _ => errorCode,
            }),
            ChargeBalanceCommand => (_charges, errorCode switch
            {
                null => "charged",
                "balance_limit_exceeded" => "limit",
                _ => errorCode,
            }),
            _ => (null, null),
        };
        counter?.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }
}
