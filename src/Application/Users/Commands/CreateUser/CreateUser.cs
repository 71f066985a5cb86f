using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Users;
using Mapster;
using Mediator;

namespace Concert.Application.Users.Commands.CreateUser;

public sealed record CreateUserCommand(string Name) : ICommand<UserDto>;

/// <summary>Creates the user and its empty account together: every user has a balance from the start.</summary>
public sealed class CreateUserCommandHandler(IConcertDbContext db, TimeProvider clock)
    : ICommandHandler<CreateUserCommand, UserDto>
{
    public async ValueTask<UserDto> Handle(CreateUserCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var user = User.Create(command.Name, now);
        return await db.InTransactionAsync(async ct =>
        {
            db.Users.Add(user);
            await db.SaveChangesAsync(ct);
            db.Accounts.Add(Account.Open(user.Id, now));
            await db.SaveChangesAsync(ct);
            return user.Adapt<UserDto>();
        }, cancellationToken);
    }
}
