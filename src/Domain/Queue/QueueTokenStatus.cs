namespace Concert.Domain.Queue;

public enum QueueTokenStatus
{
    Waiting = 1,
    Active = 2,
    Expired = 3,

    /// <summary>Joined before a scheduled opening: placed by the opening's draw, not yet in line.</summary>
    Prequeue = 4,
}
