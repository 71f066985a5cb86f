using Concert.Application.Common.Paging;
using FluentValidation;

namespace Concert.Application.Accounts.Queries.GetBalanceHistory;

public sealed class GetBalanceHistoryQueryValidator : AbstractValidator<GetBalanceHistoryQuery>
{
    public GetBalanceHistoryQueryValidator() => this.AddPagingRules();
}
