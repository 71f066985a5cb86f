using Concert.Application.Queue;
using Concert.Application.Queue.Commands.IssueQueueToken;
using Concert.Application.Queue.Commands.LeaveQueue;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Concert.Application.Queue.Queries.GetQueueStatus;
using Concert.Application.Queue.Queries.StreamQueueStatus;
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
            .RequireJoinRateLimit()
            .ProducesProblem(429);

        group.MapGet("/current", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetQueueStatusQuery(), ct)))
            .WithName("GetQueueStatus").WithSummary("Poll: waiting (position, estimated wait), active or expired")
            .RequiresQueueToken(active: false);

        group.MapGet("/current/events", async (
                IMediator mediator, HttpContext http, IHostApplicationLifetime lifetime, CancellationToken ct) =>
            {
                // Refusals (401, 429) are thrown here, before anything is written: they stay problem+json.
                var stream = await mediator.Send(new StreamQueueStatusQuery(), ct);
                http.Response.RegisterForDisposeAsync(stream);
                // A stopping instance ends its streams (clients reconnect elsewhere) rather than hold up shutdown.
                var ending = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
                http.Response.RegisterForDispose(ending);
                return TypedResults.ServerSentEvents(Events(stream, http.Response, ending.Token));
            })
            .WithName("StreamQueueStatus")
            .WithSummary("Live status: an event `status` at once and at every change; ends after `expired`")
            .RequiresQueueToken(active: false)
            .ProducesProblem(429);

        group.MapDelete("/current", async (IMediator mediator, CancellationToken ct) =>
            {
                await mediator.Send(new LeaveQueueCommand(), ct);
                return TypedResults.NoContent();
            })
            .WithName("LeaveQueue").WithSummary("Leave the queue; an active slot is freed at once")
            .RequiresQueueToken(active: false);
        }

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    /// <summary>The stream's statuses as <c>status</c> events. An <see cref="SseItem{T}"/> cannot be a comment, so a
    /// keep-alive (null) is written straight to the body, between two events.</summary>
    private static async IAsyncEnumerable<SseItem<QueueStatusDto>> Events(
        QueueStatusStream stream, HttpResponse response, [EnumeratorCancellation] CancellationToken ct)
    {
        await using (stream)
        {
            await foreach (var status in stream.WithCancellation(ct))
            {
                if (status is not null)
                {
                    yield return new SseItem<QueueStatusDto>(status, "status");
                }
                else
                {
                    await response.Body.WriteAsync(KeepAlive, ct);
                    await response.Body.FlushAsync(ct);
                }
            }
        }
    }
}
