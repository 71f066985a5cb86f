using Concert.Domain.Accounts;
using FluentValidation;

namespace Concert.Application.Accounts.Commands.ChargeBalance;

public sealed class ChargeBalanceCommandValidator : AbstractValidator<ChargeBalanceCommand>
{
    public ChargeBalanceCommandValidator()
    {
        RuleFor(c => c.Amount)
            .InclusiveBetween(Account.MinCharge, Account.MaxCharge)
            .WithMessage($"amount is a whole number of won from {Account.MinCharge} to {Account.MaxCharge:N0}.");
    }
}
