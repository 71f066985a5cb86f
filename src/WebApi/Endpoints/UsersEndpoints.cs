using Concert.Application.Accounts;
using Concert.Application.Accounts.Commands.ChargeBalance;
using Concert.Application.Accounts.Queries.GetBalance;
using Concert.Application.Accounts.Queries.GetBalanceHistory;
using Concert.Application.Reservations;
using Concert.Application.Reservations.Queries.GetUserReservations;
using Concert.Application.Users;
using Concert.Application.Users.Commands.CreateUser;
using Concert.Application.Users.Queries.GetCurrentUser;
using Concert.Application.Users.Queries.GetUser;
using Concert.WebApi.Infrastructure;
using Mediator;

namespace Concert.WebApi.Endpoints;

public sealed class UsersEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/users").WithTags("Users and balance").RequiresSignIn();

        group.MapPost("/", async (CreateUserCommand command, IMediator mediator, CancellationToken ct) =>
            {
                var user = await mediator.Send(command, ct);
                return TypedResults.Created($"/api/users/{user.Id}", user);
            })
            .WithName("CreateUser").WithSummary("Sign up: a user with an email and a password (balance 0)")
            .AllowAnonymous()
            .RequireRateLimiting(RateLimits.SignUp)
            .ProducesValidationProblem().ProducesProblem(409).ProducesProblem(429);

        group.MapGet("/me", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetCurrentUserQuery(), ct)))
            .WithName("GetCurrentUser").WithSummary("Who the bearer token's user is");

        group.MapGet("/{userId}", async (RouteId userId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetUserQuery(userId), ct)))
            .WithName("GetUser").WithSummary("A user: only your own")
            .Produces<UserDto>().ProducesProblem(404);

        group.MapGet("/{userId}/balance", async (RouteId userId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetBalanceQuery(userId), ct)))
            .WithName("GetBalance").WithSummary("Your balance in won")
            .Produces<BalanceDto>().ProducesProblem(404);

        group.MapPost("/{userId}/balance/charges", async (RouteId userId, ChargeRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ChargeBalanceCommand(userId, body.Amount), ct)))
            .WithName("ChargeBalance").WithSummary("Top up the balance (1–1,000,000 won a charge)")
            .Produces<BalanceDto>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        group.MapGet("/{userId}/balance/history", async (RouteId userId, string? limit, string? before, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetBalanceHistoryQuery(userId, limit, before), ct)))
            .WithName("GetBalanceHistory").WithSummary("Balance changes, newest first, a page at a time (limit, before)")
            .Produces<IReadOnlyList<BalanceEntryDto>>().ProducesValidationProblem().ProducesProblem(404);

        group.MapGet("/{userId}/reservations", async (RouteId userId, string? limit, string? before, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetUserReservationsQuery(userId, limit, before), ct)))
            .WithName("GetUserReservations").WithSummary("The user's reservations, newest first, a page at a time (limit, before)")
            .Produces<IReadOnlyList<ReservationDto>>().ProducesValidationProblem().ProducesProblem(404);
    }

    public sealed record ChargeRequest(long Amount);
}
