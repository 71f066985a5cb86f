using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Reservations;
using Concert.Domain.Common;
using Concert.Domain.Concerts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Concerts.Queries.GetSchedules;

public sealed record GetSchedulesQuery(long ConcertId) : IQuery<IReadOnlyList<ScheduleDto>>, IRequireActiveQueueToken;

/// <summary>Schedules with their free seats counted in the database (a lapsed hold counts as free), one query.</summary>
public sealed class GetSchedulesQueryHandler(IConcertDbContext db, TimeProvider clock)
    : IQueryHandler<GetSchedulesQuery, IReadOnlyList<ScheduleDto>>
{
    public async ValueTask<IReadOnlyList<ScheduleDto>> Handle(GetSchedulesQuery query, CancellationToken cancellationToken)
    {
        if (!await db.Concerts.AnyAsync(c => c.Id == query.ConcertId, cancellationToken))
        {
            throw Errors.ConcertNotFound();
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var available = HoldRules.SeatAvailableAt(now);
        return await db.Schedules.AsNoTracking()
            .Where(s => s.ConcertId == query.ConcertId)
            .OrderBy(s => s.StartsAt).ThenBy(s => s.Id)
            .Select(s => new ScheduleDto(
                s.Id,
                s.ConcertId,
                s.StartsAt,
                s.TotalSeats,
                db.Seats.Where(available).Count(seat => seat.ScheduleId == s.Id)))
            .ToListAsync(cancellationToken);
    }
}
