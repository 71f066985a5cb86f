using System.Collections.Concurrent;
using System.Security.Claims;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Bearer tokens this instance has already validated in full (signature, issuer, audience, lifetime), by their exact
/// text, until their own expiry: a client sends the same token on every poll, and checking its HMAC and parsing its
/// JSON again each time cost polls most of their throughput. A token is only ever found here after passing the
/// handler's validation, and is never accepted past its <c>exp</c>. Bounded: at capacity it starts afresh.
/// What it keeps is a compact principal — the caller's id and role, the only claims anything here reads — not the
/// handler's full one (every JWT claim, each with its own property bag): with 100,000 distinct callers the full
/// principals were most of the process's memory.
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

        _entries[token] = (Compact(principal), expires);
    }

    private static ClaimsPrincipal Compact(ClaimsPrincipal principal)
    {
        if (principal.Identity is not ClaimsIdentity identity)
        {
            return principal;
        }

        var kept = identity.Claims
            .Where(c => c.Type == identity.NameClaimType || c.Type == identity.RoleClaimType)
            .Select(c => new Claim(c.Type, c.Value))
            .ToList();
        return new ClaimsPrincipal(new ClaimsIdentity(kept, identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType));
    }
}
