using FluentValidation;

namespace Concert.Application.Reservations.Commands.HoldSeat;

public sealed class HoldSeatCommandValidator : AbstractValidator<HoldSeatCommand>
{
    public HoldSeatCommandValidator() =>
        RuleFor(c => c.SeatId).GreaterThan(0).WithMessage("seatId is a positive integer.");
}
