namespace Concert.WebApi.Infrastructure;

/// <summary>One area's endpoints. Each lambda sends one message and returns its result.</summary>
public interface IEndpointGroup
{
    void Map(IEndpointRouteBuilder app);
}

public static class EndpointGroupExtensions
{
    public static IEndpointRouteBuilder MapEndpointGroups(this IEndpointRouteBuilder app)
    {
        var groups = typeof(IEndpointGroup).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IEndpointGroup).IsAssignableFrom(t));
        foreach (var group in groups)
        {
            ((IEndpointGroup)Activator.CreateInstance(group)!).Map(app);
        }

        return app;
    }

    /// <summary>Documents the Queue-Token header and the 401/403 answers of a token-gated endpoint.</summary>
    public static RouteHandlerBuilder RequiresQueueToken(this RouteHandlerBuilder builder, bool active = true)
    {
        builder.WithMetadata(new QueueTokenHeaderMetadata())
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return active ? builder.ProducesProblem(StatusCodes.Status403Forbidden) : builder;
    }
}

public sealed class QueueTokenHeaderMetadata;
