using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>Adds the required <c>Queue-Token</c> header where one is needed, and types ids and limit as integers.</summary>
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

        // Path ids bind through RouteId (so a bad one is a 404, not a 400) and limit as text (so a bad one is a
        // validation error): document what a client must send.
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Path } path && path.Name!.EndsWith("Id", StringComparison.Ordinal))
            {
                path.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1", Maximum = "9007199254740991" };
            }
            else if (parameter is OpenApiParameter { In: ParameterLocation.Query, Name: "limit" } limit)
            {
                limit.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "100", Default = System.Text.Json.Nodes.JsonValue.Create(50) };
            }
        }

        return Task.CompletedTask;
    }
}

