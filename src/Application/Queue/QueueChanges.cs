namespace Concert.Application.Queue;

/// <summary>
/// This instance's "something in the queue may have moved" signal: pulsed after a read of the line
/// (about once a second while anyone polls or streams) that found something new, and after its own admissions and
/// leaves. Open status
/// streams await it and then re-describe their token from memory, so an instance wakes its streams from what it
/// already knows instead of querying per stream per tick. A pulse carries no data: it only says "look again".
/// </summary>
public sealed class QueueChanges
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Completes at the next pulse. Take it before looking, so a pulse in between is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    private int _lastSeen;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    /// <summary>Pulses when <paramref name="seen"/>, a fingerprint of what a refresh read, differs from the last.</summary>
    public void PulseIfChanged(int seen)
    {
        if (Interlocked.Exchange(ref _lastSeen, seen) != seen)
        {
            Pulse();
        }
    }

    // Asynchronous continuations: a pulse must not run thousands of streams' work on the pulsing thread.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
