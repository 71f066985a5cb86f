using Concert.Application.Common.Interfaces;

namespace Concert.WebApi.Infrastructure;

public sealed class HttpQueueTokenAccessor(IHttpContextAccessor http) : IQueueTokenAccessor
{
    public const string HeaderName = "Queue-Token";

    public string? RawToken => http.HttpContext?.Request.Headers[HeaderName].ToString() is { Length: > 0 } value ? value.Trim() : null;
}
