using Concert.Application.Queue;
using Concert.Application.Queue.Commands.IssueQueueToken;
using Concert.Application.Queue.Commands.LeaveQueue;
using Concert.Application.Queue.Queries.GetQueueStatus;
using Concert.WebApi.Infrastructure;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Concert.WebApi.Endpoints;

public sealed class QueueEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/queue/tokens").WithTags("Waiting queue").RequiresSignIn();

        group.MapPost("/", async Task<Results<Created<QueueStatusDto>, Ok<QueueStatusDto>>> (
                IMediator mediator, CancellationToken ct) =>
            {
                // No body: the caller joins as themselves (a body, if any, is ignored).
                var issued = await mediator.Send(new IssueQueueTokenCommand(), ct);
                return issued.Created
                    ? TypedResults.Created("/api/queue/tokens/current", issued.Status)
                    : TypedResults.Ok(issued.Status);
            })
            .WithName("JoinQueue").WithSummary("Join the queue (201), or get your live token again (200)")
            .RequireRateLimiting(RateLimits.Join)
            .ProducesProblem(429);

        group.MapGet("/current", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetQueueStatusQuery(), ct)))
            .WithName("GetQueueStatus").WithSummary("Poll: waiting (position, estimated wait), active or expired")
            .RequiresQueueToken(active: false);

        group.MapDelete("/current", async (IMediator mediator, CancellationToken ct) =>
            {
                await mediator.Send(new LeaveQueueCommand(), ct);
                return TypedResults.NoContent();
            })
            .WithName("LeaveQueue").WithSummary("Leave the queue; an active slot is freed at once")
            .RequiresQueueToken(active: false);
    }
}
