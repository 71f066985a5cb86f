namespace Concert.Domain.Queue;

public enum QueueTokenStatus
{
    Waiting = 1,
    Active = 2,
    Expired = 3,
}
