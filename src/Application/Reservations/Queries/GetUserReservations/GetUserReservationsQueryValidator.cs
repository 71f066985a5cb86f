using Concert.Application.Common.Paging;
using FluentValidation;

namespace Concert.Application.Reservations.Queries.GetUserReservations;

public sealed class GetUserReservationsQueryValidator : AbstractValidator<GetUserReservationsQuery>
{
    public GetUserReservationsQueryValidator() => this.AddPagingRules();
}
