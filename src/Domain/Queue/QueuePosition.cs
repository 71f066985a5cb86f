namespace Concert.Domain.Queue;

/// <summary>The advice given with a place in line.</summary>
public static class QueuePosition
{
    /// <summary>While admission is paused nobody can say how long; look again every so often.</summary>
    public const int PausedPollAfterSeconds = 10;

    public static int EstimatedWaitSeconds(long position, double admissionsPerSecond) =>
        (int)Math.Min(int.MaxValue, Math.Ceiling(position / Math.Max(admissionsPerSecond, 0.001)));

    /// <summary>1 s near the head (or the opening), up to 20 s far off: about a tenth of the remaining wait.</summary>
    public static int PollAfterSeconds(int estimatedWaitSeconds) => Math.Clamp(estimatedWaitSeconds / 10, 1, 20);
}
