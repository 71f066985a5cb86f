using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Paging;
using Concert.Domain.Common;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Accounts.Queries.GetBalanceHistory;

/// <summary><paramref name="Limit"/> and <paramref name="Before"/> are the raw query-string values (<see cref="Page"/>).</summary>
public sealed record GetBalanceHistoryQuery(long UserId, string? Limit, string? Before = null)
    : IQuery<IReadOnlyList<BalanceEntryDto>>, IPagedQuery, IUserScopedRequest;

public sealed class GetBalanceHistoryQueryHandler(IConcertDbContext db)
    : IQueryHandler<GetBalanceHistoryQuery, IReadOnlyList<BalanceEntryDto>>
{
    public async ValueTask<IReadOnlyList<BalanceEntryDto>> Handle(
        GetBalanceHistoryQuery query, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == query.UserId, cancellationToken))
        {
            throw Errors.UserNotFound();
        }

        var before = Page.BeforeOf(query);
        return await db.BalanceEntries.AsNoTracking()
            .Where(e => e.UserId == query.UserId && e.Id < before)
            .OrderByDescending(e => e.Id)
            .Take(Page.LimitOf(query))
            .ProjectToType<BalanceEntryDto>()
            .ToListAsync(cancellationToken);
    }
}
