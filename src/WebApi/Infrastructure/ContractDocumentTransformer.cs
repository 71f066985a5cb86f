using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// The document as a whole: info, servers without a trailing slash (a client joins paths that start with one), tag
/// descriptions, both credentials as security schemes, and the problem bodies.
/// </summary>
public sealed class ContractDocumentTransformer : IOpenApiDocumentTransformer
{
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Accounts"] = "Sign-up and sign-in: an access token for `Authorization: Bearer`.",
        ["Users and balance"] = "Users, their prepaid balance in won, its history and their reservations (signed in).",
        ["Waiting queue"] = "Join the virtual waiting room and poll your place; the queue token goes in `Queue-Token`.",
        ["Waiting room"] = "The opening schedule, the fair draw and the operators' live controls.",
        ["Concerts"] = "The public catalogue; schedules and seats need an active queue token.",
        ["Reservations"] = "Hold a seat for a few minutes, or cancel the hold (active queue token).",
        ["Payments"] = "Pay held seats from the balance in one checkout (active queue token).",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Concert booking API",
            Version = "2",
            Description = "Concert tickets behind a virtual waiting room. Every error is `application/problem+json` "
                + "with a stable `code` and a `traceId`. Signed-in calls send `Authorization: Bearer <accessToken>`; "
                + "queue-gated calls also send `Queue-Token: <token>` (from `POST /api/queue/tokens`).",
        };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url is { Length: > 1 } url ? url.TrimEnd('/') : server.Url;
        }

        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            if (tag.Name is not null && TagDescriptions.TryGetValue(tag.Name, out var description))
            {
                tag.Description = description;
            }
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OpenApiContract.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "The `accessToken` from `POST /api/auth/token`.",
        };
        document.Components.SecuritySchemes[OpenApiContract.QueueTokenScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = HttpQueueTokenAccessor.HeaderName,
            Description = "The `token` from `POST /api/queue/tokens`.",
        };

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");
        document.Components.Schemas[OpenApiContract.ProblemSchema] = Problem(validation: false);
        document.Components.Schemas[OpenApiContract.ValidationProblemSchema] = Problem(validation: true);
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem(bool validation)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = validation
                ? "An RFC 9457 problem for a request that is not valid; `errors` names each failing JSON field (camelCase)."
                : "An RFC 9457 problem with the contract's stable `code` and the `traceId` the log has it under.",
            Required = new HashSet<string> { "type", "title", "status", "detail", "code", "traceId" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("A URI naming the kind of problem."),
                ["title"] = Text("The HTTP reason phrase."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
                ["detail"] = Text("A sentence for people; never null."),
                ["code"] = Text("Stable and machine-readable, e.g. `seat_unavailable` (see the contract's error codes)."),
                ["traceId"] = Text("Quote it to support: the log has the details under it."),
            },
        };
        if (validation)
        {
            schema.Properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Messages by JSON field name (`body` when the body as a whole is unreadable).",
                AdditionalProperties = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            };
        }

        return schema;
    }

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
}
