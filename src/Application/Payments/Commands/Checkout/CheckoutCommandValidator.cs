using Concert.Application.Common.Options;
using Concert.Domain.Payments;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Concert.Application.Payments.Commands.Checkout;

public sealed class CheckoutCommandValidator : AbstractValidator<CheckoutCommand>
{
    public CheckoutCommandValidator(IOptions<ReservationOptions> options)
    {
        // One checkout pays at most what a user can hold at once.
        var max = options.Value.MaxHeldSeatsPerUser;
        RuleFor(c => c.ReservationIds)
            .Cascade(CascadeMode.Stop)
            .Must(ids => ids.Count >= 1 && ids.Count <= max)
            .WithMessage($"reservationIds lists 1–{max} reservation ids.")
            .Must(ids => ids.All(id => id > 0))
            .WithMessage("Every reservation id is a positive integer.")
            .Must(ids => ids.Distinct().Count() == ids.Count)
            .WithMessage("A reservation id may appear only once.");
        RuleFor(c => c.IdempotencyKey)
            .Must(k => k is null || IdempotencyRecord.IsValidKey(k))
            .OverridePropertyName("idempotencyKey")
            .WithMessage("The Idempotency-Key header is 1–64 printable ASCII characters (! to ~).");
    }
}
