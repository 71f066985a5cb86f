using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Accounts.Queries.GetBalanceHistory;

/// <summary><paramref name="Limit"/> is the raw query-string value, so that a bad one is a validation error.</summary>
public sealed record GetBalanceHistoryQuery(long UserId, string? Limit) : IQuery<IReadOnlyList<BalanceEntryDto>>, IUserScopedRequest
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public int EffectiveLimit => Limit is null ? DefaultLimit : int.Parse(Limit, System.Globalization.CultureInfo.InvariantCulture);
}

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

        return await db.BalanceEntries.AsNoTracking()
            .Where(e => e.UserId == query.UserId)
            .OrderByDescending(e => e.Id)
            .Take(query.EffectiveLimit)
            .ProjectToType<BalanceEntryDto>()
            .ToListAsync(cancellationToken);
    }
}
