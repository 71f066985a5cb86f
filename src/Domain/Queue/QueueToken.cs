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

    /// <summary>The round a token joined in: the opening it belongs to (0 before any). The line's order is
    /// (<see cref="Round"/>, <see cref="DrawKey"/>, <see cref="Id"/>): every earlier round first; within a round
    /// the drawn pre-queue by draw score, then everyone who joined after the opening by join order.</summary>
    public long Round { get; private set; }

    /// <summary>The draw score's leading 63 bits for a pre-queue token (its place in the draw); <see cref="NotDrawn"/>
    /// for a token that joined in line (after the opening, or with no opening scheduled).</summary>
    public long DrawKey { get; private set; }

    /// <summary>The draw key of a token that joined in line: after every drawn token of its round.</summary>
    public const long NotDrawn = long.MaxValue;

    /// <summary>A token that joins the line at its end: <paramref name="round"/> is the last opening held (0 if
    /// none), or the scheduled one whose time has come but whose draw has not yet run.</summary>
    public static QueueToken Issue(long userId, DateTime now, long round = 0) =>
        new()
        {
            Token = NewTokenValue(),
            UserId = userId,
            LiveUserId = userId,
            Status = QueueTokenStatus.Waiting,
            Round = round,
            DrawKey = NotDrawn,
            IssuedAt = now,
            LastSeenAt = now,
        };

    /// <summary>A token that joins before draw <paramref name="drawId"/>'s opening: it waits in the pre-queue, and
    /// its place at the opening is its draw score (computed now from the secret <paramref name="seed"/>, published at
    /// the draw).</summary>
    public static QueueToken IssuePrequeue(long userId, DateTime now, long drawId, byte[] seed)
    {
        var token = NewTokenValue();
        return new QueueToken
        {
            Token = token,
            UserId = userId,
            LiveUserId = userId,
            Status = QueueTokenStatus.Prequeue,
            Round = drawId,
            DrawKey = QueueDraw.KeyOf(QueueDraw.ScoreOf(seed, token)),
            IssuedAt = now,
            LastSeenAt = now,
        };
    }

    /// <summary>256 random bits from the OS generator, base64url without padding (43 characters).</summary>
    public static string NewTokenValue() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The status as of <paramref name="now"/>: an active token past its window or a waiting token not
    /// polled for <paramref name="idleTimeout"/> is expired even before a sweep writes it down.</summary>
    public QueueTokenStatus StatusAt(DateTime now, TimeSpan idleTimeout) => Status switch
    {
        QueueTokenStatus.Active when ExpiresAt <= now => QueueTokenStatus.Expired,
        QueueTokenStatus.Waiting or QueueTokenStatus.Prequeue when LastSeenAt + idleTimeout <= now => QueueTokenStatus.Expired,
        _ => Status,
    };

    /// <summary>Pre-queue or waiting: in line for a slot, kept alive by polls.</summary>
    public bool IsInLine => Status is QueueTokenStatus.Waiting or QueueTokenStatus.Prequeue;

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
        IsInLine && now - LastSeenAt >= interval;

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
