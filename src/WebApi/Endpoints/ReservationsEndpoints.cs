using Concert.Application.Reservations;
using Concert.Application.Reservations.Commands.CancelReservation;
using Concert.Application.Reservations.Commands.HoldSeat;
using Concert.WebApi.Infrastructure;
using Mediator;

namespace Concert.WebApi.Endpoints;

public sealed class ReservationsEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/reservations").WithTags("Reservations").RequireAuthorization();

        group.MapPost("/", async (HoldSeatCommand command, IMediator mediator, CancellationToken ct) =>
            {
                var reservation = await mediator.Send(command, ct);
                return TypedResults.Created($"/api/reservations/{reservation.Id}", reservation);
            })
            .WithName("HoldSeat").WithSummary("Hold a seat for a few minutes")
            .Produces<ReservationDto>(201).ProducesValidationProblem()
            .RequiresQueueToken().ProducesProblem(404).ProducesProblem(409);

        group.MapDelete("/{reservationId}", async (RouteId reservationId, IMediator mediator, CancellationToken ct) =>
            {
                await mediator.Send(new CancelReservationCommand(reservationId), ct);
                return TypedResults.NoContent();
            })
            .WithName("CancelReservation").WithSummary("Cancel a hold; the seat is available again")
            .RequiresQueueToken().ProducesProblem(404).ProducesProblem(409);
    }
}
