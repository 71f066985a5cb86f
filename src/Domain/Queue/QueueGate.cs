namespace Concert.Domain.Queue;

/// <summary>
/// The waiting room's one row: its settings (the cap, paused, the scheduled opening and its draw) and its serving
/// figures (admissions so far, the observed admission rate). Every admission decision and every operator's change
/// locks it, so instances admit one at a time and always under the settings as they stand.
/// </summary>
public sealed class QueueGate
{
    public const int SingletonId = 1;

    private QueueGate() { }

    public int Id { get; private set; }

    public long Version { get; private set; }

    /// <summary>Tokens admitted from the waiting line since the start (a serving counter).</summary>
    public long AdmittedTotal { get; private set; }

    public DateTime? RateWindowStartedAt { get; private set; }

    public long RateWindowAdmitted { get; private set; }

    /// <summary>Admissions per second over the last completed window; null before one has been observed.</summary>
    public double? ObservedAdmissionsPerSecond { get; private set; }

    /// <summary>At most this many active at once (operators change it live).</summary>
    public int MaxActiveTokens { get; private set; } = 100;

    /// <summary>Admission stopped by an operator (joins, polls, holds and payments go on).</summary>
    public bool Paused { get; private set; }

    /// <summary>When the scheduled opening is; null when none is scheduled or it is to be drawn at once.</summary>
    public DateTime? OpensAt { get; private set; }

    /// <summary>The draw of the scheduled opening, not yet made; null when none is scheduled.</summary>
    public long? PendingDrawId { get; private set; }

    /// <summary>The last opening drawn (0 before any): the round of everyone who joins now, in line.</summary>
    public long Round { get; private set; }

    /// <summary>Whether the configuration's initial settings were written (once, by the first instance to start).</summary>
    public bool SettingsInitialised { get; private set; }

    public static QueueGate Create() => new() { Id = SingletonId };

    public const int MaxCap = 100_000;

    /// <summary>The configuration's values, the first time any instance starts on this database.</summary>
    public void Initialise(int maxActiveTokens, bool paused)
    {
        if (SettingsInitialised)
        {
            return;
        }

        MaxActiveTokens = maxActiveTokens;
        Paused = paused;
        SettingsInitialised = true;
    }

    /// <summary>Lowering the cap expires nobody: admission waits until fewer are active.</summary>
    public void SetCap(int maxActiveTokens)
    {
        if (maxActiveTokens is < 1 or > MaxCap)
        {
            throw new ArgumentOutOfRangeException(nameof(maxActiveTokens), maxActiveTokens, $"The cap is 1 to {MaxCap}.");
        }

        MaxActiveTokens = maxActiveTokens;
    }

    public void SetPaused(bool paused) => Paused = paused;

    /// <summary>Whether a scheduled opening's draw is to be made at <paramref name="now"/> (its time has come,
    /// or it was cleared).</summary>
    public bool IsDrawDue(DateTime now) => PendingDrawId is not null && (OpensAt is null || OpensAt <= now);

    /// <summary>Whether joins at <paramref name="now"/> go into the pre-queue.</summary>
    public bool IsPrequeueOpen(DateTime now) => PendingDrawId is not null && OpensAt > now;

    /// <summary>The round a token that joins the line now belongs to: the pending opening once its time has come
    /// (its draw, about to run, goes ahead of it), else the last opening held.</summary>
    public long RoundForLine => PendingDrawId ?? Round;

    /// <summary>Schedules an opening with a new draw (its commitment is public from now on).</summary>
    public void Schedule(QueueDraw draw, DateTime opensAt, DateTime now)
    {
        if (opensAt <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(opensAt), "An opening is in the future.");
        }

        if (PendingDrawId is not null)
        {
            throw new InvalidOperationException("An opening is already scheduled: move it instead.");
        }

        PendingDrawId = draw.Id;
        OpensAt = opensAt;
    }

    /// <summary>Moves the scheduled opening (the seed and its commitment stay), or clears it (null): the pre-queue
    /// is then drawn at once.</summary>
    public void MoveOpening(DateTime? opensAt, DateTime now)
    {
        if (PendingDrawId is null)
        {
            throw new InvalidOperationException("No opening is scheduled.");
        }

        if (opensAt <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(opensAt), "An opening is in the future.");
        }

        OpensAt = opensAt;
    }

    /// <summary>The pending draw was made: its round is the line's from now on.</summary>
    public void Opened(long drawId)
    {
        if (PendingDrawId != drawId)
        {
            throw new InvalidOperationException($"Draw {drawId} is not the pending one ({PendingDrawId}).");
        }

        Round = drawId;
        PendingDrawId = null;
        OpensAt = null;
        Version++;
    }

    public WaitingRoomState StateAt(DateTime now) =>
        IsPrequeueOpen(now) ? WaitingRoomState.Scheduled : Paused ? WaitingRoomState.Paused : WaitingRoomState.Open;

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
