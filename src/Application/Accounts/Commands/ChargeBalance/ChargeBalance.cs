using Concert.Application.Common;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Accounts.Commands.ChargeBalance;

public sealed record ChargeBalanceCommand(long UserId, long Amount) : ICommand<BalanceDto>, IUserScopedRequest, IMeasuredOutcome;

/// <summary>
/// Locks the account row first (a conditional version bump the database serialises across instances), then
/// reads it and lets <see cref="Domain.Accounts.Account"/> apply the charge: concurrent charges queue on the
/// row and each sees the balance the previous one left. Where the database has one writer at a time (SQLite) the
/// account is read before the transaction instead and written conditionally on its version, in a commit shared with
/// the other writes of the moment (<see cref="TryChargeReadingFirstAsync"/>).
/// </summary>
public sealed class ChargeBalanceCommandHandler(
    IConcertDbContext db, TimeProvider clock, ILogger<ChargeBalanceCommandHandler> logger, UnitCommits commits)
    : ICommandHandler<ChargeBalanceCommand, BalanceDto>
{
    /// <summary>Attempts at <see cref="TryChargeReadingFirstAsync"/> before the locked path decides.</summary>
    private const int ReadFirstAttempts = 2;

    public async ValueTask<BalanceDto> Handle(ChargeBalanceCommand command, CancellationToken cancellationToken)
    {
        var balance = (db.OneWriterAtATime ? await TryChargeReadingFirstAsync(command, cancellationToken) : null)
                      ?? await db.InTransactionAsync(async ct =>
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

    /// <summary>
    /// SQLite has one writer: read the account outside the lock, charge it, then write the charge conditionally on the
    /// version read (the account bumps it on every change), a savepoint in a commit shared with the writes of the moment
    /// (<see cref="UnitCommits"/>). An account changed meanwhile fails the write and the charge reads again. A refusal
    /// as the row stood (no account, a balance at its limit) or a second conflict returns null, and the locked path
    /// decides on the row as it is.
    /// </summary>
    private Task<long?> TryChargeReadingFirstAsync(ChargeBalanceCommand command, CancellationToken cancellationToken) =>
        commits.ReadFirstAsync<long?>(db, ReadFirstAttempts, async ct =>
        {
            var account = await db.Accounts.SingleOrDefaultAsync(a => a.UserId == command.UserId, ct);
            if (account is null)
            {
                return null;
            }

            try
            {
                db.BalanceEntries.Add(account.Charge(command.Amount, clock.GetUtcNow().UtcDateTime));
            }
            catch (DomainException)
            {
                return null;
            }

            return async writeCt =>
            {
                await db.SaveChangesAsync(writeCt);
                return account.Balance;
            };
        }, cancellationToken);
}
