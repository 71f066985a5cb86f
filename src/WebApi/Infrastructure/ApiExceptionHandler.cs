using System.Text.Json;
using Concert.Domain.Common;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// The one place failures become problem+json: domain errors by kind, validation failures with their fields,
/// unreadable requests as 400/408/413/415, and anything else as a bare 500 internal_error whose details go to the log
/// only, under the same traceId.
/// </summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        switch (exception)
        {
            case DomainException domain:
                if (domain.RetryAfter is { } retryAfter)
                {
                    Problems.SetRetryAfter(context, retryAfter);
                }

                if (domain.Code == "unauthenticated")
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                }

                await Problems.WriteAsync(context, Problems.StatusOf(domain.Kind), domain.Code, domain.Message);
                return true;

            case ValidationException validation:
                var errors = validation.Errors
                    .GroupBy(e => JsonName(e.PropertyName))
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray());
                await Problems.WriteAsync(context, 400, "validation_failed", "The request is not valid; see errors.", errors);
                return true;

            case BadHttpRequestException bad:
                await WriteBadRequestAsync(context, bad);
                return true;

            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client went away; nobody reads an answer.
                context.Response.StatusCode = 499;
                return true;

            default:
                logger.LogError(exception, "Unhandled exception for {Method} {Path} (traceId {TraceId})",
                    context.Request.Method, context.Request.Path.Value, Problems.TraceId(context));
                var (code, detail) = Problems.ForStatus(500);
                await Problems.WriteAsync(context, 500, code, detail);
                return true;
        }
    }

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException bad)
    {
        var status = bad.StatusCode is 408 or 413 or 415 or 431 ? bad.StatusCode : 400;
        var (code, detail) = Problems.ForStatus(status);
        if (status != 400)
        {
            return Problems.WriteAsync(context, status, code, detail);
        }

        if (bad.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : JsonName(json.Path.TrimStart('$', '.'));
            return Problems.WriteAsync(context, 400, code, "The request body is not valid JSON of the expected shape.",
                new Dictionary<string, string[]>
                {
                    [field] = ["Expected another JSON type here: a whole number within range, a string, or an object."],
                });
        }

        return Problems.WriteAsync(context, 400, code, "The request body is missing or is not a JSON object of the expected shape.",
            new Dictionary<string, string[]> { ["body"] = ["A JSON object is required."] });
    }

    /// <summary>camelCase, as the field appears in the JSON body (Amount → amount).</summary>
    private static string JsonName(string name) =>
        string.IsNullOrEmpty(name) ? "body" : JsonNamingPolicy.CamelCase.ConvertName(name);
}
