namespace Concert.Domain.Queue;

/// <summary>What the waiting room is doing: taking a pre-queue before a scheduled opening, admitting, or paused.</summary>
public enum WaitingRoomState
{
    Scheduled = 1,
    Open = 2,
    Paused = 3,
}
