namespace Concert.Domain.Queue;

/// <summary>Arithmetic of a waiting token's place and the advice given with it.</summary>
public static class QueuePosition
{
    /// <summary>
    /// 1-based position from the nearest signpost at or before the token: its count at the snapshot less the
    /// admissions since (admission is FIFO, so every one of them was ahead), plus the waiting tokens counted live
    /// between the signpost and the token.
    /// </summary>
    public static long Compute(long aheadOfMarkAtSnapshot, long admittedSinceSnapshot, long waitingBetweenMarkAndToken) =>
        Math.Max(0, aheadOfMarkAtSnapshot - admittedSinceSnapshot) + waitingBetweenMarkAndToken + 1;

    public static int EstimatedWaitSeconds(long position, double admissionsPerSecond) =>
        (int)Math.Min(int.MaxValue, Math.Ceiling(position / Math.Max(admissionsPerSecond, 0.001)));

    /// <summary>1 s near the head, up to 20 s far back: about a tenth of the remaining wait.</summary>
    public static int PollAfterSeconds(int estimatedWaitSeconds) => Math.Clamp(estimatedWaitSeconds / 10, 1, 20);
}
