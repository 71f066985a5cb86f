using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Reservations.Queries.GetUserReservations;

public sealed record GetUserReservationsQuery(long UserId) : IQuery<IReadOnlyList<ReservationDto>>, IUserScopedRequest;

public sealed class GetUserReservationsQueryHandler(IConcertDbContext db, TimeProvider clock)
    : IQueryHandler<GetUserReservationsQuery, IReadOnlyList<ReservationDto>>
{
    public async ValueTask<IReadOnlyList<ReservationDto>> Handle(
        GetUserReservationsQuery query, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == query.UserId, cancellationToken))
        {
            throw Errors.UserNotFound();
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var reservations = await db.Reservations.AsNoTracking()
            .Where(r => r.UserId == query.UserId)
            .OrderByDescending(r => r.Id)
            .ToListAsync(cancellationToken);
        return reservations.Select(r => ReservationDto.From(r, now)).ToList();
    }
}
