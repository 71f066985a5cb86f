using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Refuses a JSON body that is not valid UTF-8 with 400 validation_failed, as the contract asks. The JSON reader
/// checks only the bytes it turns into strings, so invalid bytes inside a field it skips (an unknown one, which
/// the contract says to ignore) would otherwise pass unnoticed. Only for endpoints that read a JSON body and only
/// for requests that declare one: anything else goes on to its 404/405/415. Bodies are at most 64 KiB (Kestrel
/// refuses larger ones while this reads, which the exception handler answers 413).
/// </summary>
public sealed class Utf8JsonBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (ReadsJsonBody(context))
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            if (!Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "validation_failed",
                    "The request body is not valid UTF-8.",
                    new Dictionary<string, string[]> { ["body"] = ["The body must be UTF-8 encoded JSON."] });
                return;
            }

            context.Request.Body = new MemoryStream(buffer.ToArray(), writable: false);
        }

        await next(context);
    }

    private static bool ReadsJsonBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
        && context.Request.HasJsonContentType()
        && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts
        && accepts.ContentTypes.Any(t => t.StartsWith("application/json", StringComparison.OrdinalIgnoreCase));
}
