using System.Security.Cryptography;

namespace Concert.Domain.Queue;

/// <summary>
/// A place in the waiting room. <see cref="Id"/> is the join order. <see cref="LiveUserId"/> equals
/// <see cref="UserId"/> while the token is waiting or active and is cleared when it expires, so a unique index on
/// it allows one live token per user.
/// </summary>
public sealed class QueueToken
{
    private QueueToken() { }

    public long Id { get; private set; }

    public string Token { get; private set; } = "";

    public long UserId { get; private set; }

    public long? LiveUserId { get; private set; }

    public QueueTokenStatus Status { get; private set; }

    public DateTime IssuedAt { get; private set; }

    public DateTime? ActivatedAt { get; private set; }

    public DateTime? ExpiresAt { get; private set; }

    public DateTime LastSeenAt { get; private set; }

    public DateTime? ExpiredAt { get; private set; }

    public static QueueToken Issue(long userId, DateTime now) =>
        new()
        {
            Token = NewTokenValue(),
            UserId = userId,
            LiveUserId = userId,
            Status = QueueTokenStatus.Waiting,
            IssuedAt = now,
            LastSeenAt = now,
        };

    /// <summary>A waiting token rebuilt from its stored fields (an instance's in-memory read model of the row).</summary>
    public static QueueToken RestoreWaiting(long id, string token, long userId, DateTime issuedAt, DateTime lastSeenAt) =>
        new()
        {
            Id = id,
            Token = token,
            UserId = userId,
            LiveUserId = userId,
            Status = QueueTokenStatus.Waiting,
            IssuedAt = issuedAt,
            LastSeenAt = lastSeenAt,
        };

    /// <summary>256 random bits from the OS generator, base64url without padding (43 characters).</summary>
    public static string NewTokenValue() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The status as of <paramref name="now"/>: an active token past its window or a waiting token not
    /// polled for <paramref name="idleTimeout"/> is expired even before a sweep writes it down.</summary>
    public QueueTokenStatus StatusAt(DateTime now, TimeSpan idleTimeout) => Status switch
    {
        QueueTokenStatus.Active when ExpiresAt <= now => QueueTokenStatus.Expired,
        QueueTokenStatus.Waiting when LastSeenAt + idleTimeout <= now => QueueTokenStatus.Expired,
        _ => Status,
    };

    public void Activate(DateTime now, TimeSpan lifetime)
    {
        if (Status != QueueTokenStatus.Waiting)
        {
            throw new InvalidOperationException($"Only a waiting token can be activated; this one is {Status}.");
        }

        Status = QueueTokenStatus.Active;
        ActivatedAt = now;
        ExpiresAt = now + lifetime;
    }

    /// <summary>Expires the token; expiring an expired token changes nothing.</summary>
    public void Expire(DateTime now)
    {
        if (Status == QueueTokenStatus.Expired)
        {
            return;
        }

        Status = QueueTokenStatus.Expired;
        LiveUserId = null;
        ExpiredAt = now;
    }

    /// <summary>Whether a poll at <paramref name="now"/> is worth writing down (waiting tokens only, throttled).</summary>
    public bool ShouldRecordPoll(DateTime now, TimeSpan interval) =>
        Status == QueueTokenStatus.Waiting && now - LastSeenAt >= interval;

    public void Seen(DateTime now)
    {
        if (now > LastSeenAt)
        {
            LastSeenAt = now;
        }
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
