using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Paging;
using Concert.Domain.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Reservations.Queries.GetUserReservations;

/// <summary><paramref name="Limit"/> and <paramref name="Before"/> are the raw query-string values (<see cref="Page"/>).</summary>
public sealed record GetUserReservationsQuery(long UserId, string? Limit = null, string? Before = null)
    : IQuery<IReadOnlyList<ReservationDto>>, IPagedQuery, IUserScopedRequest;

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
        var before = Page.BeforeOf(query);
        var reservations = await db.Reservations.AsNoTracking()
            .Where(r => r.UserId == query.UserId && r.Id < before)
            .OrderByDescending(r => r.Id)
            .Take(Page.LimitOf(query))
            .ToListAsync(cancellationToken);
        return reservations.Select(r => ReservationDto.From(r, now)).ToList();
    }
}
