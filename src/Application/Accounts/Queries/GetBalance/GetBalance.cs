using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Accounts.Queries.GetBalance;

public sealed record GetBalanceQuery(long UserId) : IQuery<BalanceDto>;

public sealed class GetBalanceQueryHandler(IConcertDbContext db) : IQueryHandler<GetBalanceQuery, BalanceDto>
{
    public async ValueTask<BalanceDto> Handle(GetBalanceQuery query, CancellationToken cancellationToken) =>
        await db.Accounts.AsNoTracking()
            .Where(a => a.UserId == query.UserId)
            .ProjectToType<BalanceDto>()
            .FirstOrDefaultAsync(cancellationToken)
        ?? throw Errors.UserNotFound();
}
