using Concert.Application.Common.Interfaces;
using Concert.Domain.Accounts;
using Concert.Domain.Common;
using Concert.Domain.Users;
using Mapster;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Users.Commands.CreateUser;

public sealed record CreateUserCommand(string Name, string Email, string Password) : ICommand<UserDto>
{
    /// <summary>Never in a log line: records print their members.</summary>
    public override string ToString() => $"CreateUserCommand {{ Name = {Name}, Email = {Email} }}";
}

/// <summary>
/// Signs a user up: the user and their empty account together, so every user has a balance from the start. One
/// account per email (without regard to case) is the database's job: a unique index on the normalised email.
/// </summary>
public sealed class CreateUserCommandHandler(IConcertDbContext db, IPasswordHasher hasher, TimeProvider clock)
    : ICommandHandler<CreateUserCommand, UserDto>
{
    public async ValueTask<UserDto> Handle(CreateUserCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var user = User.Register(command.Name, command.Email, hasher.Hash(command.Password), now);
        try
        {
            return await db.InTransactionAsync(async ct =>
            {
                db.Users.Add(user);
                await db.SaveChangesAsync(ct);
                db.Accounts.Add(Account.Open(user.Id, now));
                await db.SaveChangesAsync(ct);
                return user.Adapt<UserDto>();
            }, cancellationToken);
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation(e))
        {
            throw Errors.EmailTaken();
        }
    }
}
