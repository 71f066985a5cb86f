using Concert.Application.Common.Interfaces;
using Mediator;

namespace Concert.Application.Queue.Queries.GetWaitingRoom;

/// <summary>The room's state for everyone (no sign-in): a read of this instance's copy of the line.</summary>
public sealed record GetWaitingRoomQuery : IQuery<WaitingRoomDto>;

public sealed class GetWaitingRoomQueryHandler(IConcertDbContext db, WaitingLine line, TimeProvider clock)
    : IQueryHandler<GetWaitingRoomQuery, WaitingRoomDto>
{
    public async ValueTask<WaitingRoomDto> Handle(GetWaitingRoomQuery query, CancellationToken cancellationToken) =>
        WaitingRoomDto.From(await line.CurrentAsync(db, cancellationToken), clock.GetUtcNow().UtcDateTime);
}
