using System.Diagnostics;
using Concert.Domain.Common;
using Microsoft.AspNetCore.WebUtilities;

namespace Concert.WebApi.Infrastructure;

/// <summary>Writes every error as RFC 9457 problem+json with the contract's <c>code</c> and a <c>traceId</c>.</summary>
public static class Problems
{
    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Validation => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The code and sentence for a status that reaches the client without a domain error behind it.</summary>
    public static (string Code, string Detail) ForStatus(int status) => status switch
    {
        400 => ("validation_failed", "The request is not valid."),
        401 => ("unauthenticated", "Sign in first: this endpoint needs a valid bearer token."),
        403 => ("forbidden", "This needs an operator's account."),
        404 => ("route_not_found", "No endpoint answers this path."),
        405 => ("method_not_allowed", "This endpoint does not answer this method."),
        408 => ("request_timeout", "The request body arrived too slowly."),
        413 => ("payload_too_large", "The request body is larger than 64 KiB."),
        415 => ("unsupported_media_type", "The request body must be application/json in UTF-8."),
        431 => ("request_headers_too_large", "The request headers are too large."),
        429 => ("rate_limited", "Too many requests; try again after the Retry-After seconds."),
        _ when status >= 500 => ("internal_error", "Something went wrong on our side; the log has the details under this traceId."),
        _ => ("error", "The request failed."),
    };

    /// <summary>Retry-After in whole seconds, rounded up and at least 1 (a 0 would invite an instant retry).</summary>
    public static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) =>
        context.Response.Headers.RetryAfter =
            Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string TraceId(HttpContext context) =>
        Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;

    public static Task WriteAsync(
        HttpContext context, int status, string code, string detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = new Dictionary<string, object?>
        {
            ["type"] = $"https://httpstatuses.io/{status}",
            ["title"] = ReasonPhrases.GetReasonPhrase(status),
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
            ["traceId"] = TraceId(context),
        };
        if (errors is not null)
        {
            problem["errors"] = errors;
        }

        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}
