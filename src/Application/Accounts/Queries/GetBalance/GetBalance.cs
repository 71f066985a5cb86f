using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mapster;
using Mediator;

namespace Concert.Application.Accounts.Queries.GetBalance;

public sealed record GetBalanceQuery(long UserId) : IQuery<BalanceDto>, IUserScopedRequest;

public sealed class GetBalanceQueryHandler(IConcertDbContext db) : IQueryHandler<GetBalanceQuery, BalanceDto>
{
    /// <summary>A primary-key look-up: the account row is the balance.</summary>
    public async ValueTask<BalanceDto> Handle(GetBalanceQuery query, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.FindAsync([query.UserId], cancellationToken) ?? throw Errors.UserNotFound();
        return account.Adapt<BalanceDto>();
    }
}
