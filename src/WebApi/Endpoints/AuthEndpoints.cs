using Concert.Application.Auth;
using Concert.Application.Auth.Commands.SignIn;
using Concert.WebApi.Infrastructure;
using Mediator;

namespace Concert.WebApi.Endpoints;

public sealed class AuthEndpoints : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Accounts").AllowAnonymous();

        group.MapPost("/token", async (SignInCommand command, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(command, ct)))
            .WithName("SignIn").WithSummary("Sign in: a bearer access token for the email and password")
            .RequireRateLimiting(RateLimits.SignIn)
            .Produces<AccessTokenDto>().ProducesValidationProblem().ProducesProblem(401).ProducesProblem(429);
    }
}
