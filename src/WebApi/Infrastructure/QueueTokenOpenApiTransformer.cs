using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>Adds the required <c>Queue-Token</c> header to the documented operations that need one.</summary>
public sealed class QueueTokenOpenApiTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<QueueTokenHeaderMetadata>().Any())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = HttpQueueTokenAccessor.HeaderName,
                In = ParameterLocation.Header,
                Required = true,
                Description = "The queue token from POST /api/queue/tokens.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        return Task.CompletedTask;
    }
}
