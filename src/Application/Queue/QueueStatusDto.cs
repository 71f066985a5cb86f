using Concert.Domain.Queue;

namespace Concert.Application.Queue;

public sealed record QueueStatusDto(
    string Token,
    long UserId,
    QueueTokenStatus Status,
    long? Position,
    int? EstimatedWaitSeconds,
    DateTime? ActivatedAt,
    DateTime? ExpiresAt,
    DateTime? OpensAt,
    int? PollAfterSeconds);
