using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Types what our own JSON converters write: a custom converter hides the member's type from the schema generator,
/// which left timestamps as a bare <c>format: date-time</c> (<c>unknown</c> in a generated client) and enums untyped.
/// </summary>
public sealed class ContractSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        var underlying = Nullable.GetUnderlyingType(type);
        var nullable = underlying is not null;
        type = underlying ?? type;

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            schema.Format = "date-time";
        }
        else if (type.IsEnum && schema.Enum is { Count: > 0 })
        {
            schema.Type = JsonSchemaType.String;
        }

        return Task.CompletedTask;
    }
}
