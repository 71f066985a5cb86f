using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Refuses a JSON body that is not valid UTF-8 with 400 validation_failed, as the contract asks. The JSON reader
/// checks only the bytes it turns into strings, so invalid bytes inside a field it skips (an unknown one, which
/// the contract says to ignore) would otherwise pass unnoticed. Only for endpoints that read a JSON body and only
/// for requests that declare one: anything else goes on to its 404/405/415. Bodies are at most 64 KiB (Kestrel
/// refuses larger ones while this reads, which the exception handler answers 413).
/// A charset other than UTF-8 (under any common spelling) is 415 here, before the framework would look it up as a
/// .NET encoding: an unknown name threw (a 500 and a stack trace in the log per request), and a known one such as
/// latin1 was transcoded after the UTF-8 check above had passed its bytes.
/// </summary>
public sealed class Utf8JsonBodyMiddleware(RequestDelegate next)
{
    // Most requests (every GET, every DELETE) declare no JSON body: straight on, without an async frame.
    public Task InvokeAsync(HttpContext context) => ReadsJsonBody(context) ? CheckedAsync(context) : next(context);

    private async Task CheckedAsync(HttpContext context)
    {
        if (!DeclaresUtf8(context.Request.ContentType, out var mediaType))
        {
            await Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "The request body must be JSON in UTF-8: send no charset, or charset=utf-8.");
            return;
        }

        // Whatever spelling came, the framework reads the body as UTF-8 (the default without a charset).
        context.Request.ContentType = mediaType;

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (!Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "validation_failed",
                "The request body is not valid UTF-8.",
                new Dictionary<string, string[]> { ["body"] = ["The body must be UTF-8 encoded JSON."] });
            return;
        }

        if (HasRepeatedMember(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "validation_failed",
                "The request body gives a member twice.",
                new Dictionary<string, string[]> { ["body"] = ["Each member may be given once in an object."] });
            return;
        }

        context.Request.Body = new MemoryStream(buffer.ToArray(), writable: false);

        await next(context);
    }

    /// <summary>
    /// Whether a member name is given twice in one object, at any depth. The serializer refuses a repeat only among the
    /// members it binds (AllowDuplicateProperties = false); an unknown member given twice would pass, though the
    /// contract calls any such body malformed. Bodies that are not valid JSON are left to the serializer's 400.
    /// </summary>
    private static bool HasRepeatedMember(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var objects = new Stack<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        objects.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        objects.Pop();
                        break;
                    case JsonTokenType.PropertyName when !objects.Peek().Add(reader.GetString()!):
                        return true;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Malformed, or a name that is not valid text: the serializer answers it.
        }

        return false;
    }

    /// <summary>No charset, or UTF-8 as clients spell it: utf-8, UTF8, "utf-8" (quoted).</summary>
    internal static bool DeclaresUtf8(string? contentType, out string mediaType)
    {
        mediaType = "application/json";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }

        mediaType = parsed.MediaType.Value ?? mediaType;
        var charsets = parsed.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList();
        return charsets.Count == 0
               || (charsets.Count == 1
                   && HeaderUtilities.RemoveQuotes(charsets[0].Value).Trim().Value?.ToUpperInvariant() is "UTF-8" or "UTF8");
    }

    private static bool ReadsJsonBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
        && context.Request.HasJsonContentType()
        && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts
        && accepts.ContentTypes.Any(t => t.StartsWith("application/json", StringComparison.OrdinalIgnoreCase));
}
