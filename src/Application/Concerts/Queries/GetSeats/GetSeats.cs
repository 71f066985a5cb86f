using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Domain.Common;
using Concert.Domain.Concerts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Concerts.Queries.GetSeats;

public sealed record GetSeatsQuery(long ConcertId, long ScheduleId) : IQuery<IReadOnlyList<SeatDto>>, IRequireActiveQueueToken;

/// <summary>The hottest read of an opening: one no-tracking projection over the (schedule, number) index.</summary>
public sealed class GetSeatsQueryHandler(IConcertDbContext db, TimeProvider clock)
    : IQueryHandler<GetSeatsQuery, IReadOnlyList<SeatDto>>
{
    public async ValueTask<IReadOnlyList<SeatDto>> Handle(GetSeatsQuery query, CancellationToken cancellationToken)
    {
        if (!await db.Schedules.AnyAsync(s => s.Id == query.ScheduleId && s.ConcertId == query.ConcertId, cancellationToken))
        {
            throw Errors.ScheduleNotFound();
        }

        var now = clock.GetUtcNow().UtcDateTime;
        // The row's columns, and the seat's own rule for what they mean now (a lapsed hold is available).
        return await db.Seats.AsNoTracking()
            .Where(s => s.ScheduleId == query.ScheduleId)
            .OrderBy(s => s.Number)
            .Select(s => new SeatDto(s.Id, s.Number, s.Price, Seat.StatusOf(s.Status, s.HeldUntil, now)))
            .ToListAsync(cancellationToken);
    }
}
