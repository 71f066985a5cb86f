using System.Collections.Concurrent;
using System.Security.Claims;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Bearer tokens this instance has already validated in full (signature, issuer, audience, lifetime), by their exact
/// text, until their own expiry: a client sends the same token on every poll, and checking its HMAC and parsing its
/// JSON again each time cost polls most of their throughput. A token is only ever found here after passing the
/// handler's validation, and is never accepted past its <c>exp</c>. Bounded: at capacity it starts afresh.
/// </summary>
public sealed class ValidatedBearerCache(TimeProvider clock)
{
    public const int Capacity = 200_000;

    private readonly ConcurrentDictionary<string, (ClaimsPrincipal Principal, DateTime Expires)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string token, out ClaimsPrincipal principal)
    {
        if (_entries.TryGetValue(token, out var entry))
        {
            if (entry.Expires > clock.GetUtcNow().UtcDateTime)
            {
                principal = entry.Principal;
                return true;
            }

            _entries.TryRemove(token, out _);
        }

        principal = null!;
        return false;
    }

    public void Add(string token, ClaimsPrincipal principal, DateTime expires)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        _entries[token] = (principal, expires);
    }
}
