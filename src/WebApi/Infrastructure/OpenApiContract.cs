using Microsoft.AspNetCore.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Shapes <c>GET /openapi/v1.json</c> into the contract (API.md, "Conventions") so that a client generated from it
/// type-checks against real answers: typed timestamps and enums, one problem body, both credentials as schemes.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";
    public const string QueueTokenScheme = "queueToken";
    public const string ProblemSchema = "Problem";
    public const string ValidationProblemSchema = "ValidationProblem";

    public static void Configure(OpenApiOptions options)
    {
        options.AddSchemaTransformer<ContractSchemaTransformer>();
        options.AddOperationTransformer<QueueTokenOpenApiTransformer>();
        options.AddOperationTransformer<ContractOperationTransformer>();
        options.AddDocumentTransformer<ContractDocumentTransformer>();
    }
}
