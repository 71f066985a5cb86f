using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Users.Queries.GetCurrentUser;

/// <summary>Who the bearer token's user is: how a client learns its own id.</summary>
public sealed record GetCurrentUserQuery : IQuery<UserDto>;

public sealed class GetCurrentUserQueryHandler(IConcertDbContext db, ICurrentUser caller) : IQueryHandler<GetCurrentUserQuery, UserDto>
{
    public async ValueTask<UserDto> Handle(GetCurrentUserQuery query, CancellationToken cancellationToken)
    {
        var id = caller.RequireId();
        return await db.Users.AsNoTracking().Where(u => u.Id == id).ProjectToType<UserDto>().FirstOrDefaultAsync(cancellationToken)
               ?? throw Errors.Unauthenticated();
    }
}
