using System.Text.Json.Serialization;
using Concert.Application.Queue;
using Concert.Application.Queue.Commands.UpdateWaitingRoom;
using Concert.Application.Queue.Queries.GetDraw;
using Concert.Application.Queue.Queries.GetWaitingRoom;
using Concert.WebApi.Infrastructure;
using Mediator;

namespace Concert.WebApi.Endpoints;

public sealed class WaitingRoomEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var room = app.MapGroup("/api/waiting-room").WithTags("Waiting room").AllowAnonymous();

        room.MapGet("/", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetWaitingRoomQuery(), ct)))
            .WithName("GetWaitingRoom")
            .WithSummary("The room: scheduled, open or paused; the opening, the cap, the counts and the draw's commitment");

        room.MapGet("/draw", async (string? offset, string? limit, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetDrawQuery(offset, limit), ct)))
            .WithName("GetDraw")
            .WithSummary("The opening's draw: the commitment, then the seed and every drawn score in admission order (offset, limit)")
            .ProducesValidationProblem().ProducesProblem(404);

        var admin = app.MapGroup("/api/admin").WithTags("Waiting room").RequiresSignIn()
            .RequireAuthorization(AuthenticationSetup.AdminPolicy);

        admin.MapPatch("/waiting-room", async (UpdateWaitingRoomRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(
                    new UpdateWaitingRoomCommand(body.MaxActiveTokens, body.Paused, body.OpensAtGiven, body.OpensAt), ct)))
            .WithName("UpdateWaitingRoom")
            .WithSummary("Operators: change the cap, pause or resume admission, schedule, move or clear the opening")
            .ProducesValidationProblem().ProducesProblem(403).ProducesProblem(409);
    }

    /// <summary>Each member optional; <c>"opensAt": null</c> clears the opening, while leaving it out changes nothing
    /// (the serializer calls a setter only for a member that is there, null included).</summary>
    public sealed class UpdateWaitingRoomRequest
    {
        private readonly DateTime? _opensAt;

        public int? MaxActiveTokens { get; init; }

        public bool? Paused { get; init; }

        public DateTime? OpensAt
        {
            get => _opensAt;
            init
            {
                _opensAt = value;
                OpensAtGiven = true;
            }
        }

        [JsonIgnore]
        public bool OpensAtGiven { get; private init; }
    }
}
