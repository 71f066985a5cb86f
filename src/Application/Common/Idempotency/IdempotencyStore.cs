using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Common.Idempotency;

/// <summary>Stored outcomes of successful idempotent requests, keyed by (user, key).</summary>
public sealed class IdempotencyStore(IConcertDbContext db)
{
    /// <summary>The JSON shape replays are stored in: the same the web edge writes.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The stored outcome for this key, or null when there is none; 422 when the key was used for
    /// another request.</summary>
    public async Task<TResponse?> FindReplayAsync<TResponse>(
        long userId, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var record = await db.IdempotencyRecords.AsNoTracking()
            .FirstOrDefaultAsync(r => r.UserId == userId && r.Key == key, cancellationToken);
        if (record is null)
        {
            return default;
        }

        if (record.Fingerprint != Hash(fingerprint))
        {
            throw Errors.IdempotencyKeyReused();
        }

        return JsonSerializer.Deserialize<TResponse>(record.ResponseBody, Json);
    }

    public static string Hash(string fingerprint) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)));

    public static string Serialize<TResponse>(TResponse response) => JsonSerializer.Serialize(response, Json);
}
