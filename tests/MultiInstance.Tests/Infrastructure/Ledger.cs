using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>One HTTP exchange as the client saw it. <see cref="Status"/> is null when no response came (the
/// connection failed or was cut): such a request was not acknowledged.</summary>
public sealed record Call(
    string Kind, string Instance, long? UserId, TimeSpan StartedAt, TimeSpan EndedAt, int? Status, string? Code,
    JsonElement? Body, string? Failure)
{
    public bool Acknowledged => Status is >= 200 and < 300;

    public bool Lost => Status is null;

    public override string ToString() =>
        $"{Kind} on {Instance} (user {UserId}) at {StartedAt.TotalMilliseconds:F0}–{EndedAt.TotalMilliseconds:F0} ms → " +
        (Lost ? $"no response ({Failure})" : $"{Status} {Code} {Body}");
}

public sealed record ChargeAttempt(long UserId, long Amount, Call Call)
{
    public long? BalanceAfter => Call.Acknowledged ? Call.Body!.Value.GetProperty("balance").GetInt64() : null;
}

/// <summary>One checkout request: the reservations it listed, in the order sent.</summary>
public sealed record PaymentAttempt(long UserId, long[] ReservationIds, string? Key, Call Call)
{
    public long? PaymentId => Call.Status == 201 ? Call.Body!.Value.GetProperty("id").GetInt64() : null;
}

public sealed record JoinAttempt(long UserId, Call Call)
{
    public string? Token => Call.Acknowledged ? Call.Body!.Value.GetProperty("token").GetString() : null;
}

/// <summary>
/// Everything the load sent and what came back, on one monotonic clock; what the instance kill cut short; and
/// outcomes no contract allows (<see cref="Unexpected"/>), which fail the test.
/// </summary>
public sealed class Ledger
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentQueue<Call> Calls { get; } = new();

    public ConcurrentQueue<ChargeAttempt> Charges { get; } = new();

    public ConcurrentQueue<PaymentAttempt> Payments { get; } = new();

    public ConcurrentQueue<JoinAttempt> Joins { get; } = new();

    public ConcurrentQueue<string> Unexpected { get; } = new();

    /// <summary>How each user's flow ended.</summary>
    public ConcurrentDictionary<long, string> Outcomes { get; } = new();

    /// <summary>Users whose token was seen active.</summary>
    public ConcurrentDictionary<long, bool> Admitted { get; } = new();

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Requests sent and not yet answered: (kind, instance, sent at), by a request number.</summary>
    public ConcurrentDictionary<long, (string Kind, string Instance, TimeSpan StartedAt)> InFlight { get; } = new();

    /// <summary>What was in flight to the killed instance when it was killed, by kind.</summary>
    public IReadOnlyDictionary<string, int> InFlightAtKill { get; private set; } = new Dictionary<string, int>();

    private long _requests;

    public long NextRequestNumber() => Interlocked.Increment(ref _requests);

    /// <summary>When the measured load began (after the warm-up).</summary>
    public TimeSpan? LoadStartedAt { get; private set; }

    public string? KilledInstance { get; private set; }

    public TimeSpan? KilledAt { get; private set; }

    public void MarkLoadStarted() => LoadStartedAt = Now;

    public void MarkKilled(string instance)
    {
        KilledAt = Now;
        KilledInstance = instance;
        InFlightAtKill = InFlight.Values.Where(r => r.Instance == instance)
            .GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
    }

    public bool IsKilled(string instance) => KilledInstance == instance;

    public void Record(Call call)
    {
        Calls.Enqueue(call);
        if (call.Status is >= 500)
        {
            Flag(call, "a 5xx is never a correct answer");
        }
        else if (call.Lost && !(IsKilled(call.Instance) && call.EndedAt >= KilledAt))
        {
            Flag(call, "no response from an instance that was not killed");
        }
    }

    public void Flag(Call call, string why) => Unexpected.Enqueue($"{why}: {call}");

    public void Flag(string what) => Unexpected.Enqueue(what);

    /// <summary>Checks an answered call against the outcomes the contract allows; a lost call to the killed
    /// instance is always allowed (it was not acknowledged).</summary>
    public bool Expect(Call call, params (int Status, string? Code)[] allowed)
    {
        if (call.Lost)
        {
            return false;
        }

        if (allowed.Any(a => a.Status == call.Status && (a.Code is null || a.Code == call.Code)))
        {
            return true;
        }

        Flag(call, "an outcome the contract does not allow here");
        return false;
    }
}
