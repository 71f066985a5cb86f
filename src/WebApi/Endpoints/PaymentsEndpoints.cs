using Concert.Application.Payments;
using Concert.Application.Payments.Commands.Checkout;
using Concert.WebApi.Infrastructure;
using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace Concert.WebApi.Endpoints;

public sealed class PaymentsEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/payments").WithTags("Payments").RequireAuthorization();

        group.MapPost("/", async (
                PayRequest body,
                [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
                IMediator mediator,
                CancellationToken ct) =>
            {
                var payment = await mediator.Send(new CheckoutCommand(body.ReservationIds ?? [], idempotencyKey), ct);
                return TypedResults.Created($"/api/payments/{payment.Id}", payment);
            })
            .WithName("Pay").WithSummary("Pay one or several held reservations together from the balance; optional Idempotency-Key")
            .Produces<PaymentDto>(201).ProducesValidationProblem()
            .RequiresQueueToken().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
    }

    public sealed record PayRequest(IReadOnlyList<long>? ReservationIds);
}
