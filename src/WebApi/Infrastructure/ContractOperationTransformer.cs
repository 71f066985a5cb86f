using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Per operation, from endpoint metadata: the credentials it needs (security requirements, never a Queue-Token
/// parameter), every status it can answer as problem+json, and the contract's limits on header parameters.
/// </summary>
public sealed class ContractOperationTransformer(IOptions<AuthorizationOptions> authorization) : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        var bearer = !anonymous && (authorize.Count > 0 || metadata.OfType<SignInRequiredMetadata>().Any()
            || authorization.Value.FallbackPolicy is not null);
        var queueToken = metadata.OfType<QueueTokenHeaderMetadata>().Any();
        var gated = queueToken && operation.Responses?.ContainsKey("403") == true;

        // One requirement naming both schemes means both are needed together; an empty list means public.
        var requirement = new OpenApiSecurityRequirement();
        if (bearer)
        {
            requirement[new OpenApiSecuritySchemeReference(OpenApiContract.BearerScheme, context.Document)] = [];
        }

        if (queueToken)
        {
            requirement[new OpenApiSecuritySchemeReference(OpenApiContract.QueueTokenScheme, context.Document)] = [];
        }

        operation.Security = requirement.Count > 0 ? [requirement] : [];

        var responses = operation.Responses ??= [];
        var codes = new Dictionary<int, List<string>>();
        void Answers(int status, params string[] known)
        {
            responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse());
            (codes.TryGetValue(status, out var list) ? list : codes[status] = []).AddRange(known);
        }

        if (operation.RequestBody is not null)
        {
            Answers(400, "validation_failed");
            Answers(413, "payload_too_large");
            Answers(415, "unsupported_media_type");
        }
        else if (responses.ContainsKey("400"))
        {
            Answers(400, "validation_failed");
        }

        if (bearer)
        {
            Answers(401, "unauthenticated");
        }

        if (queueToken)
        {
            Answers(401, "queue_token_missing", "queue_token_invalid");
        }

        if (gated)
        {
            Answers(403, "queue_token_waiting", "queue_token_expired");
        }

        if (bearer && authorize.Any(a => a.Roles is not null || a.Policy is not null))
        {
            Answers(403, "forbidden");
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any() && !metadata.OfType<DisableRateLimitingAttribute>().Any())
        {
            Answers(429, "rate_limited");
        }

        Answers(500, "internal_error");

        foreach (var (key, response) in responses.ToList())
        {
            if (!int.TryParse(key, out var status) || status < 400 || response is not OpenApiResponse problem)
            {
                continue;
            }

            var schema = status == 400 ? OpenApiContract.ValidationProblemSchema : OpenApiContract.ProblemSchema;
            problem.Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new() { Schema = new OpenApiSchemaReference(schema, context.Document) },
            };
            var known = codes.TryGetValue(status, out var list) ? list.Distinct().ToList() : [];
            problem.Description = ReasonPhrases.GetReasonPhrase(status)
                + (known.Count > 0 ? ": " + string.Join(", ", known.Select(c => $"`{c}`")) : "; see `code`");
            if (status == 401 && bearer)
            {
                problem.Headers ??= new Dictionary<string, IOpenApiHeader>();
                problem.Headers["WWW-Authenticate"] = new OpenApiHeader { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            if (status == 429)
            {
                problem.Headers ??= new Dictionary<string, IOpenApiHeader>();
                problem.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
                };
            }
        }

        DescribeHeaderParameters(operation);
        return Task.CompletedTask;
    }

    private static void DescribeHeaderParameters(OpenApiOperation operation)
    {
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter is { In: ParameterLocation.Header, Name: "Idempotency-Key" })
            {
                parameter.Description = "Makes a retry safe: the same key and body replay the first successful answer.";
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 64, Pattern = "^[!-~]{1,64}$" };
            }
            else if (parameter is { In: ParameterLocation.Query, Name: "before" })
            {
                parameter.Description = "Only entries with an id below this one (the next page).";
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1", Maximum = "9007199254740991" };
            }
        }
    }
}
