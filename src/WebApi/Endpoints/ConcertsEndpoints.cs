using Concert.Application.Concerts;
using Concert.Application.Concerts.Queries.GetConcerts;
using Concert.Application.Concerts.Queries.GetSchedules;
using Concert.Application.Concerts.Queries.GetSeats;
using Concert.WebApi.Infrastructure;
using Mediator;

namespace Concert.WebApi.Endpoints;

public sealed class ConcertsEndpoints : IEndpointGroup
{
    public const string ConcertListCachePolicy = "concert-list";

    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/concerts").WithTags("Concerts").RequireAuthorization();

        group.MapGet("/", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetConcertsQuery(), ct)))
            .WithName("GetConcerts").WithSummary("Concerts with a schedule to come (public)")
            .AllowAnonymous()
            .CacheOutput(ConcertListCachePolicy);

        group.MapGet("/{concertId}/schedules", async (RouteId concertId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetSchedulesQuery(concertId), ct)))
            .WithName("GetSchedules").Produces<IReadOnlyList<ScheduleDto>>()
            .RequiresQueueToken().ProducesProblem(404);

        group.MapGet("/{concertId}/schedules/{scheduleId}/seats", async (
                RouteId concertId, RouteId scheduleId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetSeatsQuery(concertId, scheduleId), ct)))
            .WithName("GetSeats").WithSummary("Seats by number; a lapsed hold reads as available")
            .Produces<IReadOnlyList<SeatDto>>()
            .RequiresQueueToken().ProducesProblem(404);
    }
}
