using System.Globalization;
using FluentValidation;

namespace Concert.Application.Accounts.Queries.GetBalanceHistory;

public sealed class GetBalanceHistoryQueryValidator : AbstractValidator<GetBalanceHistoryQuery>
{
    public GetBalanceHistoryQueryValidator()
    {
        RuleFor(q => q.Limit)
            .Must(l => l is null || (int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                                     && n is >= 1 and <= GetBalanceHistoryQuery.MaxLimit))
            .WithMessage($"limit is a whole number from 1 to {GetBalanceHistoryQuery.MaxLimit}.");
    }
}
