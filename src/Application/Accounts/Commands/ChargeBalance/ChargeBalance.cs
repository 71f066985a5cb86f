using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Mediator;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Accounts.Commands.ChargeBalance;

public sealed record ChargeBalanceCommand(long UserId, long Amount) : ICommand<BalanceDto>, IUserScopedRequest;

/// <summary>
/// Locks the account row first (a conditional version bump the database serialises across instances), then
/// reads it and lets <see cref="Domain.Accounts.Account"/> apply the charge: concurrent charges queue on the
/// row and each sees the balance the previous one left.
/// </summary>
public sealed class ChargeBalanceCommandHandler(
    IConcertDbContext db, TimeProvider clock, ILogger<ChargeBalanceCommandHandler> logger)
    : ICommandHandler<ChargeBalanceCommand, BalanceDto>
{
    public async ValueTask<BalanceDto> Handle(ChargeBalanceCommand command, CancellationToken cancellationToken)
    {
        var balance = await db.InTransactionAsync(async ct =>
        {
            var account = await db.LockAccountAsync(command.UserId, ct) ?? throw Errors.UserNotFound();
            var entry = account.Charge(command.Amount, clock.GetUtcNow().UtcDateTime);
            db.BalanceEntries.Add(entry);
            await db.SaveChangesAsync(ct);
            return account.Balance;
        }, cancellationToken);

        logger.LogInformation("Charged {Amount} to user {UserId}; balance {Balance}", command.Amount, command.UserId, balance);
        return new BalanceDto(command.UserId, balance);
    }
}
