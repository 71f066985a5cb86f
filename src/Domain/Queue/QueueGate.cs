namespace Concert.Domain.Queue;

/// <summary>
/// The one row every admission decision locks, so that instances admit one at a time, and the figures a poll
/// needs without counting the queue: admissions so far, the observed admission rate and the rank snapshot's age.
/// </summary>
public sealed class QueueGate
{
    public const int SingletonId = 1;

    private QueueGate() { }

    public int Id { get; private set; }

    public long Version { get; private set; }

    /// <summary>Tokens admitted from the waiting line since the start (a serving counter).</summary>
    public long AdmittedTotal { get; private set; }

    /// <summary><see cref="AdmittedTotal"/> when the rank marks were last taken.</summary>
    public long AdmittedAtSnapshot { get; private set; }

    public DateTime? SnapshotAt { get; private set; }

    public DateTime? RateWindowStartedAt { get; private set; }

    public long RateWindowAdmitted { get; private set; }

    /// <summary>Admissions per second over the last completed window; null before one has been observed.</summary>
    public double? ObservedAdmissionsPerSecond { get; private set; }

    public static QueueGate Create() => new() { Id = SingletonId };

    public void RecordAdmissions(int count, DateTime now, TimeSpan rateWindow)
    {
        AdmittedTotal += count;
        RateWindowStartedAt ??= now;
        RateWindowAdmitted += count;
        var elapsed = now - RateWindowStartedAt.Value;
        if (elapsed >= rateWindow)
        {
            ObservedAdmissionsPerSecond = RateWindowAdmitted / elapsed.TotalSeconds;
            RateWindowStartedAt = now;
            RateWindowAdmitted = 0;
        }

        Version++;
    }

    public void RecordSnapshot(DateTime now)
    {
        AdmittedAtSnapshot = AdmittedTotal;
        SnapshotAt = now;
        Version++;
    }

    /// <summary>The rate estimates use: observed, else the partial window once it has any admissions, else
    /// capacity ÷ lifetime (each active token frees its slot at the end of its window at the latest).</summary>
    public double AdmissionsPerSecond(DateTime now, int capacity, TimeSpan lifetime)
    {
        if (ObservedAdmissionsPerSecond is > 0)
        {
            return ObservedAdmissionsPerSecond.Value;
        }

        if (RateWindowStartedAt is { } started && RateWindowAdmitted > 0 && now - started >= TimeSpan.FromSeconds(5))
        {
            return RateWindowAdmitted / (now - started).TotalSeconds;
        }

        return Math.Max(capacity, 1) / Math.Max(lifetime.TotalSeconds, 1);
    }
}
