using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Users.Queries.GetUser;

public sealed record GetUserQuery(long UserId) : IQuery<UserDto>, IUserScopedRequest;

public sealed class GetUserQueryHandler(IConcertDbContext db) : IQueryHandler<GetUserQuery, UserDto>
{
    public async ValueTask<UserDto> Handle(GetUserQuery query, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking()
            .Where(u => u.Id == query.UserId)
            .ProjectToType<UserDto>()
            .FirstOrDefaultAsync(cancellationToken)
        ?? throw Errors.UserNotFound();
}
