using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Bearer tokens this instance has already validated in full (signature, issuer, audience, lifetime), until their own
/// expiry: a client sends the same token on every poll, and checking its HMAC and parsing its JSON again each time
/// cost polls most of their throughput. A token is only ever found here after passing the handler's validation, and
/// is never accepted past its <c>exp</c>. Bounded: at capacity it starts afresh.
/// <para>
/// Small per caller, because an opening brings 100,000 of them to one instance: an entry is the SHA-256 of the
/// token's text (collision-resistant, so only that exact token finds it) and the two claims anything here reads, the
/// caller's id and role, held in the dictionary's own node — about 130 bytes with the id's text, where the token's
/// text alone is 500 and the handler's principal (every JWT claim, each with its property bag) several kilobytes.
/// Each hit builds its small principal afresh.
/// </para>
/// </summary>
public sealed class ValidatedBearerCache(TimeProvider clock)
{
    public const int Capacity = 200_000;

    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();

    public int Count => _entries.Count;

    public bool TryGet(string token, out ClaimsPrincipal principal)
    {
        var key = TokenHash.Of(token);
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Expires > clock.GetUtcNow().UtcDateTime)
            {
                principal = entry.ToPrincipal();
                return true;
            }

            _entries.TryRemove(key, out _);
        }

        principal = null!;
        return false;
    }

    public void Add(string token, ClaimsPrincipal principal, DateTime expires)
    {
        if (principal.Identity is not ClaimsIdentity identity || identity.FindFirst(identity.NameClaimType) is not { } subject)
        {
            return;   // nothing to answer with: such a token is validated in full each time
        }

        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        var role = identity.FindFirst(identity.RoleClaimType)?.Value;
        var shape = _shape is { } known && known.Matches(identity)
            ? known
            : _shape = new Shape(identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType);
        _entries[TokenHash.Of(token)] = new Entry(
            subject.Value, role is null ? null : string.Intern(role), expires, shape);
    }

    // What every principal of one handler shares (its scheme and claim types), held once rather than per entry.
    private Shape? _shape;

    private sealed record Shape(string? AuthenticationType, string NameClaimType, string RoleClaimType)
    {
        public bool Matches(ClaimsIdentity identity) =>
            AuthenticationType == identity.AuthenticationType
            && NameClaimType == identity.NameClaimType
            && RoleClaimType == identity.RoleClaimType;
    }

    // A value in the dictionary's own node, not an object of its own.
    private readonly record struct Entry(string Subject, string? Role, DateTime Expires, Shape Shape)
    {
        public ClaimsPrincipal ToPrincipal()
        {
            List<Claim> claims = [new(Shape.NameClaimType, Subject)];
            if (Role is not null)
            {
                claims.Add(new Claim(Shape.RoleClaimType, Role));
            }

            return new ClaimsPrincipal(
                new ClaimsIdentity(claims, Shape.AuthenticationType, Shape.NameClaimType, Shape.RoleClaimType));
        }
    }

    /// <summary>SHA-256 of a token's UTF-8 text, as a value.</summary>
    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static TokenHash Of(string token)
        {
            var length = Encoding.UTF8.GetMaxByteCount(token.Length);
            var buffer = length <= 2048 ? stackalloc byte[length] : new byte[length];
            var written = Encoding.UTF8.GetBytes(token, buffer);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer[..written], hash);
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new TokenHash(words[0], words[1], words[2], words[3]);
        }
    }
}
