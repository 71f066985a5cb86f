using Concert.Application.Common.Interfaces;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Concerts.Queries.GetConcerts;

/// <summary>Public: the concerts that still have a schedule to come.</summary>
public sealed record GetConcertsQuery : IQuery<IReadOnlyList<ConcertDto>>;

public sealed class GetConcertsQueryHandler(IConcertDbContext db, TimeProvider clock)
    : IQueryHandler<GetConcertsQuery, IReadOnlyList<ConcertDto>>
{
    public async ValueTask<IReadOnlyList<ConcertDto>> Handle(GetConcertsQuery query, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Concerts.AsNoTracking()
            .Where(c => db.Schedules.Any(s => s.ConcertId == c.Id && s.StartsAt > now))
            .OrderBy(c => c.Id)
            .ProjectToType<ConcertDto>()
            .ToListAsync(cancellationToken);
    }
}
