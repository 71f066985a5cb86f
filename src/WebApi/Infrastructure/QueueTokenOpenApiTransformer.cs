using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Types path ids and limit as integers. The Queue-Token header is a security scheme, not a parameter: see
/// <see cref="ContractOperationTransformer"/>.
/// </summary>
public sealed class QueueTokenOpenApiTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
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

