using Concert.Domain.Payments;
using FluentValidation;

namespace Concert.Application.Payments.Commands.PayReservation;

public sealed class PayReservationCommandValidator : AbstractValidator<PayReservationCommand>
{
    public PayReservationCommandValidator()
    {
        RuleFor(c => c.ReservationId).GreaterThan(0).WithMessage("reservationId is a positive integer.");
        RuleFor(c => c.IdempotencyKey)
            .Must(k => k is null || IdempotencyRecord.IsValidKey(k))
            .OverridePropertyName("idempotencyKey")
            .WithMessage("The Idempotency-Key header is 1–64 printable ASCII characters (! to ~).");
    }
}
